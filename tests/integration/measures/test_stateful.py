"""Property test: random sequences of commands by officers, judges, platforms and the worker, with clock
jumps, never break a due-process invariant, and every refusal is a precise Comity error (never a crash)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from comity.errors import ComityError
from comity.invariants.registry import check_all
from comity.measures import lifecycle
from comity.measures import service as measures
from comity.measures.model import Measure
from comity.measures.schemas import AnswerIn, NoticeDeferralIn, RenewIn
from comity.notices import delivery
from comity.web.container import Container
from comity.worker.jobs import tick
from conftest import START
from integration.measures.world import World, build_world
from support import empty_all_tables

KINDS = ("voluntary", "provisional", "judicial")
ANSWERS = ("received", "complied", "partially_complied", "cannot_comply", "contested")


def _fresh_world(container: Container) -> World:
    """An empty database and a world at the start time: every example starts from the same state."""
    empty_all_tables(container.engine)
    container.clock.set(START)  # type: ignore[attr-defined]
    return build_world(container)


def run_machine(container: Container, seen: dict[str, int]) -> None:
    world: World

    class MeasureMachine(RuleBasedStateMachine):
        ids = Bundle("measures")

        def __init__(self) -> None:
            super().__init__()
            nonlocal world
            world = _fresh_world(container)
            self.refusals: dict[int, int] = {}

        def teardown(self) -> None:
            with world.tx() as session:
                for row in session.scalars(select(Measure)):
                    seen[row.status] = seen.get(row.status, 0) + 1

        def _try(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                with world.tx() as session:
                    return fn(session, *args, clock=world.clock, **kwargs)
            except ComityError as exc:
                # Refusals are precise client errors (403, 404, 409, 422), never a server error.
                self.refusals[exc.status] = self.refusals.get(exc.status, 0) + 1
                if exc.status not in (403, 404, 409, 422):
                    raise
                return None

        @initialize()
        def start(self) -> None:
            pass

        @rule(target=ids, kind=st.sampled_from(KINDS), skip=st.booleans(), defer=st.booleans())
        def draft(self, kind: str, skip: bool, defer: bool) -> str:
            now = world.clock.now()
            extra: dict[str, Any] = {}
            if kind != "voluntary":
                extra = {
                    "kind": "removal_order",
                    "legal_basis": "Regulation (EU) 2022/2065 Art. 9",
                    "provisional": kind == "provisional",
                    "urgent": skip,
                }
                if kind == "provisional":
                    extra |= {"review_at": (now + timedelta(days=5)).isoformat(), "ends_at": None}
            if skip:
                extra |= {"prior_notice_skip_ground": "urgency", "prior_notice_skip_reason": "imminent harm"}
            m = world.draft(**extra)
            if defer:
                self._try(
                    measures.request_notice_deferral,
                    principal=world.officer,
                    measure_id=m.id,
                    data=NoticeDeferralIn(reason="investigation", until=now + timedelta(days=3)),
                )
            return m.id

        @rule()
        def advance_all(self) -> None:
            """Every measure in progress takes one step forward."""
            with world.tx() as session:
                live = [m.id for m in measures.list_measures(session, clock=world.clock, principal=None)]
            for mid in live:
                self.advance(mid)

        @rule(mid=ids)
        def advance(self, mid: str) -> None:
            """Take the measure one step forward along its path (the way a diligent user would)."""
            from comity.measures.schemas import AuthoriseIn

            with world.tx() as session:
                row = session.get(measures.Measure, mid)
                allowed = measures.allowed_actions(row, world.clock.now()) if row else []
            for action in ("submit", "authorise", "issue", "announce", "confirm"):
                if action not in allowed:
                    continue
                if action == "submit":
                    self._try(measures.submit, principal=world.officer, measure_id=mid)
                elif action == "authorise":
                    self._try(
                        measures.authorise,
                        principal=world.judge,
                        measure_id=mid,
                        data=AuthoriseIn(
                            note="ok", approve_prior_notice_skip=True, approve_notice_deferral=True
                        ),
                    )
                elif action == "issue":
                    self._try(
                        measures.issue, principal=world.officer, measure_id=mid, keystore=world.keystore
                    )
                elif action == "announce":
                    self._try(measures.announce, principal=world.officer, measure_id=mid)
                else:
                    self._try(
                        lifecycle.confirm,
                        principal=world.judge,
                        measure_id=mid,
                        note="upheld",
                        keystore=world.keystore,
                    )
                return

        @rule(mid=ids)
        def submit(self, mid: str) -> None:
            self._try(measures.submit, principal=world.officer, measure_id=mid)

        @rule(mid=ids, skip=st.booleans(), defer=st.booleans())
        def authorise(self, mid: str, skip: bool, defer: bool) -> None:
            from comity.measures.schemas import AuthoriseIn

            self._try(
                measures.authorise,
                principal=world.judge,
                measure_id=mid,
                data=AuthoriseIn(note="ok", approve_prior_notice_skip=skip, approve_notice_deferral=defer),
            )

        @rule(mid=ids)
        def refuse(self, mid: str) -> None:
            self._try(measures.refuse, principal=world.judge, measure_id=mid, reason="disproportionate")

        @rule(mid=ids)
        def announce(self, mid: str) -> None:
            self._try(measures.announce, principal=world.officer, measure_id=mid)

        @rule(mid=ids)
        def issue(self, mid: str) -> None:
            self._try(measures.issue, principal=world.officer, measure_id=mid, keystore=world.keystore)

        @rule(mid=ids, answer=st.sampled_from(ANSWERS))
        def answer(self, mid: str, answer: str) -> None:
            data = AnswerIn(answer=answer, reasons=["DataNotHeld"], explanation="see reasons")  # type: ignore[arg-type]
            self._try(lifecycle.answer, principal=world.platform, measure_id=mid, data=data)

        @rule(mid=ids)
        def confirm(self, mid: str) -> None:
            self._try(
                lifecycle.confirm,
                principal=world.judge,
                measure_id=mid,
                note="upheld",
                keystore=world.keystore,
            )

        @rule(mid=ids, days=st.integers(min_value=-1, max_value=40))
        def renew(self, mid: str, days: int) -> None:
            with world.tx() as session:
                row = session.get(measures.Measure, mid)
                base = (row.lapses_at if row else None) or world.clock.now()
            data = RenewIn(review_deadline=base + timedelta(days=days), reason="more time to review")
            self._try(
                lifecycle.renew, principal=world.officer, measure_id=mid, data=data, keystore=world.keystore
            )

        @rule(mid=ids)
        def lift(self, mid: str) -> None:
            self._try(
                lifecycle.lift,
                principal=world.officer,
                measure_id=mid,
                reason="no longer needed",
                keystore=world.keystore,
            )

        @rule(hours=st.integers(min_value=1, max_value=96))
        def jump_and_run_worker(self, hours: int) -> None:
            world.clock.advance(timedelta(hours=hours))
            with world.tx() as session:
                for message in delivery.inbox(session, principal=world.platform):
                    delivery.acknowledge(
                        session, clock=world.clock, principal=world.platform, message_id=message.id
                    )
            report = tick(world.container)
            assert report.errors == {}, report.errors

        @invariant()
        def due_process_holds(self) -> None:
            with world.tx() as session:
                violations = check_all(session, now=world.clock.now())
            assert violations == [], violations

    MeasureMachine.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=50,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    MeasureMachine.TestCase().runTest()


def test_random_commands_with_clock_jumps_keep_every_invariant(container: Container) -> None:
    statuses: dict[str, int] = {}
    run_machine(container, statuses)
    # The run went beyond refusals: measures were issued, and some ended (lapsed, lifted, expired...).
    assert sum(statuses.get(s, 0) for s in ("issued", "lapsed", "lifted", "expired")) > 0, statuses
