"""Registers the HTTP deliverer of the federation channel with the worker."""

from __future__ import annotations

from comity.federation.outbound import CHANNEL, HttpFederationDeliverer
from comity.worker.jobs import register_deliverer

register_deliverer(CHANNEL, HttpFederationDeliverer)
