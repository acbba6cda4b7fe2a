"""Content-keyed steps: a key digests the code a step runs, so an edit re-runs exactly what it touches."""

import io
import shutil

from rich.console import Console

from drbench.events import EventLog
from drbench.steps import PACKAGE_DIR, STEP_CODE, StepRunner, code_digest


def test_editing_a_randomizer_changes_the_generate_code_and_nothing_else(tmp_path):
    copy = tmp_path / "drbench"
    for package in ("generate", "data", "detectors", "evaluate"):
        shutil.copytree(PACKAGE_DIR / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    before = {kind: code_digest(packages, copy) for kind, packages in STEP_CODE.items()}
    assert before == {kind: code_digest(packages) for kind, packages in STEP_CODE.items()}, \
        "a copy elsewhere is the same code"
    randomizers = copy / "generate" / "randomizers.py"
    randomizers.write_text(randomizers.read_text() + "\n# a user's edit\n")
    code_digest.cache_clear()
    after = {kind: code_digest(packages, copy) for kind, packages in STEP_CODE.items()}
    assert after["generate"] != before["generate"]
    assert {k: v for k, v in after.items() if k != "generate"} == {k: v for k, v in before.items() if k != "generate"}


def test_the_same_step_in_two_runs_folders_has_one_key(tmp_path):
    keys = [StepRunner(tmp_path / name, EventLog(tmp_path / name / "events.jsonl"), Console(file=io.StringIO()))
            .key("evaluate", {"split": "real-test", "seed": 0}, ("abc",)) for name in ("a", "b")]
    assert keys[0] == keys[1]
