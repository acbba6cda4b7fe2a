"""One order for every view of the board: one row per scored model, ranked within each test split."""

import copy

from rich.console import Console

from board_entries import ENTRY
from drbench.leaderboard.aggregate import aggregate
from drbench.leaderboard.ranking import distinct_models, other_splits, ranked_by_split, ranking_table


def _entry(run_id: str, ap40_easy: float, ap40_moderate: float = 8.0, protocol: str = "dr-only",
           steps: str | None = None, split: str = "real-test") -> dict:
    """A copy of ENTRY; ``steps`` names the train/predict/evaluate keys (None: a v1 entry without steps)."""
    entry = copy.deepcopy(ENTRY)
    entry.update(run_id=run_id, protocol=protocol, test_split=split)
    entry["scores"]["0.5"]["easy"]["ap40"] = ap40_easy
    entry["scores"]["0.5"]["moderate"]["ap40"] = ap40_moderate
    if steps is not None:
        entry["steps"] = {"train": f"{steps}-train", "predict": f"{steps}-predict", "evaluate": f"{steps}-eval"}
    return entry


def _run_ids(rows) -> list[str]:
    return [row.entry["run_id"] for row in rows]


def test_ranked_orders_by_ap40_at_05_easy_and_keeps_ties_in_order():
    entries = [_entry("low", 10.0, ap40_moderate=90.0), _entry("high", 60.0), _entry("tie", 10.0)]
    assert _run_ids(ranked_by_split(entries)["real-test"]) == ["high", "low", "tie"]


def test_equal_steps_are_one_row_listing_every_protocol_under_the_first_run_id():
    fine_tune = _entry("fine-tune-dr-cpu-1", 43.1, protocol="fine-tune", steps="a")
    dr_only = _entry("dr-only-dr-cpu-1", 43.1, protocol="dr-only", steps="a")
    (row,) = distinct_models([fine_tune, dr_only])
    assert row.entry is dr_only, "the run id that sorts first stands for the model"
    assert row.protocols == ("dr-only", "fine-tune")


def test_different_steps_stay_two_rows():
    rows = distinct_models([_entry("dr-only-a", 43.1, steps="a"),
                            _entry("fine-tune-b", 43.1, protocol="fine-tune", steps="b")])
    assert _run_ids(rows) == ["dr-only-a", "fine-tune-b"]
    assert [row.protocols for row in rows] == [("dr-only",), ("fine-tune",)]


def test_entries_without_steps_are_never_merged():
    members = [dict(_entry(f"dr-only-seed{seed}", 40.0 + seed), arm="dr", seeds={"run": seed})
               for seed in range(3)]
    two, three = aggregate(members[:2]), aggregate(members)
    assert "steps" not in two and "steps" not in three
    v1 = [_entry("v1-a", 10.0), _entry("v1-b", 10.0)]  # identical but for the run id
    rows = distinct_models([two, three, *v1])
    assert _run_ids(rows) == [two["run_id"], three["run_id"], "v1-a", "v1-b"]


def test_two_test_splits_are_ranked_apart():
    entries = [_entry("on-all-high", 90.0, split="all", steps="x"), _entry("on-test-low", 10.0, steps="y"),
               _entry("on-all-low", 5.0, split="all", steps="z"), _entry("on-test-high", 60.0, steps="w")]
    by_split = ranked_by_split(entries)
    assert list(by_split) == ["all", "real-test"]
    assert _run_ids(by_split["all"]) == ["on-all-high", "on-all-low"]
    assert _run_ids(by_split["real-test"]) == ["on-test-high", "on-test-low"]
    # equal steps on two splits are still two rows, each ranked on its own split
    same_steps = [_entry("a", 10.0, steps="s"), _entry("b", 20.0, split="all", steps="s")]
    assert {split: _run_ids(rows) for split, rows in ranked_by_split(same_steps).items()} == \
        {"all": ["b"], "real-test": ["a"]}


def _with_all_split(entry: dict, ap40_easy: float) -> dict:
    scores = copy.deepcopy(entry["scores"])
    scores["0.5"]["easy"]["ap40"] = ap40_easy
    entry["scores_by_split"] = {"all": {"n_frames": 101, "scores": scores}}
    return entry


def test_other_splits_are_labelled_with_split_and_frame_count():
    entry = _with_all_split(_entry("dr-only-x", 30.0, steps="x"), 77.7)
    assert other_splits(entry) == [
        "all (101 frames, not ranked): 0.5 easy 77.7 · 0.5 moderate 8.0 · 0.7 easy 8.0"]
    assert other_splits(_entry("plain", 30.0)) == []


def _terminal(entries: list[dict]) -> str:
    console = Console(record=True, width=250)
    console.print(ranking_table(entries))
    return console.export_text()


def test_terminal_table_lists_the_ranked_models_with_their_protocols():
    text = _terminal([_entry("run-low", 10.0), _entry("run-high", 60.0, steps="h"),
                      _entry("run-high-ft", 60.0, protocol="fine-tune", steps="h")])
    assert "drbench leaderboard (AP40 on real-test)" in text
    assert text.index("run-high") < text.index("run-low") and "run-high-ft" not in text
    high_row = next(line for line in text.splitlines() if "run-high" in line)
    assert "60.0" in high_row and "8.0" in high_row and "dr:32" in high_row and "dr-only, fine-tune" in high_row


def test_terminal_has_one_table_per_split_and_other_splits_outside_the_ranked_columns():
    text = _terminal([_with_all_split(_entry("dr-only-x", 30.0, steps="x"), 77.7),
                      _entry("on-all", 50.0, split="all", steps="y")])
    assert text.index("drbench leaderboard (AP40 on all)") < text.index("on-all") \
        < text.index("drbench leaderboard (AP40 on real-test)") < text.index("dr-only-x")
    (x_row,) = [line for line in text.splitlines() if "│ dr-only-x" in line]
    assert "30.0" in x_row and "77.7" not in x_row
    assert "dr-only-x on all (101 frames, not ranked): 0.5 easy 77.7" in text
