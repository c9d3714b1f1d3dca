"""The content-addressed evidence store: bytes filed under their SHA-256, behind one small interface.

:class:`EvidenceStore` is what the vault needs from a backend (a folder today; an object store could
implement the same): stream bytes in while hashing them, open them by digest, delete, test existence.
:class:`FolderStore` files each blob at ``<root>/sha256/ab/cd/<digest>`` (two fan-out levels keep folders
small). A blob is written to a temporary file under ``<root>/tmp``, flushed to disk, then hard-linked to
its address, so a reader sees either the complete blob or nothing, and a crash or a refused upload leaves
at most a temporary file. Reading re-hashes the bytes and fails at the end if they no longer match.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

from comity.config import Settings
from comity.custody.errors import EvidenceCorrupted, EvidenceTooLarge
from comity.errors import NotFound

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """What the store knows about a blob: its address (hex SHA-256) and size in bytes."""

    sha256: str
    size: int


class BlobWriter(Protocol):
    """An upload in progress: bytes go in with :meth:`write`, then :meth:`commit` or :meth:`abort`."""

    @property
    def written(self) -> int:
        """Bytes written so far."""
        ...

    def write(self, data: bytes) -> None:
        """Append ``data``; raises :class:`EvidenceTooLarge` (after aborting) past the limit."""
        ...

    def commit(self) -> StoredBlob:
        """Make the blob durable at its address and return it."""
        ...

    def abort(self) -> None:
        """Drop everything written (idempotent)."""
        ...


class BlobReader(Protocol):
    """A blob being read; hash-checked when read to the end."""

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all if negative); raises :class:`EvidenceCorrupted` at a bad end."""
        ...

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The whole blob in chunks, checked at the end."""
        ...

    def close(self) -> None:
        """Release the underlying file."""
        ...


class EvidenceStore(Protocol):
    """A content-addressed store of evidence bytes."""

    def writer(self, *, max_bytes: int | None = None) -> BlobWriter:
        """Start a streamed upload limited to ``max_bytes`` (no limit if None)."""
        ...

    def put(self, stream: BinaryIO | Iterable[bytes], *, max_bytes: int | None = None) -> StoredBlob:
        """Store everything ``stream`` yields; returns its digest and size."""
        ...

    def open(self, sha256: str) -> BlobReader:
        """Open the blob ``sha256`` for reading; :class:`NotFound` if absent."""
        ...

    def delete(self, sha256: str) -> bool:
        """Delete the blob; True if it existed."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        ...


def _check_digest(sha256: str) -> str:
    if not SHA256_PATTERN.match(sha256):
        raise NotFound(f"not a SHA-256 digest: {sha256[:80]!r}")
    return sha256


def _fsync_dir(path: Path) -> None:
    # The new directory entry (the rename or link) must be durable too, not only the file's bytes.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _FolderWriter:
    def __init__(self, store: FolderStore, max_bytes: int | None) -> None:
        self._store = store
        self._max = max_bytes
        self._hash = hashlib.sha256()
        self._written = 0
        store.tmp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._temp = store.tmp_dir / f"{secrets.token_hex(12)}.part"
        fd = os.open(self._temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    @property
    def written(self) -> int:
        """Bytes written so far."""
        return self._written

    def write(self, data: bytes) -> None:
        """Hash and append ``data``; past the limit, abort and raise :class:`EvidenceTooLarge`."""
        if self._file is None:
            raise ValueError("this upload was already committed or aborted")
        if self._max is not None and self._written + len(data) > self._max:
            self.abort()
            raise EvidenceTooLarge(
                f"evidence exceeds the limit of {self._max} bytes; nothing was stored", limit=self._max
            )
        self._hash.update(data)
        self._file.write(data)
        self._written += len(data)

    def commit(self) -> StoredBlob:
        """Flush, link the file to its address (kept if the same bytes are already there), return it."""
        if self._file is None:
            raise ValueError("this upload was already committed or aborted")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            digest = self._hash.hexdigest()
            final = self._store.path_for(digest)
            final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Same bytes already stored (content addressing deduplicates): the existing blob stands.
            with contextlib.suppress(FileExistsError):
                os.link(self._temp, final)
                _fsync_dir(final.parent)
            return StoredBlob(sha256=digest, size=self._written)
        finally:
            self.abort()

    def abort(self) -> None:
        """Close and delete the temporary file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> _FolderWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.abort()


class _VerifyingReader:
    """Reads a blob and checks, on reaching its end, that the bytes still hash to ``expected``."""

    def __init__(self, path: Path, expected: str) -> None:
        self._file = path.open("rb")
        self._expected = expected
        self._hash = hashlib.sha256()
        self._done = False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; at the end, :class:`EvidenceCorrupted` if the hash differs."""
        data = self._file.read(size)
        self._hash.update(data)
        if (not data or size < 0) and not self._done:
            self._done = True
            if self._hash.hexdigest() != self._expected:
                raise EvidenceCorrupted(
                    f"stored evidence {self._expected} no longer hashes to its address: "
                    "the store was altered or the disk failed",
                    sha256=self._expected,
                )
        return data

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The whole blob in chunks of ``size``, then closed; the check runs before the last chunk."""
        # One chunk is held back until the next is read, so the last one goes out only after the hash
        # check at the end passed: a reader of corrupted bytes never receives the whole (wrong) blob.
        try:
            pending = self.read(size)
            while pending:
                following = self.read(size)
                yield pending
                pending = following
        finally:
            self.close()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> _VerifyingReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class FolderStore:
    """An :class:`EvidenceStore` in a local folder (``settings.home / "evidence"`` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def tmp_dir(self) -> Path:
        """Where uploads in progress are written (same file system as the blobs, so links work)."""
        return self.root / "tmp"

    def path_for(self, sha256: str) -> Path:
        """Where the blob ``sha256`` lives."""
        digest = _check_digest(sha256)
        return self.root / "sha256" / digest[:2] / digest[2:4] / digest

    def writer(self, *, max_bytes: int | None = None) -> _FolderWriter:
        """Start a streamed upload (see :class:`BlobWriter`)."""
        return _FolderWriter(self, max_bytes)

    def put(self, stream: BinaryIO | Iterable[bytes], *, max_bytes: int | None = None) -> StoredBlob:
        """Store a file object or an iterable of chunks."""
        with self.writer(max_bytes=max_bytes) as writer:
            if hasattr(stream, "read"):
                reader: BinaryIO = stream  # type: ignore[assignment]
                while chunk := reader.read(CHUNK_SIZE):
                    writer.write(chunk)
            else:
                for chunk in stream:
                    writer.write(chunk)
            return writer.commit()

    def open(self, sha256: str) -> _VerifyingReader:
        """Open a blob for hash-checked reading."""
        path = self.path_for(sha256)
        if not path.is_file():
            raise NotFound(f"evidence {sha256} is not in the store")
        return _VerifyingReader(path, sha256)

    def delete(self, sha256: str) -> bool:
        """Delete a blob (the caller checks no other live item references it)."""
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self.path_for(sha256).is_file()

    def size(self, sha256: str) -> int:
        """Size in bytes of a stored blob."""
        return self.path_for(sha256).stat().st_size


def folder_store_for(settings: Settings) -> FolderStore:
    """The evidence store of the node configured by ``settings`` (``settings.home / "evidence"``)."""
    return FolderStore(settings.home / "evidence")
