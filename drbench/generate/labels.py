"""KITTI ``label_2`` objects for the rendered cars: boxes, truncation, occlusion, 3D pose.

Works on the Blender objects it is handed but does not import Blender itself,
so the definitions can be tested (and reused) without it.

Definitions (also recorded in every manifest, see ``DEFINITIONS``):

- box: extent of the car's projected evaluated mesh vertices, in KITTI pixel
  coordinates (pixel i has its centre at i, as in KITTI where x ends at W−1),
  clipped to [0, W−1]×[0, H−1]. It is the full (amodal) extent, occluded parts included.
- truncation: fraction of the unclipped projected box's area outside the image.
- visible fraction: car pixels in the object-index pass / pixels of the car's own
  silhouette rasterised from its projected triangles (what it would cover with
  nothing in front), both counted inside the image. Exact shape, no second render.
- occlusion: 0 if visible fraction > 0.8, 1 if > 0.5, 2 if > 0.2, else 3.
- not labelled: cars entirely outside the image or with 0 visible pixels.
- dimensions (h, w, l), location (bottom centre, camera coordinates: x right,
  y down, z forward) and rotation_y/alpha follow the KITTI devkit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from drbench.data.kitti import KittiObject

OCCLUSION_THRESHOLDS = (0.8, 0.5, 0.2)  # visible fraction above each → level 0, 1, 2; else 3
NEAR = 0.1  # metres; a car with a vertex nearer than this to the camera plane is not labelled

DEFINITIONS = {
    "box": "extent of projected mesh vertices, KITTI pixel coords (pixel centres at integers), clipped to [0,W-1]x[0,H-1]",
    "truncation": "fraction of the unclipped projected box area outside the image",
    "visible_fraction": "object-index-pass pixels / pixels of the car's rasterised silhouette, both inside the image",
    "occlusion": "0 if visible fraction > 0.8, 1 if > 0.5, 2 if > 0.2, else 3",
    "unlabelled": "cars fully outside the image or with 0 visible pixels",
    "box_3d": "dimensions (h, w, l) and location (bottom centre) of the mesh's own bounding box, camera "
              "coordinates; KITTI turns it about camera y only, so with a pitched camera (a few degrees) "
              "the car's true up axis is tilted by the pitch",
    "box_visible": "side file: extent of the car's own object-index-pass pixels, KITTI pixel coords (inclusive)",
    "type": "Car for procedural cars; a user model's class (Car, Van, Truck) for imported ones",
}


def occlusion_level(visible_fraction: float) -> int:
    for level, threshold in enumerate(OCCLUSION_THRESHOLDS):
        if visible_fraction > threshold:
            return level
    return 3


def truncation(box: tuple[float, float, float, float], width: int, height: int) -> float:
    """Fraction of the box (continuous pixel coordinates) lying outside [0, width]×[0, height]."""
    u0, v0, u1, v1 = box
    area = (u1 - u0) * (v1 - v0)
    if area <= 0:
        return 1.0
    inside = max(0.0, min(u1, width) - max(u0, 0)) * max(0.0, min(v1, height) - max(v0, 0))
    return 1.0 - inside / area


def wrap_angle(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _matrix(m) -> np.ndarray:
    return np.array([list(row) for row in m], dtype=np.float64)


class Projector:
    """World points → continuous pixel coordinates (pixel i spans [i, i+1), origin top-left)."""

    def __init__(self, camera, depsgraph, width: int, height: int) -> None:
        self.projection = _matrix(camera.calc_matrix_camera(depsgraph, x=width, y=height))
        self.world_to_camera = _matrix(camera.matrix_world.inverted())
        self.matrix = self.projection @ self.world_to_camera
        self.width, self.height = width, height

    def __call__(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Returns (N×2 pixel coordinates, N depths in front of the camera)."""
        clip = np.c_[points, np.ones(len(points))] @ self.matrix.T
        depth = clip[:, 3]
        ndc = clip[:, :2] / depth[:, None]
        u = (ndc[:, 0] + 1) / 2 * self.width
        v = (1 - ndc[:, 1]) / 2 * self.height
        return np.stack([u, v], axis=1), depth

    def to_kitti(self, point: np.ndarray) -> np.ndarray:
        """World point → KITTI camera coordinates (x right, y down, z forward)."""
        x, y, z = (self.world_to_camera @ np.r_[point, 1.0])[:3]
        return np.array([x, -y, -z])


def _mesh_arrays(obj, depsgraph) -> tuple[np.ndarray, np.ndarray]:
    """Object-space vertices and triangles of the evaluated mesh."""
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        verts = np.empty(len(mesh.vertices) * 3)
        mesh.vertices.foreach_get("co", verts)
        mesh.calc_loop_triangles()
        tris = np.empty(len(mesh.loop_triangles) * 3, dtype=np.int64)
        mesh.loop_triangles.foreach_get("vertices", tris)
    finally:
        evaluated.to_mesh_clear()
    return verts.reshape(-1, 3), tris.reshape(-1, 3)


SUPERSAMPLE = 5  # odd: the centre sub-pixel of every pixel is a sub-pixel centre


def silhouette(pixels: np.ndarray, tris: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boolean mask of the pixels whose centres the projected triangles cover.

    Filled on a grid SUPERSAMPLE times finer and read at pixel centres: cv2 fills every
    pixel an edge touches, so at 1× a small car's silhouette gains a half-pixel rim
    (a fully visible 10-px car looked 20 % occluded). One fill per triangle: a single
    ``cv2.fillPoly`` call over all of them XORs overlapping triangles and undercounts.
    """
    mask = np.zeros((height, width), bool)
    u0, v0 = np.maximum(np.floor(pixels.min(axis=0)).astype(int), 0)
    u1, v1 = np.minimum(np.ceil(pixels.max(axis=0)).astype(int), (width, height))
    if u1 <= u0 or v1 <= v0:
        return mask
    f, shift = SUPERSAMPLE, 4  # shift: cv2 sub-pixel coordinates in 1/16
    fine = np.zeros(((v1 - v0) * f, (u1 - u0) * f), np.uint8)
    # continuous pixel coordinate u -> fine grid coordinate with sub-pixel centres at integers
    points = np.round(((pixels - (u0, v0)) * f - 0.5) * (1 << shift)).astype(np.int32)
    for triangle in points[tris].reshape(-1, 3, 1, 2):
        cv2.fillConvexPoly(fine, triangle, 1, lineType=cv2.LINE_8, shift=shift)
    mask[v0:v1, u0:u1] = fine[f // 2::f, f // 2::f].astype(bool)
    return mask


def _visible_box(visible: np.ndarray) -> list[float] | None:
    rows = np.flatnonzero(visible.any(axis=1))
    cols = np.flatnonzero(visible.any(axis=0))
    if not len(rows):
        return None
    return [float(cols[0]), float(rows[0]), float(cols[-1]), float(rows[-1])]


@dataclass
class CarGeometry:
    """What labelling needs from one car, copied out of Blender (plain arrays, safe in a thread)."""

    local: np.ndarray  # object-space vertices of the evaluated mesh
    tris: np.ndarray
    world_matrix: np.ndarray
    pass_index: int
    cls: str
    shape: str


def car_geometry(cars, camera, depsgraph, width: int, height: int) -> tuple[Projector, list[CarGeometry]]:
    """The Blender half of labelling: camera and car meshes as arrays (fast; the rest is numpy)."""
    project = Projector(camera, depsgraph, width, height)
    geometry = []
    for car in cars:
        local, tris = _mesh_arrays(car, depsgraph)
        geometry.append(CarGeometry(local, tris, _matrix(car.matrix_world), int(car.pass_index),
                                    str(car.get("drbench_class", "Car")), str(car.get("drbench_shape", "procedural"))))
    return project, geometry


def labels_from_geometry(project: Projector, geometry: list[CarGeometry],
                         index: np.ndarray) -> tuple[list[KittiObject], np.ndarray]:
    """Labels of the visible cars and an instance mask (pixel = 1-based line of its car).

    The numpy half of labelling (no Blender calls: runs in the worker's writer thread).
    Each object's ``extra`` holds what the label line cannot: the unclipped amodal box, the
    visible box (extent of the car's own pixels in the index pass), pixel counts, the visible
    fraction, and the car's shape (``procedural:sedan``, ``model:kenney/van.glb``).
    """
    height, width = index.shape
    objects: list[KittiObject] = []
    instance = np.zeros((height, width), np.uint8)
    for car in geometry:
        local, tris, world_matrix = car.local, car.tris, car.world_matrix
        world = np.c_[local, np.ones(len(local))] @ world_matrix.T
        pixels, depth = project(world[:, :3])
        if depth.min() < NEAR:
            continue
        (u0, v0), (u1, v1) = pixels.min(axis=0), pixels.max(axis=0)
        if u1 <= 0 or v1 <= 0 or u0 >= width or v0 >= height:
            continue
        visible = index == car.pass_index
        visible_pixels = int(visible.sum())
        if visible_pixels == 0:
            continue
        covered = int(silhouette(pixels, tris, width, height).sum())
        fraction = min(1.0, visible_pixels / max(covered, 1))

        lo, hi = local.min(axis=0), local.max(axis=0)
        bottom = world_matrix @ np.r_[(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2], 1.0]
        location = project.to_kitti(bottom[:3])
        heading = project.to_kitti(bottom[:3] + world_matrix[:3, 0]) - location
        rotation_y = math.atan2(-heading[2], heading[0])
        objects.append(KittiObject(
            type=car.cls,
            bbox=(max(u0 - 0.5, 0.0), max(v0 - 0.5, 0.0), min(u1 - 0.5, width - 1.0), min(v1 - 0.5, height - 1.0)),
            truncated=truncation((u0, v0, u1, v1), width, height),
            occluded=occlusion_level(fraction),
            alpha=wrap_angle(rotation_y - math.atan2(location[0], location[2])),
            dimensions=tuple(float(d) for d in (hi[2] - lo[2], hi[1] - lo[1], hi[0] - lo[0])),
            location=tuple(float(c) for c in location),
            rotation_y=wrap_angle(rotation_y),
            extra={
                "shape": car.shape,
                "box_amodal_unclipped": [float(u0 - 0.5), float(v0 - 0.5), float(u1 - 0.5), float(v1 - 0.5)],
                "box_visible": _visible_box(visible),
                "visible_pixels": visible_pixels,
                "silhouette_pixels": covered,
                "visible_fraction": fraction,
            },
        ))
        instance[visible] = len(objects)
    return objects, instance


def camera_matrix(camera, depsgraph, width: int, height: int) -> np.ndarray:
    """KITTI's P2 for this camera: 3×4, KITTI pixel coordinates (pixel centres at integers)."""
    p = _matrix(camera.calc_matrix_camera(depsgraph, x=width, y=height))
    fx, fy = p[0, 0] * width / 2, p[1, 1] * height / 2
    cx, cy = (1 - p[0, 2]) * width / 2 - 0.5, (1 + p[1, 2]) * height / 2 - 0.5
    return np.array([[fx, 0, cx, 0], [0, fy, cy, 0], [0, 0, 1, 0]], dtype=np.float64)


def side_record(objects: list[KittiObject], **image: object) -> dict:
    """The per-image JSON side file: image facts plus every label with its extra fields."""
    records = []
    for line, obj in enumerate(objects, start=1):
        records.append({
            "line": line, "type": obj.type, **{k: obj.extra[k] for k in ("shape",) if k in obj.extra},
            "box_amodal": list(obj.bbox),
            **{k: v for k, v in obj.extra.items() if k != "shape"},
            "truncation": obj.truncated, "occlusion": obj.occluded,
            "dimensions_hwl": list(obj.dimensions), "location": list(obj.location),
            "rotation_y": obj.rotation_y, "alpha": obj.alpha,
        })
    return {**image, "objects": records}
