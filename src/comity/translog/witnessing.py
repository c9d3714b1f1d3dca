"""The node's side of witnessing (C2SP tlog-witness): asking a witness to cosign the latest checkpoint.

The node sends ``old <size>``, the consistency proof from the witness's last cosigned size, and the
checkpoint. On 409 the witness names its size: if it is larger than the node's tree, the node's log was
rolled back; if it is the size just sent, the witness holds another root there; either way, and on a 422
(the witness's tree does not extend into ours), the log has shown two views and oversight is alerted.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.clock import Clock
from comity.errors import FieldError, InvalidInput, NotFound
from comity.translog.checkpoints import StoredCheckpoint, raise_split_view, stored_checkpoint
from comity.translog.errors import WitnessUnavailable
from comity.translog.model import CheckpointRow, CosignatureRow
from comity.translog.proofs import consistency_proof
from comity.verify.checkpoint import open_checkpoint
from comity.verify.errors import LogVerificationError
from comity.verify.note import COSIGNATURE_V1, NoteVerifier, parse_vkey

SIZE_MEDIA_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class CosignatureOutcome:
    """What a witness did with the latest checkpoint: cosigned it, or refused it (and why)."""

    checkpoint: StoredCheckpoint
    cosigned: bool
    refusal: str | None = None
    witness_size: int | None = None


def _witness_key(vkey: str) -> NoteVerifier:
    try:
        verifier = parse_vkey(vkey)
    except LogVerificationError as exc:
        raise InvalidInput("bad witness vkey", [FieldError("witness_vkey", exc.detail)]) from None
    if verifier.key_type != COSIGNATURE_V1:
        raise InvalidInput("not a witness key", [FieldError("witness_vkey", "expected a cosignature/v1 key")])
    return verifier


def last_cosigned_size(session: Session, *, witness_vkey: str) -> int:
    """The largest checkpoint size this witness cosigned for the node (0 if none)."""
    size = session.scalar(
        select(func.max(CheckpointRow.size))
        .join(CosignatureRow, CosignatureRow.checkpoint_id == CheckpointRow.id)
        .where(CosignatureRow.witness_vkey == witness_vkey)
    )
    return int(size or 0)


def _body(session: Session, row: CheckpointRow, old: int) -> str:
    proof = consistency_proof(session, first=old, second=row.size).hashes if old else ()
    lines = "".join(base64.b64encode(h).decode("ascii") + "\n" for h in proof)
    return f"old {old}\n{lines}\n{row.note}"


def _keep(session: Session, *, row: CheckpointRow, witness: NoteVerifier, answer: str, now: datetime) -> None:
    note = row.note + answer
    try:
        opened = open_checkpoint(note, row.vkey, origin=row.origin, witness_vkeys=[witness], quorum=1)
    except LogVerificationError as exc:
        raise WitnessUnavailable(
            f"the witness {witness.name} answered with no valid cosignature: {exc.detail}"
        ) from None
    for verified in opened.cosignatures:
        signature = next(
            s for s in opened.note.signatures if (s.name, s.key_id) == (witness.name, witness.key_id)
        )
        session.add(
            CosignatureRow(
                checkpoint_id=row.id,
                witness_name=witness.name,
                witness_vkey=witness.vkey,
                timestamp=verified.timestamp or 0,
                line=signature.line(),
                received_at=now,
            )
        )
    session.flush()


def request_cosignature(
    session: Session,
    *,
    clock: Clock,
    witness_url: str,
    witness_vkey: str,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
) -> CosignatureOutcome:
    """Have a witness cosign the latest checkpoint; keep the cosignature it returns.

    When the witness shows that the log rolled back or forked, oversight is alerted in the caller's
    transaction (commit it) and the outcome says why it refused. Raises :class:`WitnessUnavailable` when
    the witness cannot be reached or answers outside the protocol.
    """
    witness = _witness_key(witness_vkey)
    row = session.scalars(
        select(CheckpointRow).order_by(CheckpointRow.size.desc(), CheckpointRow.id.desc()).limit(1)
    ).first()
    if row is None:
        raise NotFound("no checkpoint to cosign yet: integrate the log first (comity log integrate)")
    old = min(last_cosigned_size(session, witness_vkey=witness.vkey), row.size)
    http = client or httpx.Client(timeout=timeout)
    url = witness_url.rstrip("/") + "/add-checkpoint"
    try:
        for _ in range(2):  # a second try from the size a 409 names
            try:
                response = http.post(url, content=_body(session, row, old).encode("utf-8"))
            except httpx.HTTPError as exc:
                raise WitnessUnavailable(f"witness {witness.name} at {url} unreachable: {exc}") from None
            if response.status_code == 200:
                _keep(session, row=row, witness=witness, answer=response.text, now=clock.now())
                return CosignatureOutcome(stored_checkpoint(session, row), cosigned=True)
            if response.status_code == 409 and response.headers.get("content-type", "").startswith(
                SIZE_MEDIA_TYPE
            ):
                witness_size = int(response.text.strip() or "0")
                if witness_size > row.size or witness_size == old:
                    return _refused(session, clock=clock, row=row, witness=witness, witness_size=witness_size)
                old = witness_size
                continue
            if response.status_code == 422:
                return _refused(session, clock=clock, row=row, witness=witness, witness_size=old)
            raise WitnessUnavailable(
                f"witness {witness.name} answered {response.status_code}: {response.text.strip()[:200]}"
            )
        raise WitnessUnavailable(f"witness {witness.name} kept naming other sizes")
    finally:
        if client is None:
            http.close()


def _refused(
    session: Session, *, clock: Clock, row: CheckpointRow, witness: NoteVerifier, witness_size: int
) -> CosignatureOutcome:
    if witness_size > row.size:
        message = (
            f"witness {witness.name} cosigned {row.origin} at size {witness_size}, larger than the log's "
            f"{row.size}: the log was rolled back"
        )
        kind = "log_rollback"
    else:
        message = (
            f"witness {witness.name} holds another tree of {row.origin} at size {witness_size} than the "
            f"log's checkpoint of size {row.size} extends: the log forked (split view)"
        )
        kind = "split_view"
    raise_split_view(
        session,
        clock=clock,
        origin=row.origin,
        size=witness_size,
        roots=(row.root_hash,),
        message=message,
        kind=kind,
    )
    return CosignatureOutcome(
        stored_checkpoint(session, row), cosigned=False, refusal=message, witness_size=witness_size
    )


def record_observed_checkpoint(session: Session, *, clock: Clock, note: str) -> bool:
    """Check a checkpoint of this log seen elsewhere (a peer, a bundle) against the ones the node signed.

    Returns True when consistent; raises the split-view alert and returns False when it has the size of a
    signed checkpoint but another root. The note must verify under a key this log used.
    """
    vkeys = session.scalars(select(CheckpointRow.vkey).distinct()).all()
    opened = None
    for vkey in vkeys:
        try:
            opened = open_checkpoint(note, vkey)
            break
        except LogVerificationError:
            continue
    if opened is None:
        raise InvalidInput(
            "not a checkpoint of this log", [FieldError("note", "no log key of this node signed it")]
        )
    checkpoint = opened.checkpoint
    ours = session.scalars(select(CheckpointRow).where(CheckpointRow.size == checkpoint.size)).all()
    differing = [r for r in ours if r.root_hash != checkpoint.root_hash]
    if differing:
        raise_split_view(
            session,
            clock=clock,
            origin=checkpoint.origin,
            size=checkpoint.size,
            roots=(differing[0].root_hash, checkpoint.root_hash),
        )
        return False
    return True
