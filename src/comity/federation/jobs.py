"""Registers the HTTP deliverer of the federation channel and the dispatch of received messages."""

from __future__ import annotations

from comity.federation import dispatch as _dispatch  # noqa: F401  (registers ``federation_dispatch``)
from comity.federation.outbound import CHANNEL, HttpFederationDeliverer
from comity.worker.jobs import register_deliverer

register_deliverer(CHANNEL, HttpFederationDeliverer)
