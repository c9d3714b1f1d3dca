"""Offline verification of an evidence bundle: no database, no network.

Uses only :mod:`comity.verify` (log proofs, checkpoints), :mod:`comity.signing` (envelopes),
:mod:`comity.keys.truststore` (keys) and this package's DB-free payload and state-machine modules. Checks,
in order, and raises the first fault with its precise error:

1. the zip and its manifest are well formed; every file is listed and hashes to the listed SHA-256;
2. the trust store (pinned with ``trust``, else the bundle's own) loads; the log key is a node key of the
   exporting jurisdiction in it; the checkpoint is signed by that key, for the bundle's origin and tree size,
   with the required quorum of witness cosignatures;
3. per item: each envelope verifies against the trust store at its signing time, by the key of the actor it
   names; the events form an unbroken hash chain that the custody state machine allows, about the item's
   SHA-256, which its bytes have;
4. per event: its log entry is the audit event recording that very envelope, and is included in the
   checkpoint's tree;
5. personal data shipped in the bundle opens the commitments in the signed events.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from comity.custody import bundle_format as fmt
from comity.custody.bundle_chain import (
    ChainContext,
    ItemRef,
    PartResult,
    parse_items,
    raise_fault,
    verify_items,
)
from comity.custody.errors import BundleFileMissing, FileHashMismatch, MalformedBundle, UnlistedFile
from comity.custody.payload import HEX64, commitment
from comity.keys.truststore import TrustStore
from comity.signing.errors import UntrustedKey
from comity.signing.keys import KeyInfo, KeyPurpose
from comity.signing.payload import Fields, loads_strict
from comity.verify import (
    CommitmentMismatch,
    OpenedCheckpoint,
    TreeSizeMismatch,
    open_checkpoint,
    parse_vkey,
)

_READ_CHUNK = 1024 * 1024
#: The largest file of a bundle read into memory (envelopes, entries, proofs: about 1 kB per event).
MAX_READ_BYTES = 2 * 1024 * 1024 * 1024
#: Below this many events per process, forking costs more than it saves.
PARALLEL_MIN_EVENTS = 5_000
#: The chains being checked, set in the parent just before it forks its workers (see ``_chains``).
_CONTEXT: ChainContext | None = None
_REFS: list[ItemRef] = []


@dataclass
class BundleReport:
    """What a verified bundle proves."""

    case: str
    jurisdiction: str
    origin: str
    tree_size: int
    items: int = 0
    events: int = 0
    evidence_files: int = 0
    evidence_bytes: int = 0
    destroyed: int = 0
    cosigned_by: tuple[str, ...] = ()
    trust: str = "bundle"  # bundle: the bundle's own trust store; pinned: the one the verifier gave
    anchors: tuple[str, ...] = ()
    signers: set[str] = field(default_factory=set)


class _Bundle:
    """Checked access to the files of a bundle zip."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.zip = archive
        names = [info.filename for info in archive.infolist()]
        if len(names) != len(set(names)):
            raise MalformedBundle("the bundle lists a file twice")
        for name in names:
            if name.startswith("/") or ".." in name.split("/") or "\\" in name:
                raise MalformedBundle(f"unsafe file name in the bundle: {name[:120]!r}")
        self.names = set(names)
        self._read: dict[str, bytes] = {}

    def read(self, name: str) -> bytes:
        """The bytes of ``name`` (read whole: not for evidence), or :class:`BundleFileMissing`."""
        if name in self._read:
            return self._read[name]
        if name not in self.names:
            raise BundleFileMissing(f"{name} is missing from the bundle")
        # zipfile stops at the size the header states, so checking it bounds the memory a hostile
        # bundle (a small file that inflates hugely) can take.
        if self.zip.getinfo(name).file_size > MAX_READ_BYTES:
            raise MalformedBundle(f"{name} is larger than {MAX_READ_BYTES} bytes")
        self._read[name] = self.zip.read(name)
        return self._read[name]

    def sha256(self, name: str) -> str:
        """The SHA-256 of ``name``: evidence streamed, other files read once and kept for :meth:`read`."""
        if not name.startswith(fmt.EVIDENCE_DIR):
            return hashlib.sha256(self.read(name)).hexdigest()
        digest = hashlib.sha256()
        with self.zip.open(name) as handle:
            while chunk := handle.read(_READ_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def _lines(data: bytes, name: str) -> list[bytes]:
    if data and not data.endswith(b"\n"):
        raise MalformedBundle(f"{name}: the last line is not terminated")
    return data.split(b"\n")[:-1] if data else []


def _check_files(bundle: _Bundle, manifest: Fields) -> dict[str, str]:
    files = manifest.mapping("files")
    for name in sorted(bundle.names - {fmt.MANIFEST}):
        if name not in files:
            raise UnlistedFile(f"{name} is in the bundle but not in its manifest")
    for name, expected in sorted(files.items()):
        if not isinstance(expected, str) or not HEX64.match(expected):
            raise MalformedBundle(f"manifest.files[{name!r}]: expected a hex SHA-256")
        if name not in bundle.names:
            raise BundleFileMissing(f"{name} is listed in the manifest but missing from the bundle")
        actual = bundle.sha256(name)
        if actual != expected:
            raise FileHashMismatch(f"{name} hashes to {actual}, the manifest lists {expected}")
    return dict(files)


def _log_key_in_trust_store(trust: TrustStore, public_key: bytes, jurisdiction: str) -> KeyInfo:
    for key in trust.trusted_keys():
        if key.public_key == public_key and key.purpose is KeyPurpose.NODE_SIGNING:
            if key.holder.jurisdiction != jurisdiction:
                raise UntrustedKey(
                    f"the log key is a node key of {key.holder.jurisdiction}, not {jurisdiction}"
                )
            return key
    raise UntrustedKey(f"the log key is not a node_signing key of {jurisdiction} in the trust store")


def _open_log(
    bundle: _Bundle, manifest: Fields, trust: TrustStore, witness_quorum: int
) -> tuple[OpenedCheckpoint, str]:
    log = manifest.obj("log").only(("origin", "tree_size"))
    origin, size = log.text("origin"), log.integer("tree_size")
    vkey_text = bundle.read(fmt.LOG_VKEY).decode("utf-8", "replace").strip()
    vkey = parse_vkey(vkey_text)
    _log_key_in_trust_store(trust, vkey.public_key, manifest.text("jurisdiction"))
    witnesses = [
        line.strip()
        for line in bundle.read(fmt.WITNESSES).decode("utf-8", "replace").splitlines()
        if line.strip()
    ]
    opened = open_checkpoint(
        bundle.read(fmt.CHECKPOINT), vkey, origin=origin, witness_vkeys=witnesses, quorum=witness_quorum
    )
    if opened.checkpoint.size != size:
        raise TreeSizeMismatch(
            f"the manifest says tree size {size}; the checkpoint is of {opened.checkpoint.size}"
        )
    return opened, origin


def _check_personal(personal: dict[str, Any], commitments: dict[str, str | None]) -> None:
    for kind in ("items", "events"):
        records = personal.get(kind, {})
        if not isinstance(records, dict):
            raise MalformedBundle(f"{fmt.PERSONAL}: {kind} is not an object")
        for ref, record in records.items():
            if ref not in commitments:
                raise MalformedBundle(f"{fmt.PERSONAL}: {ref} is not an item or event of this bundle")
            fields = Fields(record, path=f"{fmt.PERSONAL}.{kind}.{ref}", error=MalformedBundle)
            fields.only(("salt", "fields"))
            salt, values = fields.text("salt", pattern=HEX64), fields.mapping("fields")
            if any(v is not None and not isinstance(v, str) for v in values.values()):
                raise MalformedBundle(f"{fmt.PERSONAL}.{kind}.{ref}: fields are strings or null")
            if commitment(bytes.fromhex(salt), values) != commitments[ref]:
                raise CommitmentMismatch(f"the personal data of {ref} does not open its signed commitment")


def verify_bundle(
    source: Path | IO[bytes],
    *,
    trust: TrustStore | None = None,
    witness_quorum: int = 0,
    workers: int = 1,
) -> BundleReport:
    """Verify the bundle at ``source`` offline; returns what it proves or raises the precise error.

    ``trust`` is a trust store the verifier pinned (default: the bundle's own); ``witness_quorum`` how many
    listed witnesses must have cosigned the checkpoint; ``workers`` how many processes may check chains
    (processes, since threads measured no faster with PyNaCl; bundles under :data:`PARALLEL_MIN_EVENTS`
    events per process are checked in this one).
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise MalformedBundle(f"not a readable zip file: {exc}") from None
    with archive:
        return _verify(_Bundle(archive), trust, witness_quorum, workers)


def _chains(ctx: ChainContext, refs: list[ItemRef], workers: int) -> PartResult:
    """Check every chain, in ``workers`` processes for large bundles; raise the earliest fault."""
    events = len(ctx.envelopes)
    workers = max(1, min(workers, events // PARALLEL_MIN_EVENTS))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        parts = [verify_items(ctx, refs)]
    else:
        # Split by events, not items, so each process gets a similar share of the signatures.
        bounds: list[tuple[int, int]] = []
        start, share = 0, events / workers
        for number, ref in enumerate(refs):
            if ref.start >= share * (len(bounds) + 1) and number > start:
                bounds.append((start, number))
                start = number
        bounds.append((start, len(refs)))
        global _CONTEXT, _REFS
        _CONTEXT, _REFS = ctx, refs  # inherited by the forked workers, never pickled
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=len(bounds), mp_context=context) as pool:
                parts = list(pool.map(_work, bounds))
        finally:
            _CONTEXT, _REFS = None, []
    total = PartResult()
    for part in parts:  # in item order: the first fault reported is the earliest in the bundle
        if part.fault is not None:
            raise_fault(part.fault)
        total.merge(part)
    return total


def _work(bounds: tuple[int, int]) -> PartResult:
    assert _CONTEXT is not None
    return verify_items(_CONTEXT, _REFS[bounds[0] : bounds[1]])


def _verify(bundle: _Bundle, trust: TrustStore | None, witness_quorum: int, workers: int) -> BundleReport:
    manifest = Fields(
        loads_strict(bundle.read(fmt.MANIFEST), what=fmt.MANIFEST, error=MalformedBundle),
        path="manifest",
        error=MalformedBundle,
    ).only(("format", "case", "jurisdiction", "exported_at", "log", "items", "files"))
    if manifest.raw("format") != fmt.FORMAT:
        raise MalformedBundle(f"manifest.format: expected {fmt.FORMAT}")
    files = _check_files(bundle, manifest)
    pinned = trust is not None
    trust = trust or TrustStore.from_json(bundle.read(fmt.TRUST_STORE))
    opened, origin = _open_log(bundle, manifest, trust, witness_quorum)
    checkpoint = opened.checkpoint
    envelopes = _lines(bundle.read(fmt.ENVELOPES), fmt.ENVELOPES)
    entries = _lines(bundle.read(fmt.ENTRIES), fmt.ENTRIES)
    proofs = _lines(bundle.read(fmt.PROOFS), fmt.PROOFS)
    refs = parse_items(
        manifest.array("items"), envelopes=len(envelopes), entries=len(entries), proofs=len(proofs)
    )
    context = ChainContext(
        trust=trust,
        case=manifest.text("case"),
        tree_size=checkpoint.size,
        root_hash=checkpoint.root_hash,
        files=files,
        envelopes=envelopes,
        entries=entries,
        proofs=proofs,
    )
    proven = _chains(context, refs, workers)
    if fmt.PERSONAL in bundle.names:
        personal = loads_strict(bundle.read(fmt.PERSONAL), what=fmt.PERSONAL, error=MalformedBundle)
        if not isinstance(personal, dict):
            raise MalformedBundle(f"{fmt.PERSONAL}: expected a JSON object")
        _check_personal(personal, proven.commitments)
    return BundleReport(
        case=context.case,
        jurisdiction=manifest.text("jurisdiction"),
        origin=origin,
        tree_size=checkpoint.size,
        items=proven.items,
        events=proven.events,
        evidence_files=proven.evidence_files,
        evidence_bytes=proven.evidence_bytes,
        destroyed=proven.destroyed,
        cosigned_by=tuple(sorted({c.verifier.name for c in opened.cosignatures})),
        trust="pinned" if pinned else "bundle",
        anchors=tuple(a.keyid for a in trust.anchors),
        signers=proven.signers,
    )
