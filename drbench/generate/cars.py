"""Procedural cars that read as cars: bevelled body with a sloped hood, a glass
cabin with pillars, wheels with rims under dark arches, head- and tail-lights.

Boxy cars made a detector fire on hedges and walls (field notes, prototype), so
the silhouette and the parts that tell a car from a box are modelled; proportions
vary by kind. Object frame: +x forward (length), +y left, +z up, origin at the
bottom centre (wheels touch z=0).
"""

from __future__ import annotations

from dataclasses import dataclass

import bmesh
import numpy as np

from drbench.generate.meshes import MeshBuilder

KINDS = ("sedan", "hatchback", "suv", "van")
BODY, GLASS, TYRE, RIM, HEAD, TAIL = range(6)  # material slots of every car

# kind -> ranges: length, width, ground clearance, body (lower) height, cabin height,
# cabin length as a fraction of the length, wheel radius, windscreen and rear-window runs
# (as fractions of the cabin height), whether the cabin reaches the rear.
_RANGES = {
    "sedan": dict(length=(4.2, 4.9), width=(1.70, 1.85), clearance=(0.14, 0.20), body=(0.50, 0.62),
                  cabin=(0.42, 0.52), cabin_frac=(0.44, 0.52), wheel=(0.30, 0.34),
                  screen=(1.0, 1.6), rear=(0.8, 1.4), to_rear=False),
    "hatchback": dict(length=(3.6, 4.2), width=(1.65, 1.80), clearance=(0.14, 0.18), body=(0.50, 0.62),
                      cabin=(0.45, 0.55), cabin_frac=(0.56, 0.64), wheel=(0.29, 0.33),
                      screen=(1.0, 1.5), rear=(0.2, 0.5), to_rear=True),
    "suv": dict(length=(4.3, 4.9), width=(1.80, 1.95), clearance=(0.20, 0.28), body=(0.65, 0.80),
                cabin=(0.55, 0.68), cabin_frac=(0.56, 0.66), wheel=(0.36, 0.41),
                screen=(0.7, 1.1), rear=(0.1, 0.3), to_rear=True),
    "van": dict(length=(4.6, 5.3), width=(1.85, 2.00), clearance=(0.16, 0.22), body=(0.75, 0.90),
                cabin=(0.80, 1.00), cabin_frac=(0.74, 0.84), wheel=(0.33, 0.38),
                screen=(0.6, 1.0), rear=(0.0, 0.1), to_rear=True),
}


@dataclass(frozen=True)
class CarShape:
    """Proportions of one car, in metres."""

    kind: str
    length: float
    width: float
    clearance: float
    body: float
    cabin: float
    cabin_frac: float
    wheel: float
    screen: float
    rear: float
    to_rear: bool

    @property
    def height(self) -> float:
        return self.clearance + self.body + self.cabin


def sample_shape(rng: np.random.Generator, kind: str | None = None) -> CarShape:
    """Random proportions for ``kind`` (random kind when None)."""
    kind = kind or str(rng.choice(KINDS))
    ranges = _RANGES[kind]
    values = {key: float(rng.uniform(*value)) for key, value in ranges.items() if key != "to_rear"}
    return CarShape(kind=kind, to_rear=ranges["to_rear"], **values)


def build_car(shape: CarShape, materials, collection, name: str = "car"):
    """One mesh object for the whole car; ``materials`` fill the slots BODY..TAIL in order."""
    s = shape
    half_l, half_w = s.length / 2, s.width / 2
    c, top = s.clearance, s.clearance + s.body
    builder = MeshBuilder()

    # Cabin span along x; the hood line rises from the nose to the windscreen base.
    cabin_len = s.cabin_frac * s.length
    rear_x = -half_l + 0.04 * s.length if s.to_rear else -half_l + 0.5 * (s.length - cabin_len) - 0.1 * s.length
    front_x = min(rear_x + cabin_len, half_l - 0.1 * s.length)
    nose_x = half_l - 0.05 * s.length
    profile = [(-half_l, c), (half_l, c), (half_l, c + 0.55 * s.body), (nose_x, c + 0.85 * s.body),
               (front_x, top), (-half_l + 0.04 * s.length, top), (-half_l, c + 0.7 * s.body)]
    builder.prism(profile, half_w, BODY, bevel=min(0.1, 0.12 * s.body), segments=3)

    # Cabin: narrower and shorter at the roof (tumblehome, sloped screens); the
    # glass is inset into the sides so the frame reads as pillars.
    screen, rear = s.screen * s.cabin, s.rear * s.cabin
    roof_front = max(front_x - screen, rear_x + rear + 0.3)
    base, roof = top - 0.01, top + s.cabin
    wb, wr = 0.46 * s.width, 0.40 * s.width
    bottom = [(rear_x, -wb, base), (front_x, -wb, base), (front_x, wb, base), (rear_x, wb, base)]
    upper = [(rear_x + rear, -wr, roof), (roof_front, -wr, roof), (roof_front, wr, roof), (rear_x + rear, wr, roof)]
    faces = builder.frustum(bottom, upper, BODY, bevel=0.04, segments=2)
    sides = [f for f in faces if f.is_valid and abs(f.normal.z) < 0.7 and f.calc_area() > 0.05]
    for face in sides:
        face.material_index = GLASS
    ring = bmesh.ops.inset_individual(builder.bm, faces=sides, thickness=0.06, depth=-0.01)["faces"]
    for face in ring:
        face.material_index = BODY

    # Wheels under dark arches; rims on the outer faces.
    axle = half_l - max(0.16 * s.length, 1.4 * s.wheel)
    tyre_w = 0.2
    for x in (-axle, axle):
        for side in (-1, 1):
            y = side * (half_w - tyre_w / 2 + 0.02)
            builder.cylinder((x, y, s.wheel), s.wheel, tyre_w, TYRE, axis="Y", segments=20, smooth=True)
            builder.cylinder((x, y + side * (tyre_w / 2 + 0.005), s.wheel), 0.6 * s.wheel, 0.01, RIM,
                             axis="Y", segments=12)
            builder.arch((x, s.wheel), s.wheel + 0.06, side * (half_w + 0.004), TYRE)

    # Lamps on the vertical parts of the nose and tail.
    lamp_w = 0.18 * s.width
    for side in (-1, 1):
        y = side * (half_w - 0.08 - lamp_w / 2)
        builder.box((half_l + 0.005, y, c + 0.4 * s.body), (0.03, lamp_w, 0.09), HEAD)
        builder.box((-half_l - 0.005, y, c + 0.5 * s.body), (0.03, lamp_w, 0.1), TAIL)

    return builder.to_object(name, materials, collection)
