"""The shared vocabulary of kinds: actions, data categories, authority types, roles, regimes.

These enums are contracts every capability shares; their string values appear in APIs, files and logs and
must never be renamed.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ActionKind(StrEnum):
    """Requests and measures. Emergency is a flag on an action, never a kind."""

    ADVISORY_NOTICE = "advisory_notice"
    VOLUNTARY_REMOVAL = "voluntary_removal"
    PRESERVATION = "preservation"
    PRESERVATION_EXTENSION = "preservation_extension"
    INFORMATION_ORDER = "information_order"
    PRODUCTION = "production"
    REMOVAL_ORDER = "removal_order"
    ACCOUNT_SUSPENSION = "account_suspension"
    DOMAIN_SUSPENSION = "domain_suspension"
    PAYMENT_FREEZE = "payment_freeze"


#: How intrusive each action is, 0 (least) upwards. Used by the proportionality rule: an action may not be
#: more intrusive than the agreement permits for the offence's severity band. Comity's own scale, not law.
ACTION_SEVERITY_RANK: dict[ActionKind, int] = {
    ActionKind.ADVISORY_NOTICE: 0,
    ActionKind.VOLUNTARY_REMOVAL: 1,
    ActionKind.PRESERVATION: 1,
    ActionKind.PRESERVATION_EXTENSION: 1,
    ActionKind.INFORMATION_ORDER: 2,
    ActionKind.PRODUCTION: 2,
    ActionKind.REMOVAL_ORDER: 3,
    ActionKind.ACCOUNT_SUSPENSION: 4,
    ActionKind.DOMAIN_SUSPENSION: 5,
    ActionKind.PAYMENT_FREEZE: 5,
}

#: Actions that restrict a person's content, account, domain or money (they owe the person a notice).
RESTRICTIVE_ACTIONS: frozenset[ActionKind] = frozenset(
    {
        ActionKind.VOLUNTARY_REMOVAL,
        ActionKind.REMOVAL_ORDER,
        ActionKind.ACCOUNT_SUSPENSION,
        ActionKind.DOMAIN_SUSPENSION,
        ActionKind.PAYMENT_FREEZE,
    }
)

#: Actions that obtain or keep data about a person.
DATA_ACTIONS: frozenset[ActionKind] = frozenset(
    {
        ActionKind.PRODUCTION,
        ActionKind.PRESERVATION,
        ActionKind.PRESERVATION_EXTENSION,
        ActionKind.INFORMATION_ORDER,
    }
)


class DataCategory(StrEnum):
    """Data categories as e-Evidence Regulation (EU) 2023/1543 Art. 3(9)-(12) defines them."""

    SUBSCRIBER = "subscriber"  # Art. 3(9)
    IDENTIFICATION = "identification"  # Art. 3(10): requested for the sole purpose of identifying the user
    TRAFFIC = "traffic"  # Art. 3(11)
    CONTENT = "content"  # Art. 3(12)


class AuthorityType(StrEnum):
    """What kind of public authority an organisation is. The policy engine reasons only about these."""

    POLICE = "police"
    CUSTOMS = "customs"
    REGULATOR = "regulator"
    PROSECUTOR = "prosecutor"
    INVESTIGATING_JUDGE = "investigating_judge"
    JUDGE = "judge"
    COURT = "court"


#: Judicial authorities in the sense of e-Evidence Art. 4(1)(a) and 4(2)(a).
JUDICIAL_AUTHORITIES: frozenset[AuthorityType] = frozenset(
    {AuthorityType.JUDGE, AuthorityType.COURT, AuthorityType.INVESTIGATING_JUDGE}
)


class Role(StrEnum):
    """Application roles: what a user may do on screens and endpoints. Not authority types."""

    OFFICER = "officer"
    JUDGE = "judge"
    PLATFORM = "platform"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


class OrganisationKind(StrEnum):
    AUTHORITY = "authority"
    PLATFORM = "platform"
    OVERSIGHT = "oversight"


class Regime(StrEnum):
    """The legal regime an agreement operates under; the policy engine applies that regime's rules."""

    E_EVIDENCE = "e_evidence"
    BUDAPEST_PRESERVATION = "budapest_preservation"
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance"
    FREEZING = "freezing"
    DSA_ORDER = "dsa_order"
    PLATFORM_TERMS = "platform_terms"
    JOINT_INVESTIGATION_TEAM = "joint_investigation_team"


class SeverityBand(IntEnum):
    """Severity bands of the offence taxonomy, ordered."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Counting(StrEnum):
    """How a period is counted: Regulation (EEC, Euratom) No 1182/71, or plain elapsed time."""

    REG_1182_71 = "reg_1182_71"
    ELAPSED = "elapsed"
