"""A rich progress bar for mmengine training: iteration, loss and ETA on one live line.

mmengine's own logger prints a line every few iterations; on a terminal this
hook shows where the run is in between. It is off when the console is not a
terminal (CI, log files) unless asked for, off when asked, and off on all but
the main process of a distributed run. Registered as
``RichProgressHook`` so any config can list it in ``custom_hooks``.
"""

from __future__ import annotations

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)


@HOOKS.register_module()
class RichProgressHook(Hook):
    """``enabled``: None = only on a terminal; ``console``: where to draw (default stderr)."""

    priority = "VERY_LOW"  # after the optimizer and the other hooks of an iteration

    def __init__(self, enabled: bool | None = None, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal if enabled is None else enabled
        self.progress: Progress | None = None

    def before_train(self, runner) -> None:
        self.progress = Progress(
            TextColumn("[bold]train[/]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=self.console,
            disable=not (self.enabled and is_main_process()))
        self.progress.start()
        self.task = self.progress.add_task("train", total=runner.max_iters,
                                           completed=runner.iter, loss="-")

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        loss = (outputs or {}).get("loss")
        self.progress.update(self.task, completed=runner.iter + 1,
                             loss="-" if loss is None else f"{loss.item():.4f}")

    def after_train(self, runner) -> None:
        self.progress.stop()
