"""What evidence may be shared with which peer node, and how the messages carrying it are marked.

An item goes to a peer only when it was not retracted and its TLP lets it go there
(:func:`comity.transport.tlp.onward_refusal`: an item received from a peer is shared onward only as its
marking allows). A message carrying evidence is marked with the item's TLP, but never below TLP:AMBER:
evidence bytes are personal data, which the egress gate never lets out as GREEN or CLEAR; the item's own
marking travels signed in the facts and governs what the receiver may do with it.

The message types exchanged about evidence (transfer, receipt, retraction) are named here, for the
sending side (``transfer``, ``retraction``) and the handlers (``transfer_receive``, ``retraction``).
"""

from __future__ import annotations

from comity.custody.errors import OnwardSharingRefused
from comity.custody.model import EvidenceItem
from comity.errors import Conflict
from comity.transport.tlp import Tlp, onward_refusal

TRANSFER_KIND = "evidence_transfer"
RECEIVED_KIND = "evidence_received"
RETRACTION_KIND = "retraction"
#: Subject of the outbox rows of these messages (how a retraction finds where an item went).
SUBJECT_TYPE = "evidence"
#: Evidence bytes are personal data: the message carrying them is never marked below this.
MESSAGE_TLP_FLOOR = Tlp.AMBER


def check_shareable(item: EvidenceItem, *, recipient: str) -> None:
    """Refuse sending ``item`` to the node of ``recipient`` when retracted or when its TLP forbids it."""
    if item.retracted_at is not None:
        raise Conflict(
            f"evidence {item.id} was retracted by its originating node: it is never shared again",
            rule="retracted-never-shared",
        )
    refusal = onward_refusal(Tlp(item.tlp), origin=item.origin_node, recipient=recipient)
    if refusal is not None:
        rule, reason = refusal
        raise OnwardSharingRefused(
            f"evidence {item.id} came from {item.origin_node}: {reason} (rule {rule})", rule=rule
        )


def message_tlp(item_tlp: Tlp) -> Tlp:
    """The marking of a message carrying an item marked ``item_tlp``."""
    return item_tlp.at_least(MESSAGE_TLP_FLOOR)
