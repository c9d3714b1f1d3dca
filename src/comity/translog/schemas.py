"""JSON shapes of the log API. Hashes are lowercase hex, entry bytes standard base64."""

from __future__ import annotations

import base64

from pydantic import BaseModel, ConfigDict, Field

from comity.translog.proofs import ConsistencyProof, InclusionProof, LogEntry


class InclusionProofRead(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str = Field(description="hex SHA-256 leaf hash (RFC 9162: SHA-256(0x00 || entry))")
    hashes: list[str] = Field(description="hex audit path, RFC 9162 order (sibling first)")
    root_hash: str

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionProofRead:
        """The JSON form of an inclusion proof."""
        return cls(
            index=proof.index,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            hashes=[h.hex() for h in proof.hashes],
            root_hash=proof.root_hash.hex(),
        )


class ConsistencyProofRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: int = Field(alias="from")
    second: int = Field(alias="to")
    hashes: list[str]
    first_root: str
    second_root: str

    @classmethod
    def of(cls, proof: ConsistencyProof) -> ConsistencyProofRead:
        """The JSON form of a consistency proof."""
        return cls(
            first=proof.first,
            second=proof.second,
            hashes=[h.hex() for h in proof.hashes],
            first_root=proof.first_root.hex(),
            second_root=proof.second_root.hex(),
        )


class EntryRead(BaseModel):
    index: int
    data: str = Field(description="the exact leaf bytes, base64")
    leaf_hash: str

    @classmethod
    def of(cls, entry: LogEntry) -> EntryRead:
        """The JSON form of an entry."""
        return cls(
            index=entry.index,
            data=base64.b64encode(entry.data).decode("ascii"),
            leaf_hash=entry.leaf_hash.hex(),
        )


class EntriesPage(BaseModel):
    start: int
    end: int
    tree_size: int
    entries: list[EntryRead]
