"""Offline bundle verification on bundles built without a node (the benchmark's builder, real formats)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from benchmarks.bench_bundle import T0, build_bundle, legal_actions, synthetic_node

from comity.custody import bundle_verify
from comity.custody.bundle_verify import verify_bundle
from comity.custody.states import CustodyAction
from comity.errors import VerificationError
from comity.kinds import AuthorityType
from comity.signing.keys import Ed25519Signer, Holder, KeyPurpose


def _code(path: Path, **options: object) -> str:
    with pytest.raises(VerificationError) as caught:
        verify_bundle(path, **options)  # type: ignore[arg-type]
    return str(caught.value.extensions.get("code"))


def test_a_built_bundle_verifies(tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    build_bundle(out, items=3, events_per_item=9)
    report = verify_bundle(out)
    assert (report.items, report.events, report.evidence_files, report.tree_size) == (3, 27, 3, 27)


def test_a_sequence_the_state_machine_forbids_is_refused_even_when_signed(tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    actions = [CustodyAction.COLLECTED, CustodyAction.TRANSFERRED]  # never sealed
    build_bundle(out, items=1, events_per_item=2, actions=actions)
    assert _code(out) == "illegal_custody_sequence"


def test_signatures_count_only_from_keys_valid_when_they_signed(tmp_path: Path) -> None:
    node = synthetic_node(officers=0)
    late = Ed25519Signer.generate()
    node.officers["usr_late"] = late
    holder = Holder("IE", "org_police", AuthorityType.POLICE, officer="usr_late")
    node.register(late, KeyPurpose.OFFICER_SIGNING, holder, valid_from=T0 + timedelta(days=30))
    out = tmp_path / "b.zip"
    build_bundle(out, items=1, events_per_item=3, node=node)
    assert _code(out) == "key_not_yet_valid"


def test_a_signature_recorded_long_after_its_stated_time_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    build_bundle(out, items=1, events_per_item=2, record_delay=timedelta(minutes=4))
    assert verify_bundle(out).events == 2
    build_bundle(out, items=1, events_per_item=2, record_delay=timedelta(hours=3))  # backdated signatures
    with pytest.raises(VerificationError, match="claims to be signed at") as caught:
        verify_bundle(out)
    assert caught.value.extensions["code"] == "leaf_mismatch"


def test_processes_find_the_same_result_and_the_earliest_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_verify, "PARALLEL_MIN_EVENTS", 20)
    out = tmp_path / "b.zip"
    build_bundle(out, items=10, events_per_item=10)
    one, two = verify_bundle(out, workers=1), verify_bundle(out, workers=2)
    assert (
        (one.events, one.items, one.signers) == (two.events, two.items, two.signers) == (100, 10, one.signers)
    )
    # Two faults, one per half: both runs name the first one.
    bad = tmp_path / "bad.zip"
    actions = legal_actions(10)
    build_bundle(
        bad, items=10, events_per_item=10, actions=[*actions[:5], CustodyAction.COLLECTED, *actions[6:]]
    )
    with pytest.raises(VerificationError) as sequential:
        verify_bundle(bad, workers=1)
    with pytest.raises(VerificationError) as parallel:
        verify_bundle(bad, workers=2)
    assert sequential.value.detail == parallel.value.detail
    assert "evidence evd_00000000" in parallel.value.detail
