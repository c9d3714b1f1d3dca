"""The evidence vault API: streamed upload and download, custody events, legal holds. No business rules.

Upload is the raw request body (any media type) with the metadata in the query string, streamed to the
store while it is hashed: nothing is buffered whole, and an upload over ``COMITY_EVIDENCE_MAX_BYTES`` is
refused with 413 leaving nothing behind. The database transaction starts only once the bytes are stored.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from comity.alerts import service as alerts
from comity.alerts.model import AlertAudience, AlertSeverity
from comity.custody import access, holds, retraction, service
from comity.custody import transfer as evidence_transfer
from comity.custody.actors import require_custodian
from comity.custody.errors import EvidenceCorrupted, EvidenceTooLarge
from comity.custody.schemas import (
    CustodyEventCreate,
    CustodyEventRead,
    DestroyRequest,
    EvidenceDetail,
    EvidenceRead,
    HoldCreate,
    HoldRead,
    HoldRelease,
    RetractionRead,
    RetractRequest,
    TransferCreate,
    TransferRead,
)
from comity.custody.store import CHUNK_SIZE, FolderStore, StoredBlob, folder_store_for
from comity.errors import FieldError, InvalidInput
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.keys.keystore import Keystore
from comity.kinds import DataCategory, Role
from comity.transport.tlp import Tlp
from comity.web.container import Container
from comity.web.deps import get_container, require

router = APIRouter(tags=["evidence"])
log = logging.getLogger("comity.custody")
_CUSTODIANS = (Role.OFFICER, Role.JUDGE)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "description": "the evidence bytes, streamed; the Content-Type is kept as the media type",
    }
}


async def _stream_to_store(request: Request, store: FolderStore, limit: int) -> StoredBlob:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise EvidenceTooLarge(
            f"evidence of {declared} bytes exceeds the limit of {limit} bytes", limit=limit
        )
    writer = await run_in_threadpool(store.writer, max_bytes=limit)
    try:
        buffer = bytearray()
        async for chunk in request.stream():
            buffer += chunk
            # Batch small network chunks so each thread hop writes a useful amount.
            if len(buffer) >= CHUNK_SIZE:
                await run_in_threadpool(writer.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await run_in_threadpool(writer.write, bytes(buffer))
        if writer.written == 0:
            raise InvalidInput("the evidence is empty", [FieldError("body", "no bytes were sent")])
        return await run_in_threadpool(writer.commit)
    finally:
        writer.abort()


@router.post(
    "/evidence", response_model=EvidenceRead, status_code=status.HTTP_201_CREATED, openapi_extra=_UPLOAD_BODY
)
async def upload(
    request: Request,
    kind: service.EvidenceKind = Query(...),
    case_id: str = Query(..., max_length=120),
    data_category: DataCategory = Query(...),
    tlp: Tlp = Query(..., description="TLP 2.0: clear, green, amber, amber+strict, red"),
    legal_authority: str = Query(..., max_length=200, description="warrant, order or statute"),
    retention_until: datetime = Query(..., description="keep until (ISO 8601 with a zone)"),
    source: str | None = Query(None, max_length=4000, description="where it was collected (personal data)"),
    filename: str | None = Query(None, max_length=255),
    description: str | None = Query(None, max_length=4000),
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> EvidenceRead:
    """Upload evidence (officers and judges of this node's jurisdiction); records ``collected``."""
    settings = container.settings
    media_type = (request.headers.get("content-type") or "application/octet-stream").split(";")[0].strip()
    metadata = service.NewEvidence(
        kind=kind,
        case_id=case_id,
        data_category=data_category,
        tlp=tlp,
        legal_authority=legal_authority,
        retention_until=retention_until,
        media_type=media_type.lower(),
        source=source,
        filename=filename,
        description=description,
    )
    # Every refusal that does not depend on the bytes happens before any byte is read.
    require_custodian(principal, node_jurisdiction=settings.node_jurisdiction)
    if retention_until.tzinfo is None:
        raise InvalidInput("times carry a zone", [FieldError("query.retention_until", "add Z or +hh:mm")])
    service.check_new_evidence(metadata, now=container.clock.now())

    def _check_case() -> None:
        with container.transaction() as session:
            access.case_for_evidence(session, principal, case_id, at=container.clock.now(), write=True)

    await run_in_threadpool(_check_case)
    store = folder_store_for(settings)
    blob = await _stream_to_store(request, store, settings.evidence_max_bytes)

    def _record() -> EvidenceRead:
        with container.transaction() as session:
            item = service.collect(
                session,
                clock=container.clock,
                keystore=Keystore.for_settings(settings),
                principal=principal,
                node_jurisdiction=settings.node_jurisdiction,
                blob=blob,
                metadata=metadata,
            )
            return EvidenceRead.of(item, holds.hold_reasons(session, item, at=container.clock.now()))

    def _discard() -> None:
        with container.transaction() as session:
            service.discard_upload(session, store=store, blob=blob)

    try:
        return await run_in_threadpool(_record)
    except BaseException:
        await run_in_threadpool(_discard)
        raise


@router.get("/evidence", response_model=list[EvidenceRead])
def list_evidence(
    case_id: str = Query(..., max_length=120),
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> list[EvidenceRead]:
    """The evidence of a case (the listing is audited)."""
    now = container.clock.now()
    with container.transaction() as session:
        items = service.list_for_case(
            session,
            clock=container.clock,
            principal=principal,
            node_jurisdiction=container.settings.node_jurisdiction,
            case_id=case_id,
        )
        return [EvidenceRead.of(i, holds.hold_reasons(session, i, at=now)) for i in items]


@router.get("/evidence/{evidence_id}", response_model=EvidenceDetail)
def read_evidence(
    evidence_id: str,
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> EvidenceDetail:
    """An item and its chain of custody (the read is audited)."""
    with container.transaction() as session:
        item, events = service.read_item(
            session, clock=container.clock, principal=principal, evidence_id=evidence_id
        )
        return EvidenceDetail(
            item=EvidenceRead.of(item, holds.hold_reasons(session, item, at=container.clock.now())),
            events=[CustodyEventRead.of(e) for e in events],
        )


def _alert_corruption(container: Container, evidence_id: str, sha256: str) -> None:
    with container.transaction() as session:
        alerts.raise_alert(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            kind="evidence_corrupted",
            severity=AlertSeverity.CRITICAL,
            subject_type="evidence",
            subject_id=evidence_id,
            audience=AlertAudience.OVERSIGHT,
            message=f"stored bytes of evidence {evidence_id} no longer hash to {sha256}",
            dedup_key=f"evidence_corrupted:{evidence_id}",
        )


@router.get(
    "/evidence/{evidence_id}/content",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download(
    evidence_id: str,
    purpose: str | None = Query(None, max_length=2000, description="why (kept with the accessed event)"),
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> StreamingResponse:
    """Stream the bytes; records a signed ``accessed`` event first. ``Repr-Digest`` carries the SHA-256."""
    with container.transaction() as session:
        item = service.open_content(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            principal=principal,
            evidence_id=evidence_id,
            purpose=purpose,
        )
        sha256, size, media_type = item.sha256, item.size_bytes, item.media_type
    reader = folder_store_for(container.settings).open(sha256)

    def _chunks() -> Iterator[bytes]:
        try:
            yield from reader.chunks()
        except EvidenceCorrupted:
            # The client sees a truncated response (Content-Length is set); oversight is told why.
            log.error("evidence %s failed its hash check while being served", evidence_id)
            _alert_corruption(container, evidence_id, sha256)
            raise

    digest = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
    headers = {
        "Content-Length": str(size),
        "Repr-Digest": f"sha-256=:{digest}:",
        "ETag": f'"{sha256}"',
        "Content-Disposition": f'attachment; filename="{evidence_id}"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(_chunks(), media_type=media_type, headers=headers)


@router.get("/evidence/{evidence_id}/events", response_model=list[CustodyEventRead])
def list_events(
    evidence_id: str,
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> list[CustodyEventRead]:
    """The chain of custody of an item, with each signed envelope."""
    with container.transaction() as session:
        _, events = service.read_item(
            session, clock=container.clock, principal=principal, evidence_id=evidence_id
        )
        return [CustodyEventRead.of(e) for e in events]


@router.post(
    "/evidence/{evidence_id}/events", response_model=CustodyEventRead, status_code=status.HTTP_201_CREATED
)
def record_event(
    evidence_id: str,
    body: CustodyEventCreate,
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> CustodyEventRead:
    """Record a custody act signed with the caller's key (409 if the chain of custody forbids it)."""
    with container.transaction() as session:
        event = service.record_action(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            principal=principal,
            evidence_id=evidence_id,
            action=body.action,
            note=body.note,
            counterparty=body.counterparty,
            started_at=body.started_at,
            ended_at=body.ended_at,
        )
        return CustodyEventRead.of(event)


@router.post(
    "/evidence/{evidence_id}/transfer", response_model=TransferRead, status_code=status.HTTP_201_CREATED
)
def transfer(
    evidence_id: str,
    body: TransferCreate,
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> TransferRead:
    """Transfer a sealed item to a peer node: signed ``transferred`` event and queued message, at once.

    403 when the item's TLP forbids sending it on, 409 when it is not sealed or was retracted, 413 when
    it is larger than one message carries, 422 when the agreement does not permit its data category.
    """
    with container.transaction() as session:
        done = evidence_transfer.transfer(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            store=folder_store_for(container.settings),
            principal=principal,
            node=container.settings.node_jurisdiction.upper(),
            evidence_id=evidence_id,
            to=body.to,
            agreement_id=body.agreement_id,
            note=body.note,
        )
        return TransferRead(event=CustodyEventRead.of(done.event), message_id=done.message_id)


@router.post(
    "/evidence/{evidence_id}/retract", response_model=RetractionRead, status_code=status.HTTP_201_CREATED
)
def retract(
    evidence_id: str,
    body: RetractRequest,
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> RetractionRead:
    """Retract an item this node originated: every peer it was transferred to is told, and passes it on."""
    with container.transaction() as session:
        done = retraction.retract(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            principal=principal,
            node=container.settings.node_jurisdiction.upper(),
            evidence_id=evidence_id,
            reason=body.reason,
        )
        assert done.item.retracted_at is not None  # set by retract
        return RetractionRead(
            evidence_id=done.item.id,
            retracted_at=done.item.retracted_at,
            notified=done.messages,
            not_notified=done.not_notified,
        )


@router.post(
    "/evidence/{evidence_id}/destroy", response_model=CustodyEventRead, status_code=status.HTTP_201_CREATED
)
def destroy(
    evidence_id: str,
    body: DestroyRequest,
    principal: Principal = Depends(require(*_CUSTODIANS)),
    container: Container = Depends(get_container),
) -> CustodyEventRead:
    """Destroy the bytes now (409 under a legal hold); the record stays until retention ends."""
    with container.transaction() as session:
        event = service.destroy_by_officer(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            principal=principal,
            evidence_id=evidence_id,
            reason=body.reason,
        )
        result = CustodyEventRead.of(event)
        sha256 = service.get_item(session, evidence_id).sha256
    with container.transaction() as session:
        service.delete_unreferenced(session, store=folder_store_for(container.settings), sha256=sha256)
    return result


@router.post("/legal-holds", response_model=HoldRead, status_code=status.HTTP_201_CREATED)
def place_hold(
    body: HoldCreate,
    principal: Principal = Depends(require(Role.JUDGE, Role.ADMINISTRATOR)),
    container: Container = Depends(get_container),
) -> HoldRead:
    """Place a legal hold on an item or a case (judges and administrators)."""
    with container.transaction() as session:
        hold = holds.place_hold(
            session,
            clock=container.clock,
            principal=principal,
            node_jurisdiction=container.settings.node_jurisdiction,
            reason=body.reason,
            evidence_id=body.evidence_id,
            case_id=body.case_id,
            until=body.until,
        )
        return HoldRead.of(hold)


@router.get("/legal-holds", response_model=list[HoldRead])
def list_holds(
    evidence_id: str | None = Query(None, max_length=40),
    case_id: str | None = Query(None, max_length=120),
    principal: Principal = Depends(require(Role.JUDGE, Role.ADMINISTRATOR, Role.OFFICER)),
    container: Container = Depends(get_container),
) -> list[HoldRead]:
    """Holds in force on the cases you may read, optionally for one item or case."""
    with container.transaction() as session:
        found = holds.visible_holds(
            session,
            principal=principal,
            at=container.clock.now(),
            node_jurisdiction=container.settings.node_jurisdiction,
            evidence_id=evidence_id,
            case_id=case_id,
        )
        return [HoldRead.of(h) for h in found]


@router.post("/legal-holds/{hold_id}/release", response_model=HoldRead)
def release_hold(
    hold_id: str,
    body: HoldRelease,
    principal: Principal = Depends(require(Role.JUDGE, Role.ADMINISTRATOR)),
    container: Container = Depends(get_container),
) -> HoldRead:
    """Release a hold early, with the reason."""
    with container.transaction() as session:
        hold = holds.release_hold(
            session,
            clock=container.clock,
            principal=principal,
            node_jurisdiction=container.settings.node_jurisdiction,
            hold_id=hold_id,
            reason=body.reason,
        )
        return HoldRead.of(hold)
