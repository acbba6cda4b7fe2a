"""mmengine's console output off the terminal unless asked for (``drbench -v``).

mmengine prints its environment report, the whole config and a log line every
few iterations to stdout. Its own log file in the work dir
(``<work_dir>/<timestamp>/<timestamp>.log``) gets every line anyway, so hiding
the console copy loses nothing; the terminal keeps drbench's plan, progress
bars and results. A logger binds ``sys.stdout`` when it is created, so one made
inside :func:`mmengine_console` writes to a sink that stays open (mmengine keeps
its loggers for the life of the process); one made before it has its console
handler quieted by level, never its file handler.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from mmengine.logging import MMLogger


class _Discard(io.TextIOBase):
    """A text stream that accepts everything and keeps nothing; never closed."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


DISCARD = _Discard()


@contextlib.contextmanager
def mmengine_console(verbose: bool) -> Iterator[None]:
    """Inside: mmengine's stdout logging shown when ``verbose``, else dropped."""
    if verbose:
        yield
        return
    consoles = [h for h in MMLogger.get_current_instance().handlers  # its log file keeps every line
                if type(h) is logging.StreamHandler]
    levels = [h.level for h in consoles]
    for handler in consoles:
        handler.setLevel(max(handler.level, logging.WARNING))
    try:
        with contextlib.redirect_stdout(DISCARD):
            yield
    finally:
        for handler, level in zip(consoles, levels):
            handler.setLevel(level)
