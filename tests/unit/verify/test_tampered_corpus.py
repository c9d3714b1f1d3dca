"""The tampered-log corpus: every case is detected with its own error code; the untampered ones verify."""

from __future__ import annotations

import base64
import filecmp
import importlib.util
import json
from pathlib import Path

import pytest

from comity.verify import (
    LogVerificationError,
    verify_checkpoint,
    verify_checkpoint_consistency,
    verify_entry_in_checkpoint,
    verify_log_entries,
)

CORPUS = Path(__file__).parents[2] / "assets" / "tampered" / "log"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "case.json").exists())


def _run(folder: Path) -> None:
    case = json.loads((folder / "case.json").read_text())
    read = lambda name: (folder / name).read_text()  # noqa: E731
    vkey = read("log.vkey").strip()
    if case["kind"] == "entries":
        entries = [base64.b64decode(line) for line in read("entries.b64").splitlines()]
        verify_log_entries(entries, read("checkpoint.note"), vkey)
    elif case["kind"] == "inclusion":
        proof = json.loads(read("proof.json"))
        verify_entry_in_checkpoint(
            base64.b64decode(read("entry.b64").strip()),
            proof["index"],
            [bytes.fromhex(h) for h in proof["hashes"]],
            read("checkpoint.note"),
            vkey,
            tree_size=proof["tree_size"],
        )
    elif case["kind"] == "consistency":
        hashes = [bytes.fromhex(h) for h in json.loads(read("proof.json"))["hashes"]]
        verify_checkpoint_consistency(read("old.note"), read("new.note"), hashes, vkey)
    else:
        verify_checkpoint(
            read("checkpoint.note"), vkey, witness_vkeys=[read("witness.vkey").strip()], quorum=1
        )


def test_the_corpus_has_every_required_case() -> None:
    names = {p.name for p in CASES}
    required = {"reordered", "truncated", "one-byte-changed", "resigned-other-key", "duplicated-entry"}
    required |= {"forked-log", "wrong-tree-size", "other-origin", "stale-cosignature"}
    assert required <= names


@pytest.mark.parametrize("folder", CASES, ids=lambda p: p.name)
def test_each_case_gives_its_verdict(folder: Path) -> None:
    expect = json.loads((folder / "case.json").read_text())["expect"]
    if not expect:
        _run(folder)
        return
    with pytest.raises(LogVerificationError) as caught:
        _run(folder)
    assert caught.value.code == expect, caught.value.detail


def test_the_corpus_is_what_its_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(tmp_path)
    for folder in CASES:
        comparison = filecmp.dircmp(folder, tmp_path / folder.name)
        differences = [*comparison.diff_files, *comparison.left_only, *comparison.right_only]
        assert not differences, folder.name
