"""Evidence bundles: exported from a node, verified offline; every tampering refused with its own error."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from comity.cli.main import app as cli
from comity.clock import FixedClock
from comity.custody import bundle_format as fmt
from comity.custody.bundle_verify import verify_bundle
from comity.errors import VerificationError
from comity.keys.truststore import TrustStore
from comity.signing.envelope import Envelope, PayloadType, sign
from comity.signing.keys import Ed25519Signer
from comity.translog.checkpoints import CheckpointSigner
from comity.verify.checkpoint import Checkpoint, parse_checkpoint
from comity.verify.note import parse_note
from conftest import START
from integration.custody.custody_support import BuiltCase, build_case, standalone_node
from support import empty_all_tables


@pytest.fixture(scope="module")
def built(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltCase]:
    """One case exported once for the whole module; the database is emptied right after."""
    directory = tmp_path_factory.mktemp("bundle")
    node = standalone_node(engine, directory / "home", FixedClock(START))
    try:
        yield build_case(node, directory)
    finally:
        empty_all_tables(engine)


def test_an_exported_bundle_verifies_offline(built: BuiltCase) -> None:
    report = verify_bundle(built.bundle)
    assert (report.case, report.items, report.events) == ("case_1", 2, built.events)
    assert report.events == 8  # 6 events of the first item, 2 of the destroyed one
    assert (report.evidence_files, report.destroyed, report.trust) == (1, 1, "bundle")
    assert len(report.signers) == 2
    assert report.cosigned_by == ("witness.example/w1",)
    pinned = verify_bundle(built.bundle, trust=TrustStore.load(built.trust_store), witness_quorum=1)
    assert pinned.trust == "pinned"


def test_the_verifier_needs_no_database_and_no_node(built: BuiltCase, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
    env["COMITY_DATABASE_URL"] = "postgresql://nobody@192.0.2.1:1/none"  # unreachable: never opened
    env["COMITY_HOME"] = str(tmp_path / "empty")
    result = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "verify", "bundle", str(built.bundle), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verified"] is True
    assert not (tmp_path / "empty").exists()


def test_the_cli_prints_a_summary_or_the_fault(built: BuiltCase, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["verify", "bundle", str(built.bundle), "--trust", str(built.trust_store)])
    assert ok.exit_code == 0, ok.output
    assert "verified: case case_1, 2 item(s), 8 custody event(s)" in ok.output
    quorum = runner.invoke(cli, ["verify", "bundle", str(built.bundle), "--witness-quorum", "2"])
    assert quorum.exit_code == 1
    assert "[quorum_not_met]" in quorum.output
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    bad = runner.invoke(cli, ["verify", "bundle", str(broken)])
    assert bad.exit_code == 1
    assert "[malformed_bundle]" in bad.output


# -- the tampered corpus ------------------------------------------------------------------------------


@dataclass
class Files:
    """The files of a bundle, to alter and repack."""

    data: dict[str, bytes]

    def lines(self, name: str) -> list[bytes]:
        return self.data[name].split(b"\n")[:-1]

    def set_lines(self, name: str, lines: list[bytes]) -> None:
        self.data[name] = b"".join(line + b"\n" for line in lines)

    @property
    def manifest(self) -> dict[str, object]:
        value = json.loads(self.data[fmt.MANIFEST])
        assert isinstance(value, dict)
        return value

    def set_manifest(self, manifest: dict[str, object]) -> None:
        self.data[fmt.MANIFEST] = json.dumps(manifest).encode()

    def relist(self, *names: str) -> None:
        """Update the manifest's hashes of ``names``, as a forger covering their tracks would."""
        manifest = self.manifest
        files = manifest["files"]
        assert isinstance(files, dict)
        for name in names:
            files[name] = hashlib.sha256(self.data[name]).hexdigest()
        self.set_manifest(manifest)

    def evidence_name(self) -> str:
        return next(n for n in self.data if n.startswith(fmt.EVIDENCE_DIR))


Tamper = Callable[[Files, BuiltCase], None]


def _swap_file_only(files: Files, built: BuiltCase) -> None:
    files.data[files.evidence_name()] = b"<html>another page</html>"


def _swap_file_and_manifest(files: Files, built: BuiltCase) -> None:
    name = files.evidence_name()
    files.data[name] = b"<html>another page</html>"
    files.relist(name)


def _alter_envelope(files: Files, built: BuiltCase) -> None:
    lines = files.lines(fmt.ENVELOPES)
    envelope = json.loads(lines[2])
    payload = json.loads(Envelope.from_obj(envelope).payload)
    payload["counterparty"] = "org_someone_else"
    envelope["payload"] = Envelope(PayloadType.CUSTODY_EVENT, json.dumps(payload).encode(), ()).to_obj()[
        "payload"
    ]
    lines[2] = json.dumps(envelope).encode()
    files.set_lines(fmt.ENVELOPES, lines)
    files.relist(fmt.ENVELOPES)


def _resign(files: Files, signer: Ed25519Signer) -> None:
    lines = files.lines(fmt.ENVELOPES)
    original = Envelope.from_json(lines[1])
    lines[1] = sign(original.payload, PayloadType.CUSTODY_EVENT, signer).to_json()
    files.set_lines(fmt.ENVELOPES, lines)
    files.relist(fmt.ENVELOPES)


def _resign_unknown_key(files: Files, built: BuiltCase) -> None:
    _resign(files, Ed25519Signer.generate())


def _resign_other_officer(files: Files, built: BuiltCase) -> None:
    _resign(files, built.other_officer)  # a trusted key, but not the key of the officer who acted


def _reorder_chain(files: Files, built: BuiltCase) -> None:
    for name in (fmt.ENVELOPES, fmt.ENTRIES, fmt.PROOFS):
        lines = files.lines(name)
        lines[1], lines[2] = lines[2], lines[1]
        files.set_lines(name, lines)
    files.relist(fmt.ENVELOPES, fmt.ENTRIES, fmt.PROOFS)


def _drop_event(files: Files, built: BuiltCase) -> None:
    for name in (fmt.ENVELOPES, fmt.ENTRIES, fmt.PROOFS):
        lines = files.lines(name)
        del lines[1]
        files.set_lines(name, lines)
    manifest = files.manifest
    items = manifest["items"]
    assert isinstance(items, list)
    items[0]["events"] -= 1
    files.set_manifest(manifest)
    files.relist(fmt.ENVELOPES, fmt.ENTRIES, fmt.PROOFS)


def _swap_leaf(files: Files, built: BuiltCase) -> None:
    for name in (fmt.ENTRIES, fmt.PROOFS):  # a valid entry and proof, of another event
        lines = files.lines(name)
        lines[1] = lines[3]
        files.set_lines(name, lines)
    files.relist(fmt.ENTRIES, fmt.PROOFS)


def _alter_proof(files: Files, built: BuiltCase) -> None:
    lines = files.lines(fmt.PROOFS)
    index, _first, *rest = lines[0].split(b" ")
    lines[0] = b" ".join([index, hashlib.sha256(b"forged").hexdigest().encode(), *rest])
    files.set_lines(fmt.PROOFS, lines)
    files.relist(fmt.PROOFS)


def _checkpoint_of_another_origin(files: Files, built: BuiltCase) -> None:
    note = parse_note(files.data[fmt.CHECKPOINT])
    checkpoint = parse_checkpoint(note.text)
    forged = CheckpointSigner(origin="rogue.example/log", signer=Ed25519Signer.generate())
    files.data[fmt.CHECKPOINT] = forged.sign(
        Checkpoint(origin=forged.origin, size=checkpoint.size, root_hash=checkpoint.root_hash)
    ).encode()
    files.relist(fmt.CHECKPOINT)


def _checkpoint_root_altered(files: Files, built: BuiltCase) -> None:
    text = files.data[fmt.CHECKPOINT].decode()
    origin, size, _root, rest = text.split("\n", 3)
    forged_root = base64.b64encode(hashlib.sha256(b"other tree").digest()).decode()
    files.data[fmt.CHECKPOINT] = "\n".join((origin, size, forged_root, rest)).encode()
    files.relist(fmt.CHECKPOINT)


def _wrong_tree_size(files: Files, built: BuiltCase) -> None:
    manifest = files.manifest
    log = manifest["log"]
    assert isinstance(log, dict)
    log["tree_size"] += 1
    files.set_manifest(manifest)


def _missing_key(files: Files, built: BuiltCase) -> None:
    store = json.loads(files.data[fmt.TRUST_STORE])
    store["keys"] = [k for k in store["keys"] if b"officer_signing" not in Envelope.from_obj(k).payload]
    files.data[fmt.TRUST_STORE] = json.dumps(store).encode()
    files.relist(fmt.TRUST_STORE)


def _log_key_swapped(files: Files, built: BuiltCase) -> None:
    note = parse_note(files.data[fmt.CHECKPOINT])
    checkpoint = parse_checkpoint(note.text)
    rogue = CheckpointSigner(origin=checkpoint.origin, signer=Ed25519Signer.generate())
    files.data[fmt.CHECKPOINT] = rogue.sign(checkpoint).encode()
    files.data[fmt.LOG_VKEY] = rogue.verifier.vkey.encode() + b"\n"
    files.relist(fmt.CHECKPOINT, fmt.LOG_VKEY)


def _personal_data_altered(files: Files, built: BuiltCase) -> None:
    personal = json.loads(files.data[fmt.PERSONAL])
    record = next(iter(personal["items"].values()))
    record["fields"]["source"] = "http://innocent.example/"
    files.data[fmt.PERSONAL] = json.dumps(personal).encode()
    files.relist(fmt.PERSONAL)


def _file_added(files: Files, built: BuiltCase) -> None:
    files.data["evidence/extra"] = b"planted"


def _file_removed(files: Files, built: BuiltCase) -> None:
    del files.data[files.evidence_name()]


def _stale_cosignature(files: Files, built: BuiltCase) -> None:
    # The witness's cosignature of an earlier, smaller checkpoint of this log, put on the exported one.
    lines = files.data[fmt.CHECKPOINT].decode().splitlines(keepends=True)
    witness = next(i for i, line in enumerate(lines) if "witness.example/w1" in line)
    lines[witness] = built.stale_cosignature + "\n"
    files.data[fmt.CHECKPOINT] = "".join(lines).encode()
    files.relist(fmt.CHECKPOINT)


CORPUS: dict[str, tuple[Tamper, str]] = {
    "evidence file swapped": (_swap_file_only, "file_hash_mismatch"),
    "evidence file swapped, manifest rewritten": (_swap_file_and_manifest, "evidence_hash_mismatch"),
    "envelope altered": (_alter_envelope, "bad_signature"),
    "re-signed with an unknown key": (_resign_unknown_key, "unknown_key"),
    "re-signed with another officer's key": (_resign_other_officer, "signer_mismatch"),
    "chain reordered": (_reorder_chain, "chain_broken"),
    "event removed": (_drop_event, "chain_broken"),
    "log entry of another event": (_swap_leaf, "leaf_mismatch"),
    "inclusion proof altered": (_alter_proof, "inclusion_mismatch"),
    "checkpoint of another origin": (_checkpoint_of_another_origin, "wrong_origin"),
    "checkpoint root altered": (_checkpoint_root_altered, "bad_note_signature"),
    "wrong tree size": (_wrong_tree_size, "tree_size_mismatch"),
    "missing key": (_missing_key, "untrusted_key"),
    "log key swapped": (_log_key_swapped, "untrusted_key"),
    "personal data altered": (_personal_data_altered, "commitment_mismatch"),
    "file added": (_file_added, "unlisted_file"),
    "file removed": (_file_removed, "file_missing"),
    "stale cosignature": (_stale_cosignature, "cosignature_mismatch"),
}


def _tampered(built: BuiltCase, tamper: Tamper, out: Path) -> Path:
    with zipfile.ZipFile(built.bundle) as archive:
        files = Files({name: archive.read(name) for name in archive.namelist()})
    tamper(files, built)
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.data.items():
            archive.writestr(name, data)
    return out


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_every_tampering_is_refused_with_its_error(built: BuiltCase, tmp_path: Path, case: str) -> None:
    tamper, code = CORPUS[case]
    path = _tampered(built, tamper, tmp_path / "tampered.zip")
    with pytest.raises(VerificationError) as caught:
        verify_bundle(path, witness_quorum=1)
    assert caught.value.extensions.get("code") == code, caught.value.detail


def test_an_untouched_repack_still_verifies(built: BuiltCase, tmp_path: Path) -> None:
    path = _tampered(built, lambda files, built: None, tmp_path / "repacked.zip")
    assert verify_bundle(path, witness_quorum=1).events == built.events


#: The committed corpus: each tampered bundle as a file, with the error it must be refused with.
CORPUS_DIR = Path(__file__).resolve().parents[2] / "assets" / "tampered" / "bundles"


def _slug(case: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in case.lower()).strip("-").replace("--", "-")


def test_the_committed_corpus_is_refused_file_by_file() -> None:
    """Every stored tampered bundle is refused offline with its own error; the stored genuine one verifies."""
    manifest = json.loads((CORPUS_DIR / "manifest.json").read_text())
    assert set(manifest["expected"]) == {f"{_slug(case)}.zip" for case in CORPUS}
    assert verify_bundle(CORPUS_DIR / manifest["genuine"], witness_quorum=1).events > 0
    for name, code in manifest["expected"].items():
        with pytest.raises(VerificationError) as caught:
            verify_bundle(CORPUS_DIR / name, witness_quorum=1)
        assert caught.value.extensions.get("code") == code, f"{name}: {caught.value.detail}"


def test_the_generator_agrees_with_the_committed_corpus(built: BuiltCase, tmp_path: Path) -> None:
    """Freshly tampered bundles get the verdicts the committed manifest states (same cases, same codes).

    With COMITY_REGEN_BUNDLE_CORPUS=1 the fresh files replace the committed ones.
    """
    committed = json.loads((CORPUS_DIR / "manifest.json").read_text())
    fresh: dict[str, str] = {}
    for case, (tamper, code) in sorted(CORPUS.items()):
        name = f"{_slug(case)}.zip"
        path = _tampered(built, tamper, tmp_path / name)
        with pytest.raises(VerificationError) as caught:
            verify_bundle(path, witness_quorum=1)
        fresh[name] = str(caught.value.extensions.get("code"))
        assert fresh[name] == code
    assert fresh == committed["expected"]
    if os.environ.get("COMITY_REGEN_BUNDLE_CORPUS") == "1":
        for name in fresh:
            (CORPUS_DIR / name).write_bytes((tmp_path / name).read_bytes())
        (CORPUS_DIR / "genuine.zip").write_bytes(built.bundle.read_bytes())
