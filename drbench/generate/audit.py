"""Which files a render worker reads: the evidence for the submission rule "no real images".

With ``$DRBENCH_AUDIT_FILES`` set to a log path, the worker appends every file it
opens to that log: Python-level opens through an audit hook (``open``, PIL,
numpy, pathlib...), and images Blender loads (read from ``bpy.data.images``
after each scene, since Blender opens them from C). Reads by other C code (e.g.
``cv2.imread``) are not seen; the submission checker says so.
"""

from __future__ import annotations

import os
import sys
import threading

ENV = "DRBENCH_AUDIT_FILES"
_state = threading.local()
_seen: set[str] = set()


def _log(path: str) -> None:
    if path in _seen or getattr(_state, "busy", False):
        return
    _state.busy = True  # writing the log is itself an open: do not record it
    try:
        _seen.add(path)
        with open(os.environ[ENV], "a", encoding="utf-8") as log:
            log.write(path + "\n")
    finally:
        _state.busy = False


def _hook(event: str, args: tuple) -> None:
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _log(os.path.abspath(os.fsdecode(args[0])))


def install() -> bool:
    """Start logging this process's opens when the environment asks for it."""
    if not os.environ.get(ENV):
        return False
    sys.addaudithook(_hook)
    return True


def record_blender_images() -> None:
    """Log the files behind every image datablock (Blender opened them from C)."""
    if not os.environ.get(ENV):
        return
    import bpy  # lazy: the parent imports this module too, and it must never load Blender

    for image in bpy.data.images:
        if image.source == "FILE" and image.filepath:
            _log(os.path.abspath(bpy.path.abspath(image.filepath)))


def read_log(path) -> list[str]:
    try:
        with open(path, encoding="utf-8") as log:
            return sorted({line.strip() for line in log if line.strip()})
    except FileNotFoundError:
        return []
