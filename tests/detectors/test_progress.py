"""The training progress bar shows the current loss and reaches max_iters; it stays off when the
console is not a terminal or when asked."""

import io
import json
import re

import pytest
from rich.console import Console

from drbench.detectors.progress import RichProgressHook
from drbench.detectors.train import train


def terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, color_system=None, width=160)


def test_on_only_for_a_terminal_unless_told():
    assert RichProgressHook(console=terminal()).enabled
    assert not RichProgressHook(console=Console(file=io.StringIO())).enabled
    assert not RichProgressHook(False, console=terminal()).enabled
    assert RichProgressHook(True, console=Console(file=io.StringIO())).enabled


@pytest.mark.slow
def test_bar_reports_the_last_iterations_loss_and_reaches_max_iters(root, tmp_path):
    console = terminal()
    train("faster_rcnn", [root], tmp_path, max_iters=3, image_scale=(320, 97),
          frames={root: ["000001", "000002"]}, progress=True, console=console)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", console.file.getvalue())  # cursor moves
    final = [line for line in re.split(r"[\r\n]", shown) if line.strip()][-1]
    assert re.search(r"\b3/3\b", final), final
    assert "ETA" in final

    # mmengine logs the loss averaged over the iterations so far; undo the mean for iteration 3.
    (scalars,) = tmp_path.glob("*/vis_data/scalars.json")
    means = [json.loads(line)["loss"] for line in scalars.read_text().splitlines()]
    assert len(means) == 3
    last = 3 * means[2] - 2 * means[1]
    loss = float(re.search(r"loss (\d+\.\d+)", final).group(1))
    assert loss == pytest.approx(last, abs=2e-4)
    assert re.search(r"\b1/3\b", shown) or re.search(r"\b2/3\b", shown), "no intermediate state"
