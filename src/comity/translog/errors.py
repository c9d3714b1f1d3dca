"""Errors of the node's log service that are not verification failures."""

from __future__ import annotations

from comity.errors import ComityError


class WitnessUnavailable(ComityError):
    """A witness could not be reached or answered outside the tlog-witness protocol."""

    status = 502
    title = "Witness unavailable"
    type_slug = "witness-unavailable"
