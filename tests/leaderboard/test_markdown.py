"""The Markdown board: one ranked table per test split, with each AP's 95 % interval."""

import copy

from board_entries import ENTRY
from drbench.leaderboard.markdown import INTRO, render_markdown


def _entry(run_id: str, ap40_easy: float, protocol: str = "dr-only", split: str = "real-test") -> dict:
    entry = copy.deepcopy(ENTRY)
    entry.update(run_id=run_id, protocol=protocol, test_split=split,
                 steps={"train": f"{run_id}-t", "predict": f"{run_id}-p", "evaluate": f"{run_id}-e"})
    entry["scores"]["0.5"]["easy"]["ap40"] = ap40_easy
    return entry


def test_markdown_ranks_by_ap_at_05_easy():
    better = copy.deepcopy(ENTRY)
    better["run_id"] = "dr-only-cpu-better"
    better["scores"]["0.5"]["easy"]["ap40"] = 40.0
    lines = render_markdown([ENTRY, better]).splitlines()
    assert lines[:5] == [INTRO, "", "## AP40 on real-test", "", lines[4]] and lines[4].startswith("| rank |")
    assert lines[6].startswith("| 1 | dr-only-cpu-better | dr-only |") and "40.0 [4.0, 12.0]" in lines[6]
    assert lines[7].startswith("| 2 | dr-only-smoke-abc123 | dr-only |")


def test_one_scored_model_is_one_row_listing_its_protocols():
    dr_only = _entry("dr-only-dr-1", 43.1)
    fine_tune = dict(dr_only, run_id="fine-tune-dr-1", protocol="fine-tune")  # same steps: one model
    lines = render_markdown([fine_tune, dr_only, _entry("other", 20.0)]).splitlines()
    assert lines[6].startswith("| 1 | dr-only-dr-1 | dr-only, fine-tune |")
    assert lines[7].startswith("| 2 | other | dr-only |") and len(lines) == 8


def test_each_split_has_its_own_titled_table_and_other_splits_are_notes():
    on_test = _entry("on-test", 30.0)
    scores = copy.deepcopy(on_test["scores"])
    scores["0.5"]["easy"]["ap40"] = 77.7
    on_test["scores_by_split"] = {"all": {"n_frames": 101, "scores": scores}}
    text = render_markdown([on_test, _entry("on-all", 90.0, split="all")])
    all_section, test_section = text.split("## AP40 on all\n")[1].split("## AP40 on real-test\n")
    assert "| 1 | on-all |" in all_section and "on-test" not in all_section
    assert "| 1 | on-test |" in test_section and "on-all" not in test_section
    (row,) = [line for line in test_section.splitlines() if line.startswith("| 1 |")]
    assert "30.0 [4.0, 12.0]" in row and "77.7" not in row
    assert "- on-test on all (101 frames, not ranked): 0.5 easy 77.7" in test_section
