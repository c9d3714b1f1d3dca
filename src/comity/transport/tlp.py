"""Traffic Light Protocol 2.0 markings (FIRST), carried by everything that leaves a node.

Definitions, quoted by MISP's ``tlp`` taxonomy (``../shared/reference/sharing_custody_linkage.md`` §1.5):
RED, for the eyes and ears of individual recipients only; AMBER+STRICT, need-to-know within the recipient's
organisation only; AMBER, within the organisation and its clients; GREEN, within the community, not via
public channels; CLEAR, no limit on disclosure.
"""

from __future__ import annotations

from enum import StrEnum


class Tlp(StrEnum):
    """A TLP 2.0 level; values are MISP's machine-tag values (``tlp:amber+strict``)."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def label(self) -> str:
        """The marking as TLP 2.0 writes it, e.g. ``TLP:AMBER+STRICT``."""
        return f"TLP:{self.value.upper()}"

    @property
    def rank(self) -> int:
        """0 (CLEAR, least restrictive) to 4 (RED, most)."""
        return list(Tlp).index(self)

    @classmethod
    def parse(cls, value: str) -> Tlp:
        """Read ``amber``, ``TLP:AMBER``, ``tlp:amber+strict``... (case-insensitive)."""
        text = value.strip().lower()
        return cls(text.removeprefix("tlp:"))

    def at_least(self, other: Tlp) -> Tlp:
        """The more restrictive of ``self`` and ``other`` (a forwarded item never loosens its marking)."""
        return self if self.rank >= other.rank else other


#: Names of the onward-sharing rules (stable: they appear in refusals and tests).
RULE_RED = "tlp-red-no-onward-sharing"
RULE_AMBER_STRICT = "tlp-amber-strict-organisation-only"
RULE_AMBER = "tlp-amber-back-to-origin-only"


def onward_refusal(marking: Tlp, *, origin: str | None, recipient: str) -> tuple[str, str] | None:
    """Why an item marked ``marking`` may not go on to the node of ``recipient``: (rule, reason), or None.

    ``origin`` is the node the item came from (None: this node collected it, and the originator of a
    marking may share its own item with the recipients it chooses). For an item received from another
    node, read as TLP 2.0 read between nodes, each node being one organisation and the community being
    the nodes under an agreement (MISP's distribution levels in parentheses):

    - RED: for the individual recipients only, never passed on (stricter than MISP "your organisation");
    - AMBER+STRICT: need-to-know within the recipient's organisation only: never to another node
      (MISP "your organisation only": not pushed);
    - AMBER: within the organisation and its clients. The only other party with a need to know that this
      node can name is the originator, whose community of need-to-know it is: back to the originating
      node only, never sideways to a third node (MISP "this community": not pushed onward);
    - GREEN, CLEAR: within the community, i.e. to any peer under an agreement (the agreement check is
      the egress gate's; MISP "connected/all communities").
    """
    if origin is None:
        return None
    if marking is Tlp.RED:
        return RULE_RED, "TLP:RED is for the eyes of its individual recipients only: it is never passed on"
    if marking is Tlp.AMBER_STRICT:
        return (
            RULE_AMBER_STRICT,
            "TLP:AMBER+STRICT stays within the receiving organisation: it never goes to another node",
        )
    if marking is Tlp.AMBER and recipient != origin:
        return (
            RULE_AMBER,
            f"TLP:AMBER from {origin} may go back to {origin} only, not on to {recipient}",
        )
    return None
