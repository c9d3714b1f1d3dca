"""The content-addressed folder store: addresses, atomic writes, limits, hash checks on read."""

from __future__ import annotations

import hashlib
import io
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from comity.custody.errors import EvidenceCorrupted, EvidenceTooLarge
from comity.custody.store import FolderStore
from comity.errors import NotFound

DATA = b"evidence " * 100_000  # 900 kB, several chunks


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_put_files_bytes_under_their_sha256_with_fan_out(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    blob = store.put(io.BytesIO(DATA))
    digest = hashlib.sha256(DATA).hexdigest()
    assert (blob.sha256, blob.size) == (digest, len(DATA))
    assert _files(tmp_path) == [f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"]
    assert stat.S_IMODE(store.path_for(digest).stat().st_mode) == 0o600
    assert store.exists(digest)
    with store.open(digest) as reader:
        assert reader.read() == DATA
    assert b"".join(store.open(digest).chunks(4096)) == DATA


def test_identical_bytes_are_stored_once(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    first = store.put([DATA[:10], DATA[10:]])
    second = store.put(io.BytesIO(DATA))
    assert first == second
    assert len(_files(tmp_path)) == 1


def test_reading_checks_the_hash(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    blob = store.put([DATA])
    path = store.path_for(blob.sha256)
    path.write_bytes(DATA[:-1] + b"!")
    with (
        pytest.raises(EvidenceCorrupted, match="no longer hashes to its address"),
        store.open(blob.sha256) as r,
    ):
        r.read()
    # Streaming holds the last chunk back until the check passed: corrupted bytes never arrive whole.
    received = bytearray()

    def consume() -> None:
        for chunk in store.open(blob.sha256).chunks(4096):
            received.extend(chunk)

    with pytest.raises(EvidenceCorrupted):
        consume()
    assert len(received) < len(DATA)
    path.write_bytes(b"x")
    with pytest.raises(EvidenceCorrupted):
        b"".join(store.open(blob.sha256).chunks())


def test_an_aborted_or_oversized_upload_leaves_nothing(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    writer = store.writer(max_bytes=100)
    writer.write(b"a" * 60)
    assert _files(tmp_path) != []  # the temporary file, until the end
    with pytest.raises(EvidenceTooLarge, match="limit of 100 bytes"):
        writer.write(b"a" * 41)
    assert _files(tmp_path) == []
    with pytest.raises(ValueError, match="already committed or aborted"):
        writer.write(b"a")
    aborted = store.writer()
    aborted.write(b"partial")
    aborted.abort()
    assert _files(tmp_path) == []
    with pytest.raises(OSError, match="went away"):
        store.put(_chunks_then_failure())
    assert _files(tmp_path) == []


def _chunks_then_failure() -> Iterator[bytes]:
    yield b"first chunk"
    raise OSError("the client went away")


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    assert store.put([b"a" * 100], max_bytes=100).size == 100


def test_delete_and_bad_addresses(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    blob = store.put([DATA])
    assert store.delete(blob.sha256)
    assert not store.delete(blob.sha256)
    assert not store.exists(blob.sha256)
    with pytest.raises(NotFound, match="not in the store"):
        store.open(blob.sha256)
    with pytest.raises(NotFound, match="not a SHA-256"):
        store.open("../../etc/passwd")
