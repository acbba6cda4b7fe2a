"""The nightly workflow refers to files that exist and runs the regression check."""

import json
from pathlib import Path

import yaml

from drbench.leaderboard.entries import validate

REPO = Path(__file__).resolve().parents[1]


def test_nightly_builds_an_existing_image_runs_all_and_regresses():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "nightly.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert "gpu" in job["runs-on"] and job["env"]["PROFILE"].endswith("'nightly' }}")
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    assert "docker/build.sh gpu " in commands and (REPO / "docker" / "build.sh").is_file()
    assert (REPO / "docker" / "Dockerfile.gpu").is_file()
    assert 'all --profile "$PROFILE"' in commands
    assert "regress" in commands and 'reference="leaderboards/baseline-$PROFILE.json"' in commands


def test_the_nightly_profile_fits_one_night_on_one_gpu_by_its_own_estimates(tmp_path):
    """The paper profile (~40 GPU-hours) is for runs on demand; the schedule runs `nightly`."""
    from drbench.profiles import profile
    from drbench.protocols.runner import planned_seconds

    nightly = profile("nightly")
    assert nightly["requires_gpu"] and nightly["detector"] == profile("paper")["detector"]
    seconds = planned_seconds(nightly["protocols"], "nightly", runs_dir=tmp_path / "runs",
                              board_dir=tmp_path / "board")
    assert 3600 <= seconds <= 2 * 3600, f"{seconds / 3600:.2f} h"
    assert planned_seconds(profile("paper")["protocols"], "paper", runs_dir=tmp_path / "runs",
                           board_dir=tmp_path / "board") > 10 * 3600


def test_stored_references_are_valid_sealed_entries_of_their_profile():
    references = sorted((REPO / "leaderboards").glob("baseline-*.json"))
    assert references, "at least the cpu reference is stored"
    for path in references:
        entry = validate(json.loads(path.read_text()), where=str(path))
        assert path.stem == f"baseline-{entry['profile']}"
