"""An entry's predictions, shipped beside it: ``predictions/<run_id>.tar.gz`` in the board folder.

One KITTI result file per evaluated frame (an empty one for a frame without a
detection), so a reviewer, a later drbench or another devkit can re-score the
entry and compare it with others on the same frames. The archive is written
byte-for-byte reproducibly (sorted members, zeroed times and owners), so the
same predictions always give the same SHA-256, which the entry records.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

from drbench.io import write_bytes_atomic

FOLDER = "predictions"


def archive_bytes(pred_dir: Path, frames: list[str]) -> bytes:
    """The tar.gz of ``pred_dir/<frame>.txt`` for every frame (missing files become empty ones)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for frame in sorted(frames):
            path = Path(pred_dir) / f"{frame}.txt"
            data = path.read_bytes() if path.is_file() else b""
            info = tarfile.TarInfo(f"{frame}.txt")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_archive(pred_dir: Path, frames: list[str], board_dir: Path, run_id: str,
                  score_threshold: float, max_per_image: int) -> dict:
    """Write the archive next to the entry; returns the entry's ``predictions`` record."""
    data = archive_bytes(pred_dir, frames)
    relative = f"{FOLDER}/{run_id}.tar.gz"
    write_bytes_atomic(Path(board_dir) / relative, data)
    return {"archive": relative, "sha256": hashlib.sha256(data).hexdigest(), "frames": sorted(frames),
            "score_threshold": score_threshold, "max_per_image": max_per_image}
