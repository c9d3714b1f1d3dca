"""The transparency log's public read API: checkpoint, verifier key, proofs and entries.

Everything here is public by design: the log holds hashes and commitments only.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from comity.errors import NotFound
from comity.translog import service
from comity.translog.schemas import ConsistencyProofRead, EntriesPage, EntryRead, InclusionProofRead
from comity.web.container import Container
from comity.web.deps import get_container, public

router = APIRouter(tags=["transparency log"], dependencies=[Depends(public)])


@router.get("/log/checkpoint", response_class=PlainTextResponse)
def checkpoint(container: Container = Depends(get_container)) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP tlog-checkpoint signed note) with its witness cosignatures."""
    with container.transaction() as session:
        latest = service.latest_checkpoint(session)
    if latest is None:
        raise NotFound("the log has no checkpoint yet")
    return PlainTextResponse(latest.note, headers={"Cache-Control": "no-cache"})


@router.get("/log/vkey", response_class=PlainTextResponse)
def vkey(container: Container = Depends(get_container)) -> PlainTextResponse:
    """The C2SP verifier key (vkey) of the log's checkpoints."""
    with container.transaction() as session:
        text = service.log_vkey(session, settings=container.settings, at=container.clock.now())
    return PlainTextResponse(text + "\n")


@router.get("/log/proof/inclusion", response_model=InclusionProofRead)
def inclusion(
    index: int = Query(..., ge=0, description="leaf index"),
    tree_size: int | None = Query(None, ge=1, description="default: the latest checkpoint's size"),
    container: Container = Depends(get_container),
) -> InclusionProofRead:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size``."""
    with container.transaction() as session:
        proof = service.inclusion_proof(session, index=index, tree_size=tree_size)
    return InclusionProofRead.of(proof)


@router.get("/log/proof/consistency", response_model=ConsistencyProofRead, response_model_by_alias=True)
def consistency(
    first: int = Query(..., alias="from", ge=0),
    second: int = Query(..., alias="to", ge=0),
    container: Container = Depends(get_container),
) -> ConsistencyProofRead:
    """RFC 9162 consistency proof between the trees of sizes ``from`` and ``to``."""
    with container.transaction() as session:
        proof = service.consistency_proof(session, first=first, second=second)
    return ConsistencyProofRead.of(proof)


@router.get("/log/entries", response_model=EntriesPage)
def entries(
    start: int = Query(0, ge=0),
    end: int = Query(..., ge=0, description=f"exclusive; at most {service.MAX_PAGE} entries per page"),
    container: Container = Depends(get_container),
) -> EntriesPage:
    """Entries ``[start, end)``: their exact leaf bytes."""
    with container.transaction() as session:
        rows = service.entries(session, start=start, end=end)
        size = service.current_size(session)
    return EntriesPage(start=start, end=end, tree_size=size, entries=[EntryRead.of(e) for e in rows])
