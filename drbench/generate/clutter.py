"""Natural clutter at ground level: trees, bushes, hedge rows, tree lines, window-gridded
façades and an asphalt road surface.

The cpu DR baseline's strongest false positives on real KITTI sit on exactly
these (road surface, tree lines, hedges, shop fronts): hard negatives that look
like them teach the detector that they are not cars. Looks come from shader
nodes (window grids, leaf and asphalt noise), not geometry, so the scene stays
cheap at 2 Cycles samples; all vegetation of an image is one object, built with numpy. Built in
the road's frame (road.py: x along the road, y to its left).
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import bpy
import numpy as np

from drbench.generate import materials
from drbench.generate.meshes import UnitParts
from drbench.generate.road import ROAD_START, fits_box, road_edges, to_world
from drbench.generate.scene import SceneContext

REACH = 150.0  # metres along the road that get vegetation (farther away it is a few pixels)
FOLIAGE_KINDS = 3  # foliage materials per image
BARK = FOLIAGE_KINDS  # the vegetation object's material slots: foliage 0..2, then bark
HEDGE_SEGMENT = 4.0
MARGIN = 0.5  # metres kept between plants and anything placed before them


def _linear(h: float, s: float, v: float) -> tuple[float, float, float, float]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return (r**2.2, g**2.2, b**2.2, 1.0)


def _socket(tree, node_type: str, inputs: tuple, operation: str | None = None, output: int = 0):
    """A new node with its inputs (sockets to link or plain values) set; returns its output."""
    node = tree.nodes.new(node_type)
    if operation:
        node.operation = operation
    for index, value in enumerate(inputs):
        if isinstance(value, bpy.types.NodeSocket):
            tree.links.new(value, node.inputs[index])
        else:
            node.inputs[index].default_value = value
    return node.outputs[output]


def _math(tree, operation: str, *inputs):
    return _socket(tree, "ShaderNodeMath", inputs, operation)


def _noise_ramp(tree, vector, scale: float, detail: float, colours) -> bpy.types.NodeSocket:
    """Fractal noise over ``vector`` mapped through a ramp of ``colours`` (evenly spaced)."""
    noise = tree.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = scale
    noise.inputs["Detail"].default_value = detail
    if vector is not None:
        tree.links.new(vector, noise.inputs["Vector"])
    ramp = tree.nodes.new("ShaderNodeValToRGB")
    elements = ramp.color_ramp.elements
    for _ in range(len(colours) - 2):
        elements.new(0.5)
    for element, position, colour in zip(elements, np.linspace(0.3, 0.7, len(colours)), colours):
        element.position, element.color = float(position), colour
    tree.links.new(noise.outputs["Fac"], ramp.inputs["Fac"])
    return ramp.outputs["Color"]


def _object_coords(tree):
    return tree.nodes.new("ShaderNodeTexCoord").outputs["Object"]


def foliage(name: str, rng: np.random.Generator) -> bpy.types.Material:
    """Leaves: green (sometimes autumn) light and dark patches a few decimetres across."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    hue = rng.uniform(0.04, 0.12) if rng.random() < 0.15 else rng.uniform(0.17, 0.36)
    saturation = rng.uniform(0.35, 0.85)
    dark, light = _linear(hue, saturation, rng.uniform(0.05, 0.2)), _linear(hue + rng.normal(0, 0.02),
                                                                             saturation, rng.uniform(0.25, 0.55))
    colour = _noise_ramp(tree, _object_coords(tree), float(rng.uniform(1.5, 5.0)), 6.0, (dark, light))
    tree.links.new(colour, bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = float(rng.uniform(0.6, 0.95))
    return material


def bark(name: str, rng: np.random.Generator) -> bpy.types.Material:
    return materials.solid(name, _linear(rng.uniform(0.03, 0.11), rng.uniform(0.15, 0.5), rng.uniform(0.08, 0.3)),
                           roughness=0.9)


def asphalt(name: str, rng: np.random.Generator) -> bpy.types.Material:
    """Asphalt: grey aggregate grain with darker repairs and stains, from one fractal noise."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    grey, warm = rng.uniform(0.1, 0.35), rng.uniform(-0.03, 0.03)
    shades = [_linear(0.08, abs(warm) * 3, grey * k) for k in (0.55, 1.0, 1.25)]
    colour = _noise_ramp(tree, _object_coords(tree), float(rng.uniform(0.1, 0.5)), 15.0, shades)
    tree.links.new(colour, bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = float(rng.uniform(0.7, 0.95))
    return material


def _wall_colour(rng: np.random.Generator) -> tuple:
    family = rng.integers(4)
    if family == 0:  # brick
        return _linear(rng.uniform(0.0, 0.06), rng.uniform(0.35, 0.7), rng.uniform(0.25, 0.55))
    if family == 1:  # render, sandstone
        return _linear(rng.uniform(0.07, 0.15), rng.uniform(0.05, 0.4), rng.uniform(0.5, 0.9))
    if family == 2:  # concrete, plaster
        return _linear(0.0, rng.uniform(0.0, 0.06), rng.uniform(0.3, 0.85))
    return _linear(rng.random(), rng.uniform(0.1, 0.35), rng.uniform(0.55, 0.9))  # painted


def facade(name: str, rng: np.random.Generator) -> bpy.types.Material:
    """A wall with a grid of windows (each its own shade: reflections, lit rooms, blinds) and,
    for half of them, a ground floor of wide shop windows. The grid runs along the object's
    x + y and z, so it lies on every face of a road-aligned box."""
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    pitch, storey = rng.uniform(2.2, 4.5), rng.uniform(2.8, 3.8)
    window_width, window_height = rng.uniform(0.35, 0.7), rng.uniform(0.35, 0.6)
    shop_width = rng.uniform(0.8, 0.95) if rng.random() < 0.5 else window_width

    xyz = tree.nodes.new("ShaderNodeSeparateXYZ")
    tree.links.new(_object_coords(tree), xyz.inputs["Vector"])
    along = _math(tree, "DIVIDE", _math(tree, "ADD", xyz.outputs["X"], xyz.outputs["Y"]), pitch)
    floors = _math(tree, "DIVIDE", xyz.outputs["Z"], storey)
    across = _math(tree, "ABSOLUTE", _math(tree, "SUBTRACT", _math(tree, "FRACT", along), 0.5))
    up = _math(tree, "ABSOLUTE", _math(tree, "SUBTRACT", _math(tree, "FRACT", floors), 0.55))
    upper = _math(tree, "MULTIPLY", _math(tree, "LESS_THAN", across, window_width / 2),
                  _math(tree, "LESS_THAN", up, window_height / 2))
    upper = _math(tree, "MULTIPLY", upper, _math(tree, "GREATER_THAN", floors, 1.0))
    shop = _math(tree, "MULTIPLY", _math(tree, "LESS_THAN", across, shop_width / 2),
                 _math(tree, "LESS_THAN", _math(tree, "ABSOLUTE", _math(tree, "SUBTRACT", floors, 0.45)), 0.38))
    window = _math(tree, "MAXIMUM", upper, shop)

    cell = tree.nodes.new("ShaderNodeCombineXYZ")
    tree.links.new(_math(tree, "FLOOR", along), cell.inputs["X"])
    tree.links.new(_math(tree, "FLOOR", floors), cell.inputs["Y"])
    shade = tree.nodes.new("ShaderNodeTexWhiteNoise")
    shade.noise_dimensions = "3D"
    tree.links.new(cell.outputs["Vector"], shade.inputs["Vector"])
    glass = tree.nodes.new("ShaderNodeValToRGB")
    glass.color_ramp.elements[0].color = _linear(rng.uniform(0.5, 0.7), rng.uniform(0.0, 0.4), rng.uniform(0.02, 0.1))
    glass.color_ramp.elements[1].color = _linear(rng.uniform(0.05, 0.7), rng.uniform(0.0, 0.4),
                                                 rng.uniform(0.2, 0.7))
    tree.links.new(shade.outputs["Value"], glass.inputs["Fac"])

    wall = _wall_colour(rng)
    grime = _noise_ramp(tree, _object_coords(tree), float(rng.uniform(0.2, 1.0)), 4.0,
                        (tuple(c * 0.75 for c in wall[:3]) + (1.0,), wall))
    mix = tree.nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    sockets = {s.identifier: s for s in list(mix.inputs) + list(mix.outputs)}
    tree.links.new(window, sockets["Factor_Float"])
    tree.links.new(grime, sockets["A_Color"])
    tree.links.new(glass.outputs["Color"], sockets["B_Color"])
    tree.links.new(sockets["Result_Color"], bsdf.inputs["Base Color"])
    roughness = _socket(tree, "ShaderNodeMapRange", (window, 0.0, 1.0, float(rng.uniform(0.6, 0.95)), 0.05))
    tree.links.new(roughness, bsdf.inputs["Roughness"])
    return material


@dataclass(frozen=True)
class Plant:
    """A tree or bush drawn from the generator before it is placed: parts relative to its foot."""

    radius: float  # of its ground footprint (the crown's)
    trunk: tuple[float, float] = (0.0, 0.0)  # radius, height (0: none)
    cones: tuple = ()  # (centre height, radius, height) each
    blobs: tuple = ()  # ((dx, dy, centre height), (rx, ry, rz)) each


def _reach(blobs) -> float:
    """How far from the foot the blobs reach on the ground."""
    return max(math.hypot(dx, dy) + max(rx, ry) for (dx, dy, _z), (rx, ry, _rz) in blobs)


def tree_shape(rng: np.random.Generator, scale: float = 1.0) -> Plant:
    """A deciduous tree (foliage blobs on a trunk) or, a quarter of them, a conifer (stacked cones)."""
    height = scale * rng.uniform(4.0, 12.0)
    trunk = rng.uniform(0.08, 0.3) * scale
    if rng.random() < 0.25:
        crown = height * rng.uniform(0.15, 0.25)
        return Plant(crown, (trunk, height * 0.4),
                     cones=tuple((height * (level + 0.2), crown * size, height * 0.4)
                                 for level, size in zip((0.2, 0.425, 0.65), (1.0, 0.75, 0.5))))
    crown = height * rng.uniform(0.2, 0.35)
    base = height - 2 * crown
    blobs = []
    for _ in range(int(rng.integers(3, 7))):
        dx, dy, dz = rng.normal(0, crown * 0.35, 3)
        radius = crown * rng.uniform(0.55, 0.85)
        blobs.append(((dx, dy, base + crown + dz * 0.6), (radius, radius, radius * rng.uniform(0.7, 1.0))))
    return Plant(_reach(blobs), (trunk, base + crown * 0.6), blobs=tuple(blobs))


def bush_shape(rng: np.random.Generator) -> Plant:
    """A low cluster of 2–5 foliage blobs."""
    radius = rng.uniform(0.4, 1.3)
    blobs = []
    for _ in range(int(rng.integers(2, 6))):
        dx, dy = rng.normal(0, radius * 0.4, 2)
        size = radius * rng.uniform(0.5, 0.9)
        blobs.append(((dx, dy, size * 0.7), (size, size, size * rng.uniform(0.6, 0.9))))
    return Plant(_reach(blobs), blobs=tuple(blobs))


def add_plant(parts: UnitParts, plant: Plant, along: float, left: float, slot: int) -> None:
    """Build ``plant`` standing at road-frame (along, left), its foliage in material ``slot``."""
    trunk_radius, trunk_height = plant.trunk
    if trunk_height > 0:
        parts.add("cylinder", (along, left, trunk_height / 2), (trunk_radius, trunk_radius, trunk_height), BARK)
    for centre, radius, height in plant.cones:
        parts.add("cone", (along, left, centre), (radius, radius, height), slot)
    for (dx, dy, z), radii in plant.blobs:
        parts.add("sphere", (along + dx, left + dy, z), radii, slot, smooth=True)


def _round_fits(ctx: SceneContext, along: float, offset: float, radius: float, clearance: float) -> list | None:
    """The ground circle of something round at road-frame (along, offset) if it is free, else None;
    with MARGIN, as footprints are circles and a car's corners stick out of its own."""
    x, y = to_world(ctx, along, offset)
    circles = [(x, y, radius + MARGIN)]
    return circles if math.hypot(x, y) >= radius + clearance and ctx.fits(circles) else None


def _hedge_row(parts, ctx, rng, offset: float, slot: int) -> None:
    """A hedge of overlapping blobs along the road, in segments, with gaps (drives, gates)."""
    height, depth, step = rng.uniform(0.8, 2.2), rng.uniform(0.6, 1.5), rng.uniform(0.5, 0.9)
    for start in np.arange(ROAD_START + rng.uniform(0, HEDGE_SEGMENT), REACH, HEDGE_SEGMENT):
        if rng.random() < 0.15:
            continue
        circles = fits_box(ctx, start + HEDGE_SEGMENT / 2, offset, HEDGE_SEGMENT + 2 * MARGIN, depth + 2 * MARGIN,
                           camera_clearance=2.0)
        if circles is None:
            continue
        ctx.footprints.extend(circles)
        for along in np.arange(start + step / 2, start + HEDGE_SEGMENT, step):
            parts.add("sphere", (along, -offset, height * 0.5), (step * rng.uniform(0.55, 0.65),
                      depth / 2 * rng.uniform(0.85, 1.0), height / 2 * rng.uniform(0.85, 1.1)), slot, smooth=True)


def _tree_row(parts, ctx, rng, offset: float, spacing: float, slot: int, scale: float = 1.0) -> None:
    """Trees along the road every ``spacing`` metres (roughly), each on free ground."""
    along = ROAD_START + rng.uniform(0, spacing)
    while along < REACH:
        plant = tree_shape(rng, scale)
        circles = _round_fits(ctx, along, offset, plant.radius, 2.0)
        if circles is not None:
            add_plant(parts, plant, along, -offset, slot)
            ctx.footprints.extend(circles)
        along += spacing * rng.uniform(0.7, 1.3)


def build_vegetation(ctx: SceneContext, rng: np.random.Generator, name: str, *, verge: float,
                     hedge_share: float, tree_row_share: float, tree_line_share: float,
                     bushes: int, trees: int, random_texture_share: float):
    """Hedges and tree rows at the verge, tree lines far back, and ``bushes`` bushes and ``trees``
    single trees on free ground in view: one object (None if nothing fitted)."""
    parts = UnitParts()
    right, left = road_edges(ctx, 0.0)
    for side, edge in ((-1, right), (1, left)):
        if rng.random() < hedge_share:
            _hedge_row(parts, ctx, rng, edge + side * (verge + rng.uniform(0.3, 1.5)),
                       int(rng.integers(FOLIAGE_KINDS)))
        if rng.random() < tree_row_share:
            _tree_row(parts, ctx, rng, edge + side * (verge + rng.uniform(0.5, 3.0)), rng.uniform(5, 14),
                      int(rng.integers(FOLIAGE_KINDS)))
        if rng.random() < tree_line_share:
            far = edge + side * (verge + rng.uniform(8, 40))
            for row in range(int(rng.integers(1, 3))):
                _tree_row(parts, ctx, rng, far + side * row * rng.uniform(3, 6), rng.uniform(2.5, 5),
                          int(rng.integers(FOLIAGE_KINDS)), scale=rng.uniform(1.0, 1.6))
    for count, shape in ((bushes, bush_shape), (trees, tree_shape)):
        for _ in range(count):
            depth = rng.uniform(4.0, 60.0)
            x = rng.uniform(-1.3, 1.3) * ctx.half_width_at(depth)
            along = x * math.cos(ctx.road_yaw) + depth * math.sin(ctx.road_yaw)  # to_world, inverted
            offset = x * math.sin(ctx.road_yaw) - depth * math.cos(ctx.road_yaw)
            if right - 0.5 < offset < left + 0.5:  # not on the carriageway
                continue
            plant = shape(rng)
            circles = _round_fits(ctx, along, offset, plant.radius, 2.0)
            if circles is not None:
                add_plant(parts, plant, along, -offset, int(rng.integers(FOLIAGE_KINDS)))
                ctx.footprints.extend(circles)
    if not parts:
        return None
    slots = [materials.procedural(f"{name}.foliage.{i}", rng) if rng.random() < random_texture_share
             else foliage(f"{name}.foliage.{i}", rng) for i in range(FOLIAGE_KINDS)]
    obj = parts.to_object(name, slots + [bark(f"{name}.bark", rng)], ctx.collection)
    obj.rotation_euler = (0.0, 0.0, ctx.road_yaw)
    return obj
