"""The key registry on a real database: anchors, registration, rotation, revocation, export, audit."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from comity.audit.model import AuditEvent
from comity.clock import FixedClock
from comity.errors import Conflict, InvalidInput, NotFound
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import queries, service
from comity.keys.keystore import Keystore
from comity.keys.model import KeyStatement, KeyStatus, RegisteredKey, TrustAnchor
from comity.keys.truststore import TrustStore, export_trust_store
from comity.kinds import JUDICIAL_AUTHORITIES, AuthorityType, OrganisationKind
from comity.signing import errors as errs
from comity.signing.checks import require_authority
from comity.signing.envelope import Envelope, PayloadType, sign, verify
from comity.signing.keys import Algorithm, Ed25519Signer, KeyPurpose, KeyRing, RevocationReason
from comity.transport.sealing import open_sealed, seal
from comity.web.container import Container

AUTHORITY = {KeyPurpose.AUTHORITY_SIGNING}
OrgFactory = Callable[..., str]


def _keystore(container: Container) -> Keystore:
    return Keystore.for_settings(container.settings)


def _clock(container: Container) -> FixedClock:
    assert isinstance(container.clock, FixedClock)
    return container.clock


def _anchor(container: Container, jurisdiction: str = "IE") -> TrustAnchor:
    with container.transaction() as session:
        return service.create_anchor(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=_keystore(container),
            jurisdiction=jurisdiction,
        )


def _register(container: Container, **kwargs: object) -> RegisteredKey:
    options: dict[str, object] = {"jurisdiction": "IE", "purpose": KeyPurpose.NODE_SIGNING}
    options.update(kwargs)
    with container.transaction() as session:
        return service.register_key(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=_keystore(container),
            **options,  # type: ignore[arg-type]
        )


def _tags(container: Container) -> list[str]:
    with container.transaction() as session:
        return list(session.scalars(select(AuditEvent.tag).order_by(AuditEvent.seq)))


def _store(container: Container) -> TrustStore:
    with container.transaction() as session:
        data = export_trust_store(session, clock=container.clock, keystore=_keystore(container))
    return TrustStore.from_json(data)


def test_anchor_is_created_once_per_jurisdiction_and_audited(keys_container: Container) -> None:
    anchor = _anchor(keys_container, "ie")
    assert anchor.jurisdiction == "IE"
    assert _keystore(keys_container).has(anchor.keyid)
    with pytest.raises(Conflict, match="already has an active trust anchor"):
        _anchor(keys_container, "IE")
    with pytest.raises(InvalidInput):
        _anchor(keys_container, "Ireland")
    assert _tags(keys_container) == ["keys:anchor:created"]


def test_registration_needs_an_anchor(keys_container: Container) -> None:
    with pytest.raises(NotFound, match="no trust anchor for IE"):
        _register(keys_container)


def test_authority_key_takes_its_authority_type_from_the_organisation(
    keys_container: Container, make_org: OrgFactory
) -> None:
    _anchor(keys_container)
    police = make_org(authority_type=AuthorityType.POLICE)
    key = _register(keys_container, purpose=KeyPurpose.AUTHORITY_SIGNING, organisation=police)
    assert key.authority_type == "police"
    assert key.status == KeyStatus.ACTIVE
    assert key.algorithm == Algorithm.ED25519
    assert key.valid_until - key.valid_from == timedelta(days=service.DEFAULT_VALIDITY_DAYS)
    with keys_container.transaction() as session:
        statement = session.scalars(select(KeyStatement).where(KeyStatement.keyid == key.keyid)).one()
        anchor_info = queries.active_anchor(session, "IE").to_key_info()
    verified = verify(
        Envelope.from_json(statement.envelope),
        keys=KeyRing([anchor_info]),
        expected_type=PayloadType.KEY_REGISTRATION,
        purposes={KeyPurpose.TRUST_ANCHOR},
        at=keys_container.clock.now(),
    )
    assert verified.fields().obj("holder").text("authority_type") == "police"
    assert "keys:key:registered" in _tags(keys_container)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"purpose": KeyPurpose.AUTHORITY_SIGNING}, InvalidInput, "must name its authority type"),
        (
            {
                "purpose": KeyPurpose.AUTHORITY_SIGNING,
                "organisation": "police",
                "authority_type": AuthorityType.JUDGE,
            },
            InvalidInput,
            "is a police authority, not judge",
        ),
        ({"purpose": KeyPurpose.AUTHORITY_SIGNING, "organisation": "foreign"}, InvalidInput, "belongs to FR"),
        (
            {"purpose": KeyPurpose.AUTHORITY_SIGNING, "organisation": "org_missing"},
            NotFound,
            "no organisation",
        ),
        ({"authority_type": AuthorityType.JUDGE}, InvalidInput, "not an authority's key"),
        ({"officer": "usr_1"}, InvalidInput, "only officer keys"),
        ({"valid_days": 0}, InvalidInput, "validity"),
        ({"public_key": b"short"}, InvalidInput, "32 bytes"),
    ],
)
def test_registration_refusals_write_nothing(
    keys_container: Container,
    make_org: OrgFactory,
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    _anchor(keys_container)
    orgs = {"police": make_org(), "foreign": make_org(jurisdiction="FR")}
    if kwargs.get("organisation") in orgs:
        kwargs = {**kwargs, "organisation": orgs[str(kwargs["organisation"])]}
    with pytest.raises(error, match=message):
        _register(keys_container, **kwargs)
    with keys_container.transaction() as session:
        assert session.scalars(select(RegisteredKey)).all() == []
        assert session.scalars(select(KeyStatement)).all() == []
    assert _tags(keys_container) == ["keys:anchor:created"]


def test_private_keys_never_reach_the_database(keys_container: Container) -> None:
    anchor = _anchor(keys_container)
    key = _register(keys_container)
    secrets = [
        base64.b64encode(_keystore(keys_container).signer(keyid).seed).decode()
        for keyid in (anchor.keyid, key.keyid)
    ]
    with keys_container.transaction() as session:
        rows = [*session.scalars(select(RegisteredKey)), *session.scalars(select(KeyStatement))]
        dump = " ".join(str(vars(row)) for row in rows)
    assert all(secret not in dump for secret in secrets)
    path = keys_container.settings.home / "keys" / f"{key.keyid}.json"
    assert path.stat().st_mode & 0o077 == 0


def test_rotation_keeps_the_old_key_until_the_cutover(keys_container: Container) -> None:
    _anchor(keys_container)
    old = _register(keys_container)
    clock = _clock(keys_container)
    clock.advance(timedelta(days=30))
    with keys_container.transaction() as session:
        new = service.rotate_key(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            keystore=_keystore(keys_container),
            keyid=old.keyid,
            overlap=timedelta(days=2),
        )
        cutover = clock.now().replace(microsecond=0) + timedelta(days=2)
        refreshed = queries.find_key(session, old.keyid)
        assert refreshed.status == KeyStatus.SUPERSEDED
        assert refreshed.replaced_by == new.keyid
        assert refreshed.revoked_at == cutover
        assert new.replaces == old.keyid
        assert queries.current_key(
            session, purpose=KeyPurpose.NODE_SIGNING, jurisdiction="IE", at=clock.now()
        ).keyid == (new.keyid)
        signer = queries.signer_for(
            session,
            keystore=_keystore(keys_container),
            purpose=KeyPurpose.NODE_SIGNING,
            jurisdiction="IE",
            at=clock.now(),
        )
        assert signer.keyid == new.keyid
    store = _store(keys_container)
    store.resolve(old.keyid, cutover - timedelta(seconds=1))
    with pytest.raises(errs.KeyRevoked, match=f"superseded by {new.keyid}"):
        store.resolve(old.keyid, cutover)
    assert store.resolve(new.keyid, cutover).keyid == new.keyid
    with keys_container.transaction() as session, pytest.raises(Conflict, match="register a new key instead"):
        service.rotate_key(
            session, clock=clock, actor=SYSTEM_ACTOR, keystore=_keystore(keys_container), keyid=old.keyid
        )
    assert _tags(keys_container)[-2:] == ["keys:key:registered", "keys:key:rotated"]


def test_revocation_is_signed_exported_and_final(keys_container: Container, make_org: OrgFactory) -> None:
    _anchor(keys_container)
    judge_org = make_org(authority_type=AuthorityType.JUDGE)
    key = _register(keys_container, purpose=KeyPurpose.AUTHORITY_SIGNING, organisation=judge_org)
    clock = _clock(keys_container)
    signed_before = sign(
        b'{"order_id":"ord_1"}', PayloadType.ORDER, _keystore(keys_container).signer(key.keyid)
    )
    clock.advance(timedelta(days=3))
    with keys_container.transaction() as session, pytest.raises(InvalidInput, match="cannot be scheduled"):
        service.revoke_key(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            keystore=_keystore(keys_container),
            keyid=key.keyid,
            comment="lost token",
            revoked_at=clock.now() + timedelta(days=1),
        )
    with keys_container.transaction() as session:
        revoked = service.revoke_key(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            keystore=_keystore(keys_container),
            keyid=key.keyid,
            comment="signing token lost",
            reason=RevocationReason.KEY_COMPROMISE,
            revoked_at=clock.now() - timedelta(days=1),
        )
        assert revoked.status == KeyStatus.REVOKED
        backdated = revoked.revoked_at
    with keys_container.transaction() as session, pytest.raises(Conflict, match="already revoked"):
        service.revoke_key(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            keystore=_keystore(keys_container),
            keyid=key.keyid,
            comment="again",
        )
    store = _store(keys_container)
    assert backdated is not None
    ok = store.verify(
        signed_before, expected_type=PayloadType.ORDER, purposes=AUTHORITY, at=backdated - timedelta(hours=1)
    )
    require_authority(ok.key, allowed=JUDICIAL_AUTHORITIES, act="a removal order")
    with pytest.raises(errs.KeyRevoked, match="key_compromise"):
        store.verify(signed_before, expected_type=PayloadType.ORDER, purposes=AUTHORITY, at=clock.now())
    assert _tags(keys_container)[-1] == "keys:key:revoked"


def test_a_holder_kept_key_and_an_encryption_key(keys_container: Container, make_org: OrgFactory) -> None:
    _anchor(keys_container)
    officer_token = Ed25519Signer.generate()
    officer = _register(
        keys_container,
        purpose=KeyPurpose.OFFICER_SIGNING,
        organisation=make_org(authority_type=AuthorityType.CUSTOMS),
        officer="usr_7",
        public_key=officer_token.public_key,
    )
    assert officer.keyid == officer_token.keyid
    assert not officer.private_key_held
    assert not _keystore(keys_container).has(officer.keyid)
    with keys_container.transaction() as session, pytest.raises(InvalidInput, match="successor's public key"):
        service.rotate_key(
            session,
            clock=keys_container.clock,
            actor=SYSTEM_ACTOR,
            keystore=_keystore(keys_container),
            keyid=officer.keyid,
        )
    encryption = _register(keys_container, purpose=KeyPurpose.NODE_ENCRYPTION)
    assert encryption.algorithm == Algorithm.X25519
    with keys_container.transaction() as session:
        keyid, private = queries.decryption_key_for(
            session, keystore=_keystore(keys_container), jurisdiction="IE", at=keys_container.clock.now()
        )
    assert keyid == encryption.keyid
    info = _store(keys_container).lookup(encryption.keyid)
    assert open_sealed(seal(b"secret", recipient=info), key=private) == b"secret"


def test_trust_store_export_round_trip(
    keys_container: Container, make_org: OrgFactory, tmp_path: Path
) -> None:
    _anchor(keys_container, "IE")
    _anchor(keys_container, "FR")
    ie_judge = _register(
        keys_container,
        purpose=KeyPurpose.AUTHORITY_SIGNING,
        organisation=make_org(authority_type=AuthorityType.JUDGE),
    )
    fr_node = _register(keys_container, jurisdiction="FR")
    with keys_container.transaction() as session:
        only_fr = export_trust_store(
            session, clock=keys_container.clock, keystore=_keystore(keys_container), jurisdictions=["fr"]
        )
        everything = export_trust_store(
            session, clock=keys_container.clock, keystore=_keystore(keys_container)
        )
    path = tmp_path / "trust.json"
    path.write_bytes(everything)
    store = TrustStore.load(path)
    assert store.problems == {}
    assert {k.keyid for k in store.trusted_keys()} == {ie_judge.keyid, fr_node.keyid}
    assert (
        store.resolve(ie_judge.keyid, keys_container.clock.now()).holder.authority_type is AuthorityType.JUDGE
    )
    fr_store = TrustStore.from_json(only_fr)
    with pytest.raises(errs.UnknownKey):
        fr_store.lookup(ie_judge.keyid)
    assert fr_store.lookup(fr_node.keyid).holder.jurisdiction == "FR"


def test_platform_organisation_may_hold_no_authority_key(
    keys_container: Container, make_org: OrgFactory
) -> None:
    _anchor(keys_container)
    platform = make_org(OrganisationKind.PLATFORM, authority_type=None)
    with pytest.raises(InvalidInput, match="must name its authority type"):
        _register(keys_container, purpose=KeyPurpose.AUTHORITY_SIGNING, organisation=platform)
