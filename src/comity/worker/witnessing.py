"""A worker job that has the node's log checkpoints cosigned by the witnesses its config file names.

Each tick, for each witness, the latest checkpoint is sent (C2SP tlog-witness ``add-checkpoint``) unless
that witness already cosigned it. A witness that cannot be reached is logged and tried again next tick;
a refusal showing a rollback or a split view raises the oversight alert in the same transaction
(:func:`comity.translog.service.request_cosignature`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from comity.errors import NotFound
from comity.translog import service
from comity.translog.errors import WitnessUnavailable
from comity.translog.model import CheckpointRow, CosignatureRow
from comity.web.container import Container
from comity.worker.jobs import Job

log = logging.getLogger("comity.worker")

JOB_NAME = "translog.witness"


@dataclass(frozen=True)
class WitnessTarget:
    """A witness the node asks to cosign its checkpoints: its submission prefix and cosignature vkey."""

    url: str
    vkey: str


def _already_cosigned(container: Container, vkey: str) -> bool | None:
    """Whether the latest checkpoint carries this witness's cosignature (None: no checkpoint yet)."""
    with container.transaction() as session:
        latest = session.scalars(
            select(CheckpointRow).order_by(CheckpointRow.size.desc(), CheckpointRow.id.desc()).limit(1)
        ).first()
        if latest is None:
            return None
        cosigned = session.scalar(
            select(CosignatureRow.id).where(
                CosignatureRow.checkpoint_id == latest.id, CosignatureRow.witness_vkey == vkey
            )
        )
        return cosigned is not None


def witnessing_job(witnesses: Sequence[WitnessTarget], *, timeout: float = 5.0) -> Job:
    """The job for these witnesses; it returns how many cosignatures it obtained."""
    targets = tuple(witnesses)

    def job(container: Container) -> int:
        obtained = 0
        for witness in targets:
            if _already_cosigned(container, witness.vkey) in (None, True):
                continue
            try:
                with container.transaction() as session:
                    outcome = service.request_cosignature(
                        session,
                        clock=container.clock,
                        witness_url=witness.url,
                        witness_vkey=witness.vkey,
                        timeout=timeout,
                    )
            except (WitnessUnavailable, NotFound) as exc:
                log.warning("witness not reached", extra={"witness": witness.url, "error": exc.detail})
                continue
            if outcome.cosigned:
                obtained += 1
            else:
                log.error("witness refused the checkpoint", extra={"refusal": outcome.refusal})
        return obtained

    return job
