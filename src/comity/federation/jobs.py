"""Registers the HTTP deliverer of the federation channel, the dispatch of received messages, the
distribution of shared pseudonym keys and the purge of handled messages' content."""

from __future__ import annotations

from comity.federation import dispatch as _dispatch  # noqa: F401  (registers ``federation_dispatch``)
from comity.federation import pseudonyms as _pseudonyms  # noqa: F401  (registers ``federation.pseudonyms``)
from comity.federation import retention as _retention  # noqa: F401  (registers ``federation.retention``)
from comity.federation.outbound import CHANNEL, HttpFederationDeliverer
from comity.worker.jobs import register_deliverer

register_deliverer(CHANNEL, HttpFederationDeliverer)
