"""Precision-recall curves as the devkit draws them: precision at its 41 recall sample points.

Drawn with matplotlib's Agg canvas directly (no pyplot state, no display needed).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drbench.evaluate.devkit import N_SAMPLE_PTS, LevelResult
from drbench.io import write_bytes_atomic


def plot_pr_curves(
    results: dict[float, dict[str, LevelResult]], path: str | os.PathLike, title: str = ""
) -> Path:
    """One panel per IoU threshold, one curve per level; written atomically as PNG."""
    recall = np.linspace(0.0, 1.0, N_SAMPLE_PTS)
    figure = Figure(figsize=(5.0 * len(results), 4.0), dpi=100)
    FigureCanvasAgg(figure)
    for column, (iou, by_level) in enumerate(results.items(), start=1):
        axes = figure.add_subplot(1, len(results), column)
        for name, result in by_level.items():
            axes.plot(recall, result.precision, drawstyle="steps-post",
                      label=f"{name}: AP40 {result.ap40:.1f}, AP11 {result.ap11:.1f} (n={result.n_gt})")
        axes.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="recall (devkit sample points)", ylabel="precision",
                 title=f"Car, IoU {iou}")
        axes.grid(alpha=0.3)
        axes.legend(loc="lower left", fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return write_bytes_atomic(path, buffer.getvalue())
