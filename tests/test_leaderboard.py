"""The leaderboard checker refuses incomplete entries and names the bad file."""

import copy
import json

import pytest

from drbench.leaderboard import EntryError, read_entries, validate, write_entry

LEVEL = {"ap11": 10.0, "ap40": 8.0, "ap11_ci95": [5.0, 15.0], "ap40_ci95": [4.0, 12.0], "n_gt": 38}
ENTRY = {
    "run_id": "dr-only-smoke-abc123", "protocol": "dr-only", "profile": "smoke",
    "detector": "faster_rcnn", "trained_on": "dr:32", "test_split": "real-test",
    "scores": {iou: {lvl: dict(LEVEL) for lvl in ("easy", "moderate", "hard")}
               for iou in ("0.5", "0.7")},
    "settings": {}, "seeds": {"run": 0},
    "versions": {"python": "3.11", "torch": "2.14.1", "mmdet": "3.3.0", "bpy": "5.0.1"},
    "git": {"commit": "abc"}, "timings_s": {"train": 1.0}, "created": "2026-11-25T00:00:00+00:00",
    "schema_version": 1,
}


def test_complete_entry_round_trips(tmp_path):
    path = write_entry(copy.deepcopy(ENTRY), tmp_path)
    assert path.name == "dr-only-smoke-abc123.json"
    (stored,) = read_entries(tmp_path)
    assert stored.pop("content_sha256") and stored == ENTRY


def test_a_hand_edited_entry_is_rejected(tmp_path):
    path = write_entry(copy.deepcopy(ENTRY), tmp_path)
    entry = json.loads(path.read_text())
    entry["scores"]["0.5"]["easy"]["ap40"] = 99.0
    path.write_text(json.dumps(entry))
    with pytest.raises(EntryError, match="edited by hand or corrupted"):
        read_entries(tmp_path)


@pytest.mark.parametrize("breakage, where", [
    (lambda e: e["scores"].pop("0.7"), "scores"),
    (lambda e: e["scores"]["0.5"]["easy"].pop("ap40_ci95"), "scores/0.5/easy"),
    (lambda e: e["scores"]["0.5"]["hard"].update(ap11=130.0), "scores/0.5/hard/ap11"),
    (lambda e: e["versions"].pop("bpy"), "versions"),
    (lambda e: e.pop("seeds"), "<root>"),
])
def test_incomplete_entries_are_refused(breakage, where, tmp_path):
    entry = copy.deepcopy(ENTRY)
    breakage(entry)
    with pytest.raises(EntryError, match=where):
        validate(entry)
    with pytest.raises(EntryError):
        write_entry(entry, tmp_path)
    assert not list(tmp_path.iterdir()), "a refused entry must not reach the board"


def test_a_corrupt_board_file_is_named(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(EntryError, match="broken.json"):
        read_entries(tmp_path)
    (tmp_path / "broken.json").write_text(json.dumps({"run_id": "x"}))
    with pytest.raises(EntryError, match="broken.json.*required"):
        read_entries(tmp_path)


def test_markdown_ranks_by_ap_at_05_easy(tmp_path):
    from drbench.leaderboard import render_markdown

    better = copy.deepcopy(ENTRY)
    better["run_id"] = "dr-only-cpu-better"
    better["scores"]["0.5"]["easy"]["ap40"] = 40.0
    table = render_markdown([ENTRY, better]).splitlines()
    assert table[2].startswith("| 1 | dr-only-cpu-better") and "40.0 [4.0, 12.0]" in table[2]
    assert table[3].startswith("| 2 | dr-only-smoke-abc123")
