"""The leaderboard checker refuses incomplete entries and names the bad file."""

import copy
import json

import pytest

from board_entries import ENTRY, real_entry, real_train_dataset
from drbench.leaderboard.entries import EntryError, content_hash, read_entries, validate, write_entry
from drbench.paths import REPO_ROOT


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


# --- schema version 2: training data, PR curves, thumbnail, submission -------------------------

@pytest.fixture(scope="module")
def v2_entry(root, tmp_path_factory):
    """A v2 entry scored by the real devkit evaluation (real-test labels as predictions)."""
    return real_entry(root, tmp_path_factory.mktemp("pred"), "labels-exact", real_train_dataset(root))


def test_v2_entry_round_trips_and_its_curves_reproduce_its_scores(v2_entry, tmp_path):
    path = write_entry(copy.deepcopy(v2_entry), tmp_path)
    (stored,) = read_entries(tmp_path)
    assert stored.pop("content_sha256") and stored == json.loads(json.dumps(v2_entry))
    assert stored["schema_version"] == 2 and path.name == "labels-exact.json"
    assert stored["dataset"]["n_images"] == 10 == len(stored["dataset"]["frames"])
    assert stored["dataset"]["fingerprint"]["cars"] > 0 and "dir" not in stored["dataset"]["fingerprint"]
    for iou in ("0.5", "0.7"):
        for level in ("easy", "moderate", "hard"):
            points = stored["pr_curves"][iou][level]
            assert [r for r, _ in points] == [k / 40 for k in range(41)]
            ap40 = 100 * sum(p for _, p in points[1:]) / 40
            assert ap40 == pytest.approx(stored["scores"][iou][level]["ap40"], abs=1e-3)
    assert stored["scores"]["0.5"]["easy"]["ap40"] > 80, "the labels themselves detect every car"


def test_sealed_v1_entries_on_the_board_stay_readable():
    entries = read_entries(REPO_ROOT / "leaderboards")
    assert entries and {e["schema_version"] for e in entries} <= {1, 2, 3}
    assert validate(copy.deepcopy(ENTRY))["schema_version"] == 1


@pytest.mark.parametrize("breakage, message", [
    (lambda e: e.pop("dataset"), "'dataset' is a required property"),
    (lambda e: e.pop("pr_curves"), "'pr_curves' is a required property"),
    (lambda e: e["dataset"]["fingerprint"].pop("kitti_levels"), "dataset/fingerprint.*'kitti_levels'"),
    (lambda e: e["dataset"].update(kind="synthetic"), "dataset/kind"),
    (lambda e: e["pr_curves"]["0.7"]["hard"].pop(), "pr_curves/0.7/hard"),
    (lambda e: e["pr_curves"]["0.5"].pop("moderate"), "pr_curves/0.5.*'moderate'"),
    (lambda e: e.update(thumbnail="../../etc/x.jpg"), "thumbnail"),
    (lambda e: e.update(submission={"randomizer": "x.py:X"}), "submission.*'compliance'"),
    (lambda e: e.update(schema_version=4), "schema_version"),
])
def test_incomplete_v2_entries_name_the_field(v2_entry, breakage, message, tmp_path):
    entry = copy.deepcopy(v2_entry)
    breakage(entry)
    with pytest.raises(EntryError, match=message):
        write_entry(entry, tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_hand_edited_v2_entry_is_rejected(v2_entry, tmp_path):
    path = write_entry(copy.deepcopy(v2_entry), tmp_path)
    entry = json.loads(path.read_text())
    entry["dataset"]["fingerprint"]["cars"] += 1
    path.write_text(json.dumps(entry))
    with pytest.raises(EntryError, match="labels-exact.json.*edited by hand or corrupted"):
        read_entries(tmp_path)


def test_curves_that_disagree_with_the_scores_are_rejected_even_when_resealed(v2_entry, tmp_path):
    entry = copy.deepcopy(v2_entry)
    entry["pr_curves"]["0.5"]["easy"] = [[k / 40, 0.0] for k in range(41)]
    entry["content_sha256"] = content_hash(entry)
    (tmp_path / "resealed.json").write_text(json.dumps(entry))
    with pytest.raises(EntryError, match="resealed.json: pr_curves/0.5/easy gives AP40 0.00"):
        read_entries(tmp_path)


def test_a_v1_entry_claiming_v2_is_refused():
    with pytest.raises(EntryError, match="'dataset' is a required property"):
        validate({**copy.deepcopy(ENTRY), "schema_version": 2})


def test_a_submitted_randomizers_record_is_accepted(v2_entry):
    record = {"randomizer": "fog.py:Fog", "params": {"density": 0.1}, "source_sha256": None,
              "compliance": {"no-real-images": "passed"}}
    assert validate({**copy.deepcopy(v2_entry), "submission": record})["submission"] == record


def test_a_v3_entry_must_ship_its_predictions(v2_entry):
    """From schema 3 on, an entry's numbers must be recomputable: no archive, no entry."""
    with pytest.raises(EntryError, match="'predictions' is a required property"):
        validate({**copy.deepcopy(v2_entry), "schema_version": 3})
    record = {"archive": "predictions/labels-exact.tar.gz", "sha256": "0" * 64, "frames": ["000050"],
              "score_threshold": 0.001, "max_per_image": 100}
    assert validate({**copy.deepcopy(v2_entry), "schema_version": 3, "predictions": record})
