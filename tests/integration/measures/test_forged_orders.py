"""The forged-order corpus: each broken order is refused by ``comity verify order`` with its own reason.

The corpus is built from a real node (registry, keys, an issued order), written to files, and checked by the
CLI offline with nothing but the exported trust store, as a platform would.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comity.cli.verify import app as verify_app
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.truststore import export_trust_store
from comity.kinds import AuthorityType
from comity.measures.orders import OrderContent, Party, sign_order
from comity.signing.keys import Ed25519Signer, KeyPurpose
from comity.signing.payload import format_time
from integration.measures.world import World

runner = CliRunner()


def _order(world: World, **overrides: object) -> OrderContent:
    now = world.clock.now().replace(microsecond=0)
    fields: dict[str, object] = {
        "order_id": "ord_forgery_test",
        "measure_id": "msr_x",
        "instruction": "apply",
        "measure": "removal_order",
        "step": "provisional_order",
        "regime": "dsa_order",
        "agreement": "dsa-eu5",
        "addressee": "bazaar-ltd",
        "issuing": Party("org_ie_police", "IE", AuthorityType.POLICE),
        "validating": None,
        "legal_basis": "Regulation (EU) 2022/2065 Art. 9",
        "territorial_scope": ("IE",),
        "target": "seller-77331",
        "data_category": None,
        "issued_at": now,
        "expires_at": now + timedelta(days=7),
        "respond_by": None,
        "provisional": True,
        "review_deadline": now + timedelta(days=7),
        "case_reference": world.case_id,
    }
    fields.update(overrides)
    return OrderContent(**fields)  # type: ignore[arg-type]


@pytest.fixture
def corpus(world: World, tmp_path: Path) -> dict[str, Path]:
    """Write the trust store and every order of the corpus to files."""
    files: dict[str, Path] = {}

    def write(name: str, data: bytes) -> None:
        files[name] = tmp_path / f"{name}.json"
        files[name].write_bytes(data)

    with world.tx() as session:
        police = world.keystore.signer(world.keyids["org_ie_police"])
        judge = world.keystore.signer(world.keyids["org_ie_court"])
        # A second police key, used once and then revoked (compromised).
        spare = keys.register_key(
            session,
            clock=world.clock,
            actor=SYSTEM_ACTOR,
            keystore=world.keystore,
            jurisdiction="IE",
            purpose=KeyPurpose.AUTHORITY_SIGNING,
            organisation="org_ie_police",
        )
        revoked_signer = world.keystore.signer(spare.keyid)
    # The genuine order, issued through the service (signed by the issuing police authority).
    issued = world.issued_provisional()
    assert issued.order_envelope is not None
    write("genuine", issued.order_envelope.encode())
    write(
        "genuine_judicial",
        sign_order(
            _order(
                world,
                order_id="ord_judicial",
                step="judicial_order",
                validating=Party("org_ie_court", "IE", AuthorityType.JUDGE),
            ),
            police,
            judge,
        ).to_json(),
    )
    # Altered payload: the target is swapped after signing.
    envelope = json.loads(issued.order_envelope)
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["target"] = "another-seller"
    envelope["payload"] = base64.b64encode(
        json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    ).decode()
    write("altered_payload", json.dumps(envelope).encode())
    # Untrusted key: a key no anchor of the trust store registered.
    write(
        "untrusted_key",
        sign_order(_order(world, order_id="ord_untrusted"), Ed25519Signer.generate()).to_json(),
    )
    # Revoked key: signed by the spare police key, which is then revoked.
    write("revoked_key", sign_order(_order(world, order_id="ord_revoked"), revoked_signer).to_json())
    with world.tx() as session:
        keys.revoke_key(
            session,
            clock=world.clock,
            actor=SYSTEM_ACTOR,
            keystore=world.keystore,
            keyid=spare.keyid,
            comment="suspected compromise",
        )
    # Not competent: a judicial order signed by police alone (no judge's key).
    write(
        "police_key_on_judicial_order",
        sign_order(_order(world, order_id="ord_police_judicial", step="judicial_order"), police).to_json(),
    )
    # Expired: its validity ended before the instant of verification.
    write(
        "expired",
        sign_order(
            _order(
                world,
                order_id="ord_expired",
                issued_at=world.clock.now().replace(microsecond=0) - timedelta(days=10),
                expires_at=world.clock.now().replace(microsecond=0) - timedelta(days=1),
            ),
            police,
        ).to_json(),
    )
    with world.tx() as session:
        store = export_trust_store(session, clock=world.clock, keystore=world.keystore, jurisdictions=["IE"])
    write("trust", store)
    files["seen"] = tmp_path / "seen.txt"
    return files


def _verify(
    world: World, corpus: dict[str, Path], name: str, addressee: str = "bazaar-ltd", seen: bool = False
) -> tuple[int, str]:
    at = format_time(world.clock.now() + timedelta(minutes=1))
    args = ["order", str(corpus[name]), "--trust", str(corpus["trust"]), "--addressee", addressee, "--at", at]
    if seen:
        args += ["--seen", str(corpus["seen"])]
    result = runner.invoke(verify_app, args)
    return result.exit_code, result.output


def test_the_genuine_order_verifies_offline(world: World, corpus: dict[str, Path]) -> None:
    code, out = _verify(world, corpus, "genuine", seen=True)
    assert code == 0, out
    assert "verified: order" in out
    assert "bazaar-ltd" in out
    code, out = _verify(world, corpus, "genuine_judicial")
    assert code == 0, out
    assert "validated by org_ie_court" in out


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("altered_payload", "bad_signature"),
        ("untrusted_key", "unknown_key"),
        ("revoked_key", "key_revoked"),
        ("police_key_on_judicial_order", "not_competent"),
        ("expired", "expired"),
    ],
)
def test_each_forgery_is_refused_with_its_own_reason(
    world: World, corpus: dict[str, Path], name: str, reason: str
) -> None:
    code, out = _verify(world, corpus, name, seen=True)
    assert code == 1, out
    assert f"NOT VERIFIED [{reason}]" in out
    # A refused order is never recorded as seen.
    assert not corpus["seen"].exists() or corpus["seen"].read_text() == ""


def test_wrong_addressee_is_refused(world: World, corpus: dict[str, Path]) -> None:
    code, out = _verify(world, corpus, "genuine", addressee="other-platform")
    assert code == 1
    assert "NOT VERIFIED [wrong_addressee]" in out


def test_a_replayed_order_is_refused(world: World, corpus: dict[str, Path]) -> None:
    assert _verify(world, corpus, "genuine", seen=True)[0] == 0
    code, out = _verify(world, corpus, "genuine", seen=True)
    assert code == 1
    assert "NOT VERIFIED [replayed]" in out
    assert corpus["seen"].read_text().count("ord_") == 1


# --- the committed corpus ------------------------------------------------------------------------------

CORPUS_DIR = Path(__file__).resolve().parents[2] / "assets" / "tampered" / "orders"
EXPECTED = {
    "genuine": None,
    "genuine_judicial": None,
    "altered_payload": "bad_signature",
    "untrusted_key": "unknown_key",
    "revoked_key": "key_revoked",
    "police_key_on_judicial_order": "not_competent",
    "expired": "expired",
}


def test_write_the_committed_corpus(world: World, corpus: dict[str, Path]) -> None:
    """The generator and the committed corpus agree on the cases and their verdicts; with
    COMITY_REGEN_ORDER_CORPUS=1 the fresh files replace ``tests/assets/tampered/orders``."""
    import os

    committed = json.loads((CORPUS_DIR / "manifest.json").read_text())
    assert committed["expected"] == EXPECTED
    assert {*EXPECTED, "trust"} <= set(corpus)
    if os.environ.get("COMITY_REGEN_ORDER_CORPUS") != "1":
        return
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for name in (*EXPECTED, "trust"):
        (CORPUS_DIR / f"{name}.json").write_bytes(corpus[name].read_bytes())
    manifest = {
        "verify_at": format_time(world.clock.now() + timedelta(minutes=1)),
        "addressee": "bazaar-ltd",
        "expected": EXPECTED,
    }
    (CORPUS_DIR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_committed_corpus(name: str, tmp_path: Path) -> None:
    """The committed files, checked with nothing but the committed trust store, as a platform would."""
    manifest = json.loads((CORPUS_DIR / "manifest.json").read_text())
    args = [
        "order",
        str(CORPUS_DIR / f"{name}.json"),
        "--trust",
        str(CORPUS_DIR / "trust.json"),
        "--addressee",
        manifest["addressee"],
        "--at",
        manifest["verify_at"],
        "--seen",
        str(tmp_path / "seen"),
    ]
    result = runner.invoke(verify_app, args)
    reason = manifest["expected"][name]
    if reason is None:
        assert result.exit_code == 0, result.output
        replay = runner.invoke(verify_app, args)
        assert "NOT VERIFIED [replayed]" in replay.output
    else:
        assert result.exit_code == 1
        assert f"NOT VERIFIED [{reason}]" in result.output
    other = runner.invoke(
        verify_app, [*args[:4], "--addressee", "other-platform", "--at", manifest["verify_at"]]
    )
    if reason is None:
        assert "NOT VERIFIED [wrong_addressee]" in other.output
