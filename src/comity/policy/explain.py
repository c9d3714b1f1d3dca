"""A decision in plain words: for the CLI without ``--json``, and for pages.

The text carries the same facts as the JSON form (each reason with its source, the limits with their
instants, the obligations, the grounds, every assumption), in the order a reader needs them: the verdict,
why, what follows, what was assumed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from comity.periods import Period
from comity.policy.deadlines import zone_info
from comity.policy.model import Decision, ProposedAction
from comity.policy.rules.common import AUTHORITY_NAMES
from comity.policy.schemas import iso_duration

_COUNTING = {
    "reg_1182_71": "counted under Regulation (EEC, Euratom) No 1182/71",
    "elapsed": "counted as plain elapsed time",
}


def _when(value: datetime, zone: str | None) -> str:
    utc = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if zone is None:
        return utc
    local = value.astimezone(zone_info(zone)).strftime("%Y-%m-%d %H:%M %Z")
    return f"{utc} ({local})"


def _span(delta: timedelta, stated: Period | None) -> str:
    return str(stated) if stated is not None else iso_duration(delta)


def _headline(decision: Decision, action: ProposedAction | None) -> str:
    verdict = "ALLOWED" if decision.allowed else "REFUSED"
    what = ""
    if action is not None:
        kind = action.kind.value.replace("_", " ")
        data = f" of {action.data_category.value} data" if action.data_category is not None else ""
        urgent = " (emergency)" if action.emergency else ""
        what = (
            f": {kind}{data}{urgent}, {action.issuing_state} -> {action.executing_state}, "
            f"offence {action.offence}, issued by {AUTHORITY_NAMES[action.issuer]}"
        )
        if action.validated_by is not None:
            what += f" validated by {AUTHORITY_NAMES[action.validated_by]}"
    return (
        f"{verdict}{what}\n"
        f"under {decision.agreement_id} v{decision.agreement_version} (regime {decision.regime})"
    )


def explain(decision: Decision, action: ProposedAction | None = None) -> str:
    """A readable, complete account of ``decision`` (``action`` adds what was asked, if given)."""
    lines = [_headline(decision, action), ""]
    refused = [r for r in decision.reasons if not r.satisfied]
    if refused:
        lines.append("Why it is refused:")
        lines += [f"  x {r.text}  [{r.source}]" for r in refused]
        lines.append("")
    lines.append("Rules applied:")
    for reason in decision.reasons:
        mark = "ok" if reason.satisfied else "NO"
        lines.append(f"  {mark:2} {reason.rule}: {reason.text}")
        lines.append(f"       source: {reason.source}")
    lines.append("")

    notify = "yes" if decision.notify_executing_state else "no"
    if decision.notify_executing_state:
        notify += ", suspensive" if decision.suspensive else ", not suspensive"
    lines.append(f"Executing state notified: {notify}")
    triggered = ", ".join(decision.refusal_grounds_available) or "none"
    lines.append(f"Refusal grounds these facts give the executing state: {triggered}")
    if decision.general_refusal_grounds:
        lines.append(f"Grounds open whatever the facts: {', '.join(decision.general_refusal_grounds)}")

    limits = decision.limits
    stated = limits.stated
    rows = [
        ("deadline", limits.deadline, limits.deadline_at),
        ("review window", limits.review_window, limits.review_window_ends_at),
        ("preservation period", limits.preservation_period, limits.preservation_ends_at),
    ]
    present = [(name, delta, at) for name, delta, at in rows if delta is not None]
    if present:
        how = _COUNTING.get(limits.counting or "", limits.counting or "")
        zone = f" in {limits.time_zone}" if limits.time_zone else ""
        lines.append("")
        lines.append(f"Time limits ({how}{zone}):")
        for name, delta, at in present:
            assert delta is not None
            text = _span(delta, stated.get(name.replace(" ", "_")))
            ends = f", ends {_when(at, limits.time_zone)}" if at is not None else ""
            lines.append(f"  {name}: {text}{ends}")
    if decision.obligations:
        lines.append("")
        lines.append("Obligations if it goes ahead:")
        for obligation in decision.obligations:
            due = f" (due {_when(obligation.due, None)})" if obligation.due is not None else ""
            lines.append(f"  - {obligation.kind}: {obligation.text}{due}  [{obligation.source}]")
    if decision.assumptions:
        lines.append("")
        lines.append("Choices and assumptions:")
        lines += [f"  - {a}" for a in decision.assumptions]
    return "\n".join(lines) + "\n"
