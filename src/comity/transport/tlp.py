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
