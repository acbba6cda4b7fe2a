"""The reproduction report: the paper's numbers beside real entries, claims judged on stored paired
comparisons of real predictions on real KITTI frames, charts drawn, nothing recomputed without data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from board_entries import degraded, detector, real_train_dataset, write_model

from drbench.data.kitti import read_labels
from drbench.data.splits import list_frames
from drbench.leaderboard.baseline_deltas import FOLDER, ComparisonStore
from drbench.leaderboard.comparison import compare_entries
from drbench.leaderboard.entries import read_entries
from drbench.leaderboard.reproduction import (NOT_JUDGED, NOT_RUN, build_report, chosen_entries, claim_verdict,
                                              paper_studies, render_html, render_markdown)

ABLATION = {"protocol": "ablation", "profile": "cpu", "settings": {"real_n": [10, 25, 50]}}


@pytest.fixture(scope="module")
def board(root, tmp_path_factory) -> Path:
    """An ablation study at the cpu profile: the full arm, a texture bank, and half of it (a
    related, weaker model), each scored on real frames with its predictions beside it."""
    board = tmp_path_factory.mktemp("reproduction") / "leaderboards"
    ground_truth = {f: read_labels(root / "training" / "label_2" / f"{f}.txt") for f in list_frames(root)}
    base, dataset = detector(ground_truth, seed=3), real_train_dataset(root)
    write_model(root, board, "ablation-dr", base, dataset, arm="dr", **ABLATION)
    write_model(root, board, "ablation-bank", degraded(base, 5, 0.05, 0.1), dataset, arm="dr-texture-bank",
                **ABLATION)
    write_model(root, board, "ablation-half", degraded(base, 4, 0.15, 0.3), dataset, arm="dr-half-textures",
                **ABLATION)
    return board


def test_claim_verdicts_follow_the_paired_interval():
    assert claim_verdict({"delta": 3.0, "ci95": [0.5, 6.0]}) == "reproduced"
    assert claim_verdict({"delta": -3.0, "ci95": [-6.0, -0.5]}) == "contradicted"
    assert claim_verdict({"delta": 1.0, "ci95": [-2.0, 4.0]}) == "same direction, not distinguishable"
    assert claim_verdict({"delta": -1.0, "ci95": [-4.0, 2.0]}) == "opposite direction, not distinguishable"


def test_every_paper_study_names_a_protocol_and_its_arms():
    from drbench.profiles import profile
    from drbench.protocols import protocol
    from drbench.protocols.runner import expand_arms

    for spec in paper_studies():
        arms = {arm.name for arm, _ in expand_arms(protocol(spec["protocol"]).arms, profile("cpu"))}
        named = {row["arm"].format(n=n) for row in spec["rows"] for n in profile("cpu")["real_n"]}
        named |= {claim[side].format(n=n) for claim in spec["claims"] for side in "ab"
                  for n in profile("cpu")["real_n"]}
        assert named <= arms, (spec["protocol"], named - arms)
        assert spec["reference"] in arms


def test_a_claim_is_judged_on_the_stored_paired_comparison(root, board):
    (study,) = build_report(read_entries(board), ComparisonStore(board, root))
    assert (study.protocol, study.profile, study.reference, study.split) == ("ablation", "cpu", "dr", "all")
    claims = {claim.text: claim for claim in study.claims}
    bank = claims["a bank twice as large helps (paper +2.1)"]
    expected = compare_entries(board / "ablation-bank.json", board / "ablation-half.json", root)
    cell = json.loads(json.dumps(expected["results"]))["0.5"]["easy"]["ap40"]
    assert bank.comparison["results"]["0.5"]["easy"]["ap40"] == cell
    assert bank.verdict == claim_verdict(cell) and cell["delta"] > 0  # half the bank is the weaker model
    stored = board / FOLDER / "ablation-bank-vs-ablation-half.json"
    assert json.loads(stored.read_text())["results"]["0.5"]["easy"]["ap40"] == cell
    assert claims["light variation helps (paper +6.0)"].verdict == NOT_RUN  # its arm has no entry
    rows = {row.arm: row for row in study.rows}
    assert rows["dr-half-textures"].paper == 71.5 and rows["dr-without-lights"].entry is None
    assert rows["dr-half-textures"].delta["entry"] == "ablation-half"  # against the reference arm
    assert (board / study.chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_pair_asked_both_ways_is_stored_once_and_read_reversed(root, board):
    (study,) = build_report(read_entries(board), ComparisonStore(board, root))
    stored = sorted(path.name for path in (board / FOLDER).glob("*-vs-*.json"))
    assert stored == ["ablation-bank-vs-ablation-dr.json", "ablation-bank-vs-ablation-half.json",
                      "ablation-dr-vs-ablation-half.json"], "one file per pair, its run ids in sorted order"
    half = next(row for row in study.rows if row.arm == "dr-half-textures").delta  # half − dr, from dr − half
    fresh = compare_entries(board / "ablation-half.json", board / "ablation-dr.json", root)
    for level in ("easy", "moderate", "hard"):
        got, want = half["results"]["0.5"][level]["ap40"], fresh["results"]["0.5"][level]["ap40"]
        assert got["a"] == pytest.approx(want["a"]) and got["b"] == pytest.approx(want["b"])
        assert got["delta"] == pytest.approx(want["delta"]) and got["verdict"] == want["verdict"]
        assert got["ci95"] == pytest.approx(want["ci95"], abs=1e-6) and got["p_value"] == want["p_value"]
    assert (half["entry"], half["baseline"]) == ("ablation-half", "ablation-dr")


def test_the_report_renders_from_stored_comparisons_alone(root, board):
    with_data = render_markdown(build_report(read_entries(board), ComparisonStore(board, root)))
    without = build_report(read_entries(board), ComparisonStore(board, None))
    assert render_markdown(without) == with_data, "no real data here: the stored comparisons suffice"
    assert "| half the bank (4K in the paper) | 71.5 |" in with_data
    assert f"a bank twice as large helps (paper +2.1): **{without[0].claims[-1].verdict}** — " in with_data
    assert "| no light variation | 67.6 | not run |" in with_data
    page = render_html(without, board, board / "gallery")
    assert '<img src="../reproduction/cpu-ablation.png"' in page and "71.5" in page


def test_changed_predictions_are_not_judged_from_a_stale_comparison(root, board, tmp_path):
    copy = shutil.copytree(board, tmp_path / "leaderboards")
    build_report(read_entries(copy), ComparisonStore(copy, root))
    stored = copy / FOLDER / "ablation-bank-vs-ablation-half.json"
    record = json.loads(stored.read_text())
    record["archives_sha256"]["entry"] = ["0" * 64]  # as if the bank arm's predictions were replaced
    stored.write_text(json.dumps(record))
    (study,) = build_report(read_entries(copy), ComparisonStore(copy, None))
    bank = next(c for c in study.claims if c.a == "dr-texture-bank")
    assert bank.comparison is None and bank.verdict == NOT_JUDGED
    assert "no up-to-date stored comparison" in render_markdown([study])


def test_an_arm_is_shown_by_its_seed_aggregate_else_its_newest_run():
    def entry(run_id, created, **more):
        return {"run_id": run_id, "protocol": "freezing", "profile": "cpu", "arm": "dr", "created": created,
                "predictions": {}, **more}

    old, new = entry("old", "2026-12-01T00:00:00+00:00"), entry("new", "2026-12-02T00:00:00+00:00")
    assert chosen_entries([new, old], "freezing", "cpu")["dr"]["run_id"] == "new"
    seeds = entry("seeds", "2026-11-30T00:00:00+00:00", aggregate={"members": ["old", "new"]})
    assert chosen_entries([old, seeds, new], "freezing", "cpu")["dr"]["run_id"] == "seeds"
    legacy = {k: v for k, v in entry("legacy", "2026-12-03T00:00:00+00:00").items() if k != "predictions"}
    assert chosen_entries([old, legacy], "freezing", "cpu")["dr"]["run_id"] == "old", "no predictions, no claim"
    assert chosen_entries([old], "freezing", "smoke") == {}
