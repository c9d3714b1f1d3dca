"""The state machine tables in docs/workflow-requests.md are the machines in the code."""

from __future__ import annotations

from pathlib import Path

from comity.assistance_requests.model import MACHINES

DOC = Path(__file__).resolve().parents[3] / "docs" / "workflow-requests.md"


def test_every_transition_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for procedure, machine in MACHINES.items():
        assert f"### {procedure.value}" in text
        for status, moves in machine.items():
            for action, targets in moves.items():
                to = " or ".join(f"`{t.value}`" for t in targets)
                row = f"| `{status.value}` | `{action.value}` | {to} |"
                assert row in text, row
