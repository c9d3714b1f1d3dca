"""Cross-border requests (C4): tables, the state machine of each procedure, and the rules that raise.

Each request follows one procedure, chosen by its agreement's regime and its measure. A procedure is a
table ``status -> action -> possible next statuses``; the service picks the next status among them (e.g.
``transmit`` leads to ``executing_state_reviewing`` when the executing state must be notified) and every
step taken is stored with the policy engine's decision. Grounds the executing state raises (e-Evidence
Art. 12, Budapest Art. 29(5), the agreement's own) are kept apart from the addressee's reasons for not
executing (e-Evidence Annex III).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base
from comity.errors import IllegalTransition
from comity.kinds import ActionKind, Regime


class Procedure(StrEnum):
    """The procedure (state machine) a request follows."""

    EEV_PRODUCTION = "eev_production"  # e-Evidence EPOC
    EEV_PRESERVATION = "eev_preservation"  # e-Evidence EPOC-PR
    BUDAPEST_PRESERVATION = "budapest_preservation"  # Budapest Art. 29
    ASSISTANCE = "assistance"  # mutual legal assistance and freezing: the executing state recognises


class Status(StrEnum):
    """States of requests (ETSI TS 104 144 names where they fit)."""

    DRAFT = "draft"
    AWAITING_VALIDATION = "awaiting_validation"
    ISSUED = "issued"
    TRANSMITTED = "transmitted"
    EXECUTING_STATE_REVIEWING = "executing_state_reviewing"
    CLARIFICATION_REQUESTED = "clarification_requested"
    ACCEPTED = "accepted"
    GROUNDS_RAISED = "grounds_raised"
    DELIVERED = "delivered"
    NOT_EXECUTED = "not_executed"
    PRESERVED = "preserved"
    EXTENDED = "extended"
    PRODUCTION_CONFIRMED = "production_confirmed"
    LAPSED = "lapsed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


#: States in which nothing more happens.
TERMINAL: frozenset[Status] = frozenset({Status.CLOSED, Status.WITHDRAWN, Status.LAPSED})


class Action(StrEnum):
    """Steps of requests."""

    SUBMIT = "submit"  # to the validating authority
    VALIDATE = "validate"  # validation by a judge/prosecutor (issues the order, or ex-post in an emergency)
    REJECT_VALIDATION = "reject_validation"
    ISSUE = "issue"  # by a competent issuer without separate validation (or emergency)
    TRANSMIT = "transmit"
    ACCEPT = "accept"  # executing state: no grounds (early confirmation), or recognition
    RAISE_GROUNDS = "raise_grounds"  # executing state: full or partial
    ASK_CLARIFICATION = "ask_clarification"  # executing state or addressee
    CLARIFY = "clarify"  # issuing side answers
    CONFIRM_PRESERVED = "confirm_preserved"  # addressee
    DELIVER = "deliver"  # addressee (or executing state) hands the data over / executes
    NOT_EXECUTED = "not_executed"  # addressee: Annex III reasons
    EXTEND = "extend"  # preservation +30 days (e-Evidence Annex VI), once
    CONFIRM_PRODUCTION = "confirm_production"  # e-Evidence Annex V / Budapest Art. 29(7): MLA request sent
    LAPSE = "lapse"  # worker: the preservation period ended
    CLOSE = "close"
    WITHDRAW = "withdraw"


#: Who acts: the issuing side (case members), a validator, the executing state, the addressee, the node.
ISSUING_ACTIONS = frozenset(
    {
        Action.SUBMIT,
        Action.ISSUE,
        Action.TRANSMIT,
        Action.CLARIFY,
        Action.EXTEND,
        Action.CONFIRM_PRODUCTION,
        Action.CLOSE,
        Action.WITHDRAW,
    }
)
VALIDATOR_ACTIONS = frozenset({Action.VALIDATE, Action.REJECT_VALIDATION})
EXECUTING_ACTIONS = frozenset({Action.ACCEPT, Action.RAISE_GROUNDS, Action.ASK_CLARIFICATION})
ADDRESSEE_ACTIONS = frozenset({Action.CONFIRM_PRESERVED, Action.DELIVER, Action.NOT_EXECUTED})
SYSTEM_ACTIONS = frozenset({Action.LAPSE})

#: Steps that move an action forward need the engine's approval; steps that stop or narrow it (withdraw,
#: grounds, non-execution, lapse, close) are never blocked by it, but still store its decision.
ADVANCING = frozenset(
    {
        Action.SUBMIT,
        Action.VALIDATE,
        Action.ISSUE,
        Action.TRANSMIT,
        Action.ACCEPT,
        Action.CLARIFY,
        Action.CONFIRM_PRESERVED,
        Action.DELIVER,
        Action.EXTEND,
        Action.CONFIRM_PRODUCTION,
    }
)

Machine = Mapping[Status, Mapping[Action, tuple[Status, ...]]]
S, A = Status, Action

_ISSUANCE: dict[Status, dict[Action, tuple[Status, ...]]] = {
    S.DRAFT: {A.SUBMIT: (S.AWAITING_VALIDATION,), A.ISSUE: (S.ISSUED,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.AWAITING_VALIDATION: {
        A.VALIDATE: (S.ISSUED,),
        A.REJECT_VALIDATION: (S.DRAFT,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
}

EEV_PRODUCTION: Machine = {
    **_ISSUANCE,
    S.ISSUED: {
        A.TRANSMIT: (S.TRANSMITTED, S.EXECUTING_STATE_REVIEWING),
        A.VALIDATE: (S.ISSUED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    S.TRANSMITTED: {
        A.DELIVER: (S.DELIVERED,),
        A.NOT_EXECUTED: (S.NOT_EXECUTED,),
        A.VALIDATE: (S.TRANSMITTED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    S.EXECUTING_STATE_REVIEWING: {
        A.ACCEPT: (S.ACCEPTED,),
        A.RAISE_GROUNDS: (S.GROUNDS_RAISED,),
        A.ASK_CLARIFICATION: (S.CLARIFICATION_REQUESTED,),
        A.DELIVER: (S.DELIVERED,),
        A.NOT_EXECUTED: (S.NOT_EXECUTED,),
        A.VALIDATE: (S.EXECUTING_STATE_REVIEWING,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    S.CLARIFICATION_REQUESTED: {A.CLARIFY: (S.EXECUTING_STATE_REVIEWING,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.ACCEPTED: {
        A.DELIVER: (S.DELIVERED,),
        A.NOT_EXECUTED: (S.NOT_EXECUTED,),
        A.VALIDATE: (S.ACCEPTED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    # Partial grounds: the addressee may still deliver the part not affected (Art. 12, partial refusal).
    S.GROUNDS_RAISED: {A.DELIVER: (S.DELIVERED,), A.WITHDRAW: (S.WITHDRAWN,), A.CLOSE: (S.CLOSED,)},
    S.DELIVERED: {A.CLOSE: (S.CLOSED,)},
    S.NOT_EXECUTED: {A.CLOSE: (S.CLOSED,), A.WITHDRAW: (S.WITHDRAWN,)},
}

_PRESERVATION_TAIL: dict[Status, dict[Action, tuple[Status, ...]]] = {
    S.NOT_EXECUTED: {A.CLOSE: (S.CLOSED,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.PRODUCTION_CONFIRMED: {A.CLOSE: (S.CLOSED,), A.WITHDRAW: (S.WITHDRAWN,)},
}

EEV_PRESERVATION: Machine = {
    **_ISSUANCE,
    S.ISSUED: {A.TRANSMIT: (S.TRANSMITTED,), A.VALIDATE: (S.ISSUED,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.TRANSMITTED: {
        A.CONFIRM_PRESERVED: (S.PRESERVED,),
        A.NOT_EXECUTED: (S.NOT_EXECUTED,),
        A.VALIDATE: (S.TRANSMITTED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    S.PRESERVED: {
        A.EXTEND: (S.EXTENDED,),
        A.CONFIRM_PRODUCTION: (S.PRODUCTION_CONFIRMED,),
        A.LAPSE: (S.LAPSED,),
        A.VALIDATE: (S.PRESERVED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    S.EXTENDED: {
        A.CONFIRM_PRODUCTION: (S.PRODUCTION_CONFIRMED,),
        A.LAPSE: (S.LAPSED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    **_PRESERVATION_TAIL,
}

BUDAPEST_PRESERVATION: Machine = {
    **_ISSUANCE,
    S.ISSUED: {A.TRANSMIT: (S.TRANSMITTED,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.TRANSMITTED: {
        A.CONFIRM_PRESERVED: (S.PRESERVED,),
        A.RAISE_GROUNDS: (S.GROUNDS_RAISED,),
        A.NOT_EXECUTED: (S.NOT_EXECUTED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    # Art. 29(7): at least 60 days, then kept until a mutual legal assistance request is decided.
    S.PRESERVED: {
        A.CONFIRM_PRODUCTION: (S.PRODUCTION_CONFIRMED,),
        A.LAPSE: (S.LAPSED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    S.GROUNDS_RAISED: {A.CLOSE: (S.CLOSED,), A.WITHDRAW: (S.WITHDRAWN,)},
    **_PRESERVATION_TAIL,
}

ASSISTANCE: Machine = {
    **_ISSUANCE,
    S.ISSUED: {A.TRANSMIT: (S.EXECUTING_STATE_REVIEWING,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.EXECUTING_STATE_REVIEWING: {
        A.ACCEPT: (S.ACCEPTED,),
        A.RAISE_GROUNDS: (S.GROUNDS_RAISED,),
        A.ASK_CLARIFICATION: (S.CLARIFICATION_REQUESTED,),
        A.WITHDRAW: (S.WITHDRAWN,),
    },
    S.CLARIFICATION_REQUESTED: {A.CLARIFY: (S.EXECUTING_STATE_REVIEWING,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.ACCEPTED: {A.DELIVER: (S.DELIVERED,), A.NOT_EXECUTED: (S.NOT_EXECUTED,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.GROUNDS_RAISED: {A.DELIVER: (S.DELIVERED,), A.CLOSE: (S.CLOSED,), A.WITHDRAW: (S.WITHDRAWN,)},
    S.DELIVERED: {A.CLOSE: (S.CLOSED,)},
    S.NOT_EXECUTED: {A.CLOSE: (S.CLOSED,), A.WITHDRAW: (S.WITHDRAWN,)},
}

MACHINES: dict[Procedure, Machine] = {
    Procedure.EEV_PRODUCTION: EEV_PRODUCTION,
    Procedure.EEV_PRESERVATION: EEV_PRESERVATION,
    Procedure.BUDAPEST_PRESERVATION: BUDAPEST_PRESERVATION,
    Procedure.ASSISTANCE: ASSISTANCE,
}

#: Measures a request may ask for (an extension is a step of a preservation request, not a request).
REQUEST_MEASURES = frozenset(
    {
        ActionKind.PRESERVATION,
        ActionKind.PRODUCTION,
        ActionKind.REMOVAL_ORDER,
        ActionKind.ACCOUNT_SUSPENSION,
        ActionKind.DOMAIN_SUSPENSION,
        ActionKind.PAYMENT_FREEZE,
    }
)


def procedure_for(regime: Regime, measure: ActionKind) -> Procedure | None:
    """The procedure a request of ``measure`` follows under ``regime`` (None: the regime has none)."""
    if regime is Regime.E_EVIDENCE and measure is ActionKind.PRODUCTION:
        return Procedure.EEV_PRODUCTION
    if regime is Regime.E_EVIDENCE and measure is ActionKind.PRESERVATION:
        return Procedure.EEV_PRESERVATION
    if regime is Regime.BUDAPEST_PRESERVATION and measure is ActionKind.PRESERVATION:
        return Procedure.BUDAPEST_PRESERVATION
    if regime in (Regime.MUTUAL_LEGAL_ASSISTANCE, Regime.FREEZING):
        return Procedure.ASSISTANCE
    return None


class ExecutingGround(StrEnum):
    """Grounds the executing (enforcing) state raises: e-Evidence Art. 12(1), Budapest Art. 29(5), MLA."""

    IMMUNITIES_OR_PRESS_FREEDOM = "immunities_or_press_freedom"  # Art. 12(1)(a)
    FUNDAMENTAL_RIGHTS = "fundamental_rights"  # Art. 12(1)(b)
    NE_BIS_IN_IDEM = "ne_bis_in_idem"  # Art. 12(1)(c)
    DUAL_CRIMINALITY = "dual_criminality"  # Art. 12(1)(d)
    POLITICAL_OFFENCE = "political_offence"  # Budapest Art. 29(5)(a)
    ESSENTIAL_INTERESTS = "essential_interests"  # Budapest Art. 29(5)(b): sovereignty, security, ordre public
    AGREEMENT_GROUND = "agreement_ground"  # a ground the agreement itself states


#: Grounds each procedure admits (the engine's ``refusal_grounds_available`` narrows dual criminality).
GROUNDS_BY_PROCEDURE: dict[Procedure, frozenset[ExecutingGround]] = {
    Procedure.EEV_PRODUCTION: frozenset(
        {
            ExecutingGround.IMMUNITIES_OR_PRESS_FREEDOM,
            ExecutingGround.FUNDAMENTAL_RIGHTS,
            ExecutingGround.NE_BIS_IN_IDEM,
            ExecutingGround.DUAL_CRIMINALITY,
        }
    ),
    Procedure.EEV_PRESERVATION: frozenset(),
    Procedure.BUDAPEST_PRESERVATION: frozenset(
        {
            ExecutingGround.POLITICAL_OFFENCE,
            ExecutingGround.ESSENTIAL_INTERESTS,
            ExecutingGround.DUAL_CRIMINALITY,
        }
    ),
    Procedure.ASSISTANCE: frozenset(ExecutingGround),
}


class NonExecutionReason(StrEnum):
    """The addressee's reasons for not executing (e-Evidence Annex III; ETSI TS 104 144 reason codes)."""

    INCOMPLETE = "incomplete"  # Incomplete
    MANIFEST_ERRORS = "manifest_errors"  # ManifestErrors
    INSUFFICIENT_INFORMATION = "insufficient_information"  # InsufficientInformation
    DATA_NOT_HELD = "data_not_held"  # DataNotHeld
    DE_FACTO_IMPOSSIBILITY = "de_facto_impossibility"  # DeFactoImpossibility
    SERVICE_NOT_COVERED = "service_not_covered"  # ServiceNotCovered
    IMMUNITIES_OR_PRIVILEGES = "immunities_or_privileges"  # ImmunitiesOrPrivileges
    CONFLICT_OF_LAW = "conflict_of_law"  # ConflictOfLaw (third-country law, Art. 17)


class AssistanceRequest(Base):
    """A cross-border request; identifiers stay in ``case_targets`` (named by id here)."""

    __tablename__ = "assistance_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    procedure: Mapped[str] = mapped_column(String(30))  # Procedure
    regime: Mapped[str] = mapped_column(String(30))  # Regime
    measure: Mapped[str] = mapped_column(String(30))  # ActionKind
    data_category: Mapped[str | None] = mapped_column(String(20))  # DataCategory, data measures
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    agreement_id: Mapped[str] = mapped_column(String(80))
    agreement_version: Mapped[int] = mapped_column(Integer)
    offence_id: Mapped[str] = mapped_column(ForeignKey("case_offences.id"))
    offence_code: Mapped[str] = mapped_column(String(60))
    statute: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[str] = mapped_column(String(2))
    to_state: Mapped[str] = mapped_column(String(2), index=True)
    addressee_organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    target_ids: Mapped[list[Any]] = mapped_column(
        JSON, default=list
    )  # case_targets ids (no identifiers here)
    time_from: Mapped[datetime | None]
    time_to: Mapped[datetime | None]
    committed_in_issuing: Mapped[bool | None] = mapped_column(Boolean)  # e-Evidence Art. 8(2)(a)
    person_resides_in_issuing: Mapped[bool | None] = mapped_column(Boolean)  # Art. 8(2)(b)
    issuer_authority: Mapped[str] = mapped_column(String(30))  # AuthorityType of the issuing organisation
    validated_by_authority: Mapped[str | None] = mapped_column(String(30))
    validated_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(30), index=True)  # Status
    notify_executing_state: Mapped[bool] = mapped_column(Boolean, default=False)
    suspensive: Mapped[bool] = mapped_column(Boolean, default=False)
    transmitted_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # the addressee's deadline (Art. 10)
    review_ends_at: Mapped[datetime | None]  # executing state's review/objection window (Art. 10(2), 10(4))
    preservation_ends_at: Mapped[datetime | None]  # Art. 11(1) / Budapest Art. 29(7)
    ex_post_due_at: Mapped[datetime | None]  # emergency: validation due within 48 hours (Art. 4(5))
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    grounds: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ExecutingGround values
    grounds_partial: Mapped[bool | None] = mapped_column(Boolean)
    non_execution_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)  # NonExecutionReason values
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    step_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The peer node holding the other side of this request (None: both sides are on this node). On the
    #: issuing node it is ``to_state``; on the executing node it is ``from_state`` and ``mirror`` is true.
    federated_with: Mapped[str | None] = mapped_column(String(2))
    mirror: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # The worker's sweeps: overdue answers and ended preservations, by status then instant.
    __table_args__ = (
        Index("ix_assistance_requests_due", "status", "due_at"),
        Index("ix_assistance_requests_preservation", "status", "preservation_ends_at"),
    )


class RequestStep(Base):
    """One step of a request: the transition taken and the policy decision it was taken under."""

    __tablename__ = "assistance_request_steps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("assistance_requests.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))  # Action, or "create" (or "receive" on a mirror)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)  # the engine's decision JSON, never empty
    allowed: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ids, codes, hashes only
    audit_event_id: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_assistance_request_steps_request", "request_id", "seq", unique=True),)


# --- DB-free rules -------------------------------------------------------------------------------


def allowed_actions(machine: Machine, status: Status) -> list[Action]:
    """Actions the machine allows from ``status`` (before time rules)."""
    return list(machine.get(status, {}))


def next_status(
    request_id: str,
    machine: Machine,
    status: Status,
    action: Action,
    allowed: list[Action],
    choose: Status | None,
) -> Status:
    """The status after ``action``; IllegalTransition (409, with ``allowed``) when the machine refuses it."""
    if action not in allowed:
        raise IllegalTransition(
            f"request {request_id}", status.value, action.value, [a.value for a in allowed]
        )
    targets = machine[status][action]
    if choose is not None and choose in targets:
        return choose
    return targets[0]


#: The first step of a mirror: the request as received from the issuing node (not an ``Action``: nobody
#: takes it, the node records it).
RECEIVE = "receive"


def in_machine(procedure: Procedure, from_status: str | None, action: str, to_status: str) -> bool:
    """Whether a stored step is one the procedure's machine allows (used by invariant checks)."""
    if action == "create":
        return from_status is None and to_status == Status.DRAFT.value
    if action == RECEIVE:
        # A mirror starts where the issuing node's transmission left the request.
        return from_status is None and to_status in MACHINES[procedure].get(Status.ISSUED, {}).get(
            Action.TRANSMIT, ()
        )
    moves = MACHINES[procedure].get(Status(from_status)) if from_status else None
    if not moves:
        return False
    try:
        return Status(to_status) in moves.get(Action(action), ())
    except ValueError:
        return False
