"""A contact sheet: the first images of a generated set with their label boxes, to eyeball it."""

from __future__ import annotations

import math
import os
from pathlib import Path

import cv2
import numpy as np

from drbench.data.kitti import read_labels
from drbench.io import write_bytes_atomic

OCCLUSION_COLORS = {0: (0, 255, 0), 1: (0, 255, 255), 2: (0, 128, 255), 3: (0, 0, 255)}  # BGR, green→red


def contact_sheet(out_dir: str | os.PathLike, path: str | os.PathLike, n: int = 16,
                  columns: int = 4, tile_width: int = 480) -> Path:
    """Grid of up to ``n`` images from ``out_dir`` (KITTI layout) with boxes coloured by occlusion level.

    Encoded as ``path``'s suffix says (``.png``, ``.jpg``)."""
    out_dir = Path(out_dir)
    images = sorted((out_dir / "image_2").glob("*.png"))[:n]
    if not images:
        raise FileNotFoundError(f"no images in {out_dir / 'image_2'}")
    tiles = []
    for image_path in images:
        image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
        label_path = out_dir / "label_2" / (image_path.stem + ".txt")
        for obj in read_labels(label_path) if label_path.exists() else []:
            left, top, right, bottom = (int(round(v)) for v in obj.bbox)
            cv2.rectangle(image, (left, top), (right, bottom), OCCLUSION_COLORS.get(obj.occluded, (255, 255, 255)), 1)
        scale = tile_width / image.shape[1]
        tile = cv2.resize(image, (tile_width, round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        cv2.putText(tile, image_path.stem, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    rows = math.ceil(len(tiles) / columns)
    height = max(tile.shape[0] for tile in tiles)
    sheet = np.zeros((rows * height, min(columns, len(tiles)) * tile_width, 3), np.uint8)
    for number, tile in enumerate(tiles):
        row, column = divmod(number, columns)
        sheet[row * height:row * height + tile.shape[0], column * tile_width:(column + 1) * tile_width] = tile
    encoded = cv2.imencode(Path(path).suffix.lower() or ".png", sheet)[1]  # PNG, or JPEG for thumbnails
    return write_bytes_atomic(path, encoded.tobytes())
