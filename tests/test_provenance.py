"""Provenance: the git commit comes from the checkout, or inside a Docker image (no .git) from the
commit docker/build.sh recorded at build time."""

import subprocess

from drbench import provenance
from drbench.paths import REPO_ROOT


def test_a_checkout_reports_its_own_head_even_when_the_image_variable_is_set(monkeypatch):
    monkeypatch.setenv(provenance.COMMIT_ENV, "0" * 40)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    found = provenance.git_commit()
    assert found["commit"] == head and isinstance(found["dirty"], bool) and "source" not in found


def test_without_git_the_commit_recorded_at_build_time_is_used(monkeypatch, tmp_path):
    """What an image sees: a copy of the tree without .git, and the build's commit in the environment."""
    monkeypatch.setenv(provenance.COMMIT_ENV, "a1b2c3" * 6 + "d4e5")
    monkeypatch.setenv(provenance.DIRTY_ENV, "false")
    found = provenance.git_commit(tmp_path)
    assert found["commit"] == "a1b2c3" * 6 + "d4e5" and found["dirty"] is False
    assert "DRBENCH_GIT_COMMIT" in found["source"]
    monkeypatch.setenv(provenance.DIRTY_ENV, "")
    assert provenance.git_commit(tmp_path)["dirty"] is None, "unknown, not guessed"


def test_without_git_or_a_recorded_commit_it_says_unknown(monkeypatch, tmp_path):
    monkeypatch.delenv(provenance.COMMIT_ENV, raising=False)
    assert provenance.git_commit(tmp_path) == {"commit": "unknown", "dirty": None}
