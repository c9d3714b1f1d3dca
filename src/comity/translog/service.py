"""The transparency log's use cases, in one place: what other capabilities call.

Sequencing (:func:`integrate_pending`), reading (:func:`leaf_for_audit_event`, :func:`inclusion_proof`,
:func:`consistency_proof`, :func:`latest_checkpoint`, :func:`log_vkey`), checking (:func:`verify_log`),
witnessing (:func:`request_cosignature`) and retention (:func:`forget_actors`). All take the caller's
session and keyword arguments; none commits.
"""

from __future__ import annotations

from comity.translog.checkpoints import (
    CheckpointSigner,
    LogSettings,
    StoredCheckpoint,
    checkpoint_at,
    latest_checkpoint,
    log_origin,
    log_vkey,
    node_log_signer,
)
from comity.translog.proofs import (
    MAX_PAGE,
    ConsistencyProof,
    InclusionProof,
    LogEntry,
    consistency_proof,
    entries,
    entry_at,
    inclusion_proof,
    leaf_for_audit_event,
)
from comity.translog.retention import actor_salt, forget_actors
from comity.translog.sequencer import DEFAULT_BATCH, IntegrationResult, integrate_pending, sign_head
from comity.translog.store import current_size
from comity.translog.verification import verify_log
from comity.translog.witnessing import CosignatureOutcome, record_observed_checkpoint, request_cosignature

__all__ = [
    "DEFAULT_BATCH",
    "MAX_PAGE",
    "CheckpointSigner",
    "ConsistencyProof",
    "CosignatureOutcome",
    "InclusionProof",
    "IntegrationResult",
    "LogEntry",
    "LogSettings",
    "StoredCheckpoint",
    "actor_salt",
    "checkpoint_at",
    "consistency_proof",
    "current_size",
    "entries",
    "entry_at",
    "forget_actors",
    "inclusion_proof",
    "integrate_pending",
    "latest_checkpoint",
    "leaf_for_audit_event",
    "log_origin",
    "log_vkey",
    "node_log_signer",
    "record_observed_checkpoint",
    "request_cosignature",
    "sign_head",
    "verify_log",
]
