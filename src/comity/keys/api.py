"""Key registry API and page: the public key directory and trust store; administration of keys."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from comity.errors import FieldError, Forbidden, InvalidInput, NotFound
from comity.identity.principal import Principal
from comity.keys import queries, service
from comity.keys.keystore import Keystore
from comity.keys.schemas import (
    AnchorCreate,
    AnchorRead,
    KeyCreate,
    KeyDirectory,
    KeyRead,
    KeyRevoke,
    KeyRotate,
)
from comity.keys.truststore import export_trust_store
from comity.signing.errors import CodedVerificationError
from comity.signing.keys import KeyPurpose
from comity.signing.payload import b64decode_strict
from comity.web.container import Container
from comity.web.deps import get_container, node_administrator, public
from comity.web.templating import add_navigation, templates

router = APIRouter(tags=["keys"])
pages = APIRouter(dependencies=[Depends(public)])

_admin = node_administrator


def _keystore(container: Container) -> Keystore:
    return Keystore.for_settings(container.settings)


def _public_key(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return b64decode_strict(value, field="public_key")
    except CodedVerificationError as exc:
        raise InvalidInput("public_key is not base64", [FieldError("public_key", exc.detail)]) from None


def _own_jurisdiction(principal: Principal, jurisdiction: str) -> None:
    # A node administrator manages the keys of their own jurisdiction; another's keys are that state's act.
    if principal.jurisdiction.upper() != jurisdiction.upper():
        raise Forbidden(
            f"administrators of {principal.jurisdiction} cannot manage the keys of {jurisdiction.upper()}"
        )


def _directory(session: Session, *, jurisdiction: str | None, purpose: KeyPurpose | None) -> KeyDirectory:
    anchors = [AnchorRead.model_validate(a) for a in queries.list_anchors(session)]
    keys = queries.list_keys(session, jurisdiction=jurisdiction, purpose=purpose)
    return KeyDirectory(anchors=anchors, keys=[KeyRead.model_validate(k) for k in keys])


@router.get("/keys", response_model=KeyDirectory, dependencies=[Depends(public)])
def key_directory(
    jurisdiction: str | None = None,
    purpose: KeyPurpose | None = None,
    container: Container = Depends(get_container),
) -> KeyDirectory:
    """The public directory of this node's registry: anchors and keys with their holders and periods."""
    with container.transaction() as session:
        return _directory(session, jurisdiction=jurisdiction, purpose=purpose)


@router.get("/keys/trust-store", dependencies=[Depends(public)], response_class=Response)
def trust_store(container: Container = Depends(get_container)) -> Response:
    """Download the pinned trust store platforms use to verify orders offline."""
    with container.transaction() as session:
        if not queries.list_anchors(session):
            raise NotFound("this node has no trust anchor yet")
        data = export_trust_store(session, clock=container.clock, keystore=_keystore(container))
    return Response(
        content=data,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="comity-trust-store.json"'},
    )


@router.get("/keys/{keyid}", response_model=KeyRead, dependencies=[Depends(public)])
def get_key(keyid: str, container: Container = Depends(get_container)) -> KeyRead:
    """One registered key."""
    with container.transaction() as session:
        return KeyRead.model_validate(queries.find_key(session, keyid))


@router.post("/keys/anchors", response_model=AnchorRead, status_code=201)
def create_anchor(
    body: AnchorCreate, principal: Principal = Depends(_admin), container: Container = Depends(get_container)
) -> AnchorRead:
    """Create the trust anchor of the administrator's jurisdiction."""
    _own_jurisdiction(principal, body.jurisdiction)
    with container.transaction() as session:
        anchor = service.create_anchor(
            session,
            clock=container.clock,
            actor=principal.actor,
            keystore=_keystore(container),
            jurisdiction=body.jurisdiction,
        )
        return AnchorRead.model_validate(anchor)


@router.post("/keys", response_model=KeyRead, status_code=201)
def register_key(
    body: KeyCreate, principal: Principal = Depends(_admin), container: Container = Depends(get_container)
) -> KeyRead:
    """Register a key under the jurisdiction's anchor (generated here unless a public key is given)."""
    _own_jurisdiction(principal, body.jurisdiction)
    with container.transaction() as session:
        key = service.register_key(
            session,
            clock=container.clock,
            actor=principal.actor,
            keystore=_keystore(container),
            jurisdiction=body.jurisdiction,
            purpose=body.purpose,
            organisation=body.organisation,
            authority_type=body.authority_type,
            officer=body.officer,
            valid_days=body.valid_days,
            public_key=_public_key(body.public_key),
            label=body.label,
        )
        return KeyRead.model_validate(key)


@router.post("/keys/{keyid}/revoke", response_model=KeyRead)
def revoke_key(
    keyid: str,
    body: KeyRevoke,
    principal: Principal = Depends(_admin),
    container: Container = Depends(get_container),
) -> KeyRead:
    """Revoke a key; the signed revocation is in the next trust store."""
    with container.transaction() as session:
        _own_jurisdiction(principal, queries.find_key(session, keyid).jurisdiction)
        key = service.revoke_key(
            session,
            clock=container.clock,
            actor=principal.actor,
            keystore=_keystore(container),
            keyid=keyid,
            comment=body.reason,
            reason=body.code,
            revoked_at=body.revoked_at,
        )
        return KeyRead.model_validate(key)


@router.post("/keys/{keyid}/rotate", response_model=KeyRead, status_code=201)
def rotate_key(
    keyid: str,
    body: KeyRotate,
    principal: Principal = Depends(_admin),
    container: Container = Depends(get_container),
) -> KeyRead:
    """Replace a key by a new one; the old key stays valid for the overlap. Returns the new key."""
    with container.transaction() as session:
        _own_jurisdiction(principal, queries.find_key(session, keyid).jurisdiction)
        key = service.rotate_key(
            session,
            clock=container.clock,
            actor=principal.actor,
            keystore=_keystore(container),
            keyid=keyid,
            overlap=timedelta(days=body.overlap_days),
            valid_days=body.valid_days,
            public_key=_public_key(body.public_key),
        )
        return KeyRead.model_validate(key)


add_navigation("/keys", "Keys")


@pages.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request, container: Container = Depends(get_container)) -> HTMLResponse:
    """The key directory as a page: anchors, keys, holders, periods and status now."""
    now = container.clock.now()
    with container.transaction() as session:
        anchors = list(queries.list_anchors(session))
        rows = [(key, key.effective_status(now)) for key in queries.list_keys(session)]
    return templates.TemplateResponse(
        request, "keys/index.html", {"title": "Keys", "anchors": anchors, "rows": rows, "now": now}
    )
