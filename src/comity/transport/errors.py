"""Errors of the way out of a node: refusals by the egress gate and failed deliveries.

Failures to verify what arrives are members of the verification family (``comity.signing.errors``).
"""

from __future__ import annotations

from typing import Any

from comity.errors import ComityError, FieldError, PolicyRefused


class EgressRefused(PolicyRefused):
    """The egress gate refused to let something leave the node; ``path`` names the offending field."""

    title = "Refused at the border"
    type_slug = "egress-refused"

    def __init__(self, detail: str, *, path: str, **extensions: Any) -> None:
        super().__init__(detail, path=path, **extensions)
        self.path = path
        self.errors = [FieldError(path, detail)]


class DataCategoryNotPermitted(EgressRefused):
    """The agreement does not permit sharing this data category at all."""

    type_slug = "data-category-not-permitted"


class DeliveryFailed(ComityError):
    """The transport could not hand the message to the destination (unknown or unreachable peer)."""

    status = 502
    title = "Delivery failed"
    type_slug = "delivery-failed"
