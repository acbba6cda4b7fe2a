"""An entry's predictions, shipped beside it: ``predictions/<run_id>.tar.gz`` in the board
folder, written and read here.

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

from drbench.data.kitti import KittiObject, parse_detections
from drbench.io import write_bytes_atomic

FOLDER = "predictions"


class ArchiveError(ValueError):
    """An entry's predictions are missing, changed, or not one file per frame."""


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


def read_predictions(path: Path, entry: dict) -> dict[str, list[KittiObject]]:
    """``{frame: detections}`` from the entry's archive, after checking its SHA-256 and members.

    The archive path is relative to the entry's board folder (the folder holding ``path``).
    """
    if "predictions" not in entry:
        raise ArchiveError(f"{path}: no stored predictions (entries before schema v3 kept them "
                              "only in runs/); re-run it to compare")
    stored = entry["predictions"]
    archive = path.parent / stored["archive"]
    if not archive.is_file():
        raise FileNotFoundError(f"{archive}: prediction archive of {path} is missing")
    data = archive.read_bytes()
    if hashlib.sha256(data).hexdigest() != stored["sha256"]:
        raise ArchiveError(f"{archive}: SHA-256 does not match {path}: the archive was changed "
                              "or corrupted")
    expected = {f"{frame}.txt": frame for frame in stored["frames"]}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            missing = sorted(set(expected) - set(names))
            unexpected = sorted({m.name for m in members
                                 if m.name not in expected or not m.isfile() or names.count(m.name) > 1})
            if missing or unexpected:
                raise ArchiveError(
                    f"{archive}: members are not exactly the {len(expected)} frames of {path} as "
                    f"<frame>.txt files at the archive root: missing {', '.join(missing[:5]) or 'none'}; "
                    f"unexpected, repeated or not a file {', '.join(unexpected[:5]) or 'none'}")
            return {expected[m.name]: parse_detections(tar.extractfile(m).read().decode("utf-8"),
                                                  f"{archive}/{m.name}")
                    for m in members}
    except tarfile.TarError as exc:
        raise ArchiveError(f"{archive}: not a readable tar.gz archive: {exc}") from None
