"""The nightly workflow refers to files that exist and runs the regression check."""

import json
from pathlib import Path

import yaml

from drbench.leaderboard.entries import validate

REPO = Path(__file__).resolve().parents[1]


def test_nightly_builds_an_existing_image_runs_all_and_regresses():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "nightly.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert "gpu" in job["runs-on"] and job["env"]["PROFILE"].endswith("'paper' }}")
    commands = "\n".join(step.get("run", "") for step in job["steps"])
    dockerfile = commands.split("docker build -f ", 1)[1].split()[0]
    assert (REPO / dockerfile).is_file()
    assert 'all --profile "$PROFILE"' in commands
    assert "regress" in commands and 'reference="leaderboards/baseline-$PROFILE.json"' in commands


def test_stored_references_are_valid_sealed_entries_of_their_profile():
    references = sorted((REPO / "leaderboards").glob("baseline-*.json"))
    assert references, "at least the cpu reference is stored"
    for path in references:
        entry = validate(json.loads(path.read_text()), where=str(path))
        assert path.stem == f"baseline-{entry['profile']}"
