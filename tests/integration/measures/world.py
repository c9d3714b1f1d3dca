"""A small node for measure tests: IE authorities with signing keys, a platform, approved documents, a case
with a seller-account target, and principals for officer, judge and platform.

Shared by the measures, notices and invariants tests (``from integration.measures.world import ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from comity.agreements.service import install_bundled
from comity.cases import service as cases
from comity.cases import targets as case_targets
from comity.cases.schemas import CaseCreate, TargetAdd
from comity.clock import FixedClock
from comity.identity import service as identity
from comity.identity.model import Organisation
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.measures import lifecycle, service
from comity.measures.model import Measure
from comity.measures.schemas import AnswerIn, AuthoriseIn, MeasureCreate
from comity.signing.keys import KeyPurpose
from comity.web.container import Container

MATCHING_KEY = b"m" * 32
TARGET = "seller-77331"

#: Organisations: id -> (kind, jurisdiction, authority type).
ORGS: dict[str, tuple[OrganisationKind, str, AuthorityType | None]] = {
    "org_ie_police": (OrganisationKind.AUTHORITY, "IE", AuthorityType.POLICE),
    "org_ie_prosecutor": (OrganisationKind.AUTHORITY, "IE", AuthorityType.PROSECUTOR),
    "org_ie_court": (OrganisationKind.AUTHORITY, "IE", AuthorityType.JUDGE),
    "bazaar-ltd": (OrganisationKind.PLATFORM, "IE", None),
    "other-platform": (OrganisationKind.PLATFORM, "IE", None),
}


@dataclass
class World:
    container: Container
    clock: FixedClock
    keystore: Keystore
    tokens: dict[str, str]
    principals: dict[str, Principal]
    case_id: str = ""
    target_id: str = ""
    keyids: dict[str, str] = field(default_factory=dict)

    @property
    def officer(self) -> Principal:
        return self.principals["officer"]

    @property
    def judge(self) -> Principal:
        return self.principals["judge"]

    @property
    def platform(self) -> Principal:
        return self.principals["platform"]

    def tx(self) -> Any:
        return self.container.transaction()

    def body(self, **overrides: Any) -> dict[str, Any]:
        """A complete voluntary-removal draft (the mildest measure that touches a person)."""
        now = self.clock.now()
        data: dict[str, Any] = {
            "case_id": self.case_id,
            "kind": "voluntary_removal",
            "addressee": "bazaar-ltd",
            "offence": "counterfeit_goods",
            "executing_jurisdiction": "IE",
            "legal_basis": "Bazaar terms of service s. 4.2; Trade Marks Act 1996 s. 14",
            "justification": "Listings offer counterfeit branded goods, confirmed by test purchase.",
            "proportionality": {
                "offence_severity": "medium: commercial-scale counterfeiting",
                "harm": "consumers deceived; unsafe imitation goods",
                "milder_alternatives": ["advisory notice (ignored for two weeks)"],
            },
            "escalation_reason": "the advisory notice of 1 August went unanswered",
            "territorial_scope": ["IE"],
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=90)).isoformat(),
            "target_id": self.target_id,
        }
        data.update(overrides)
        return data

    def draft(self, **overrides: Any) -> Measure:
        with self.tx() as session:
            return service.create_measure(
                session,
                clock=self.clock,
                principal=self.officer,
                data=MeasureCreate(**self.body(**overrides)),
            )

    def submit(self, measure_id: str) -> Measure:
        with self.tx() as session:
            return service.submit(session, clock=self.clock, principal=self.officer, measure_id=measure_id)

    def authorise(self, measure_id: str, **flags: bool) -> Measure:
        with self.tx() as session:
            return service.authorise(
                session,
                clock=self.clock,
                principal=self.judge,
                measure_id=measure_id,
                data=AuthoriseIn(note="necessary and proportionate", **flags),
            )

    def issue(self, measure_id: str) -> Measure:
        with self.tx() as session:
            return service.issue(
                session,
                clock=self.clock,
                principal=self.officer,
                measure_id=measure_id,
                keystore=self.keystore,
            )

    def announce(self, measure_id: str) -> Measure:
        with self.tx() as session:
            return service.announce(session, clock=self.clock, principal=self.officer, measure_id=measure_id)

    def answer(self, measure_id: str, **data: Any) -> Any:
        with self.tx() as session:
            return lifecycle.answer(
                session,
                clock=self.clock,
                principal=self.platform,
                measure_id=measure_id,
                data=AnswerIn(**data),
            )

    def awaiting_judge(self) -> str:
        """A provisional removal order awaiting a judge's authorisation (prior notice skip asked); its id."""
        m = self.draft(
            kind="removal_order",
            provisional=True,
            urgent=True,
            ends_at=None,
            review_at=(self.clock.now() + timedelta(days=5)).isoformat(),
            legal_basis="Regulation (EU) 2022/2065 Art. 9",
            prior_notice_skip_ground="would_defeat",
            prior_notice_skip_reason="the stock would be moved",
        )
        assert self.submit(m.id).status == "awaiting_authorisation"
        return m.id

    def another_judge(self, username: str = "t-judge-2") -> str:
        """A second judge of the IE court; their API token."""
        with self.tx() as session:
            return identity.add_user(
                session,
                clock=self.clock,
                actor=SYSTEM_ACTOR,
                username=username,
                role=Role.JUDGE,
                organisation_id="org_ie_court",
            ).token

    def issued_voluntary(self) -> Measure:
        """A voluntary removal issued after its prior notice ran."""
        m = self.draft()
        self.submit(m.id)
        self.announce(m.id)
        self.clock.advance(timedelta(days=4))
        return self.issue(m.id)

    def issued_provisional(self, review_days: int = 7, **overrides: Any) -> Measure:
        """A provisional removal order under the DSA agreement, prior notice skipped with a judge's leave."""
        now = self.clock.now()
        m = self.draft(
            **{
                "kind": "removal_order",
                "provisional": True,
                "urgent": True,
                "review_at": (now + timedelta(days=review_days)).isoformat(),
                "ends_at": None,
                "legal_basis": "Regulation (EU) 2022/2065 Art. 9; Trade Marks Act 1996 s. 14",
                "escalation_reason": "the voluntary request was refused by the platform",
                "prior_notice_skip_ground": "would_defeat",
                "prior_notice_skip_reason": "the seller would move the stock to a new account",
                **overrides,
            }
        )
        self.submit(m.id)
        self.authorise(m.id, approve_prior_notice_skip=True)
        return self.issue(m.id)


def build_world(container: Container) -> World:
    """Create the organisations, users, keys, documents and a case; return the world."""
    clock = container.clock
    assert isinstance(clock, FixedClock)
    keystore = Keystore.for_settings(container.settings)
    tokens: dict[str, str] = {}
    principals: dict[str, Principal] = {}
    world = World(container=container, clock=clock, keystore=keystore, tokens=tokens, principals=principals)
    with container.transaction() as session:
        for org_id, (kind, code, authority) in ORGS.items():
            if session.get(Organisation, org_id) is None:
                identity.create_organisation(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    name=org_id,
                    kind=kind,
                    jurisdiction=code,
                    authority_type=authority,
                    org_id=org_id,
                )
        for name, role, org in (
            ("officer", Role.OFFICER, "org_ie_police"),
            ("judge", Role.JUDGE, "org_ie_court"),
            ("platform", Role.PLATFORM, "bazaar-ltd"),
            ("other", Role.PLATFORM, "other-platform"),
            ("prosecutor", Role.OFFICER, "org_ie_prosecutor"),
        ):
            issued = identity.add_user(
                session, clock=clock, actor=SYSTEM_ACTOR, username=f"t-{name}", role=role, organisation_id=org
            )
            tokens[name] = issued.token
        install_bundled(session, clock=clock, proposer="user:t-admin", approver="user:t-auditor")
        keys.create_anchor(session, clock=clock, actor=SYSTEM_ACTOR, keystore=keystore, jurisdiction="IE")
        for org_id in ("org_ie_police", "org_ie_prosecutor", "org_ie_court"):
            key = keys.register_key(
                session,
                clock=clock,
                actor=SYSTEM_ACTOR,
                keystore=keystore,
                jurisdiction="IE",
                purpose=KeyPurpose.AUTHORITY_SIGNING,
                organisation=org_id,
            )
            world.keyids[org_id] = key.keyid
    with container.transaction() as session:
        for name, token in tokens.items():
            principals[name] = identity.authenticate(session, token)
    with container.transaction() as session:
        case = cases.open_case(
            session,
            clock=clock,
            principal=world.officer,
            data=CaseCreate(title="Counterfeit trainers", jurisdictional_links=["offence_in_territory"]),
        )
        world.case_id = case.id
    with container.transaction() as session:
        target = case_targets.add_target(
            session,
            clock=clock,
            principal=world.officer,
            case_id=world.case_id,
            data=TargetAdd(kind="seller_account", identifier=TARGET, platform="bazaar-ltd"),
            matching_key=MATCHING_KEY,
        )
        world.target_id = target.id
    return world


def measure_row(world: World, measure_id: str) -> Measure:
    with world.tx() as session:
        row = session.scalar(select(Measure).where(Measure.id == measure_id))
        assert row is not None
        return row
