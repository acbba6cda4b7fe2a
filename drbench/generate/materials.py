"""Materials: plain paints and random procedural textures built from shader nodes.

Random textures are the paper's main appearance axis; procedural nodes give an
unbounded texture set without shipping image files. Texture coordinates are the
object's own (in metres), so a pattern's scale means the same on every object.
"""

from __future__ import annotations

import colorsys

import bpy
import numpy as np

PATTERNS = ("noise", "checker", "voronoi", "stripes", "gradient", "solid")


def random_color(rng: np.random.Generator) -> tuple[float, float, float, float]:
    """A random colour, uniform in HSV, converted to (roughly) linear RGB."""
    h, s, v = rng.random(), rng.random(), rng.uniform(0.05, 1.0)
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return (r**2.2, g**2.2, b**2.2, 1.0)


def _new(name: str) -> tuple[bpy.types.Material, bpy.types.Node]:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    bsdf = material.node_tree.nodes["Principled BSDF"]
    return material, bsdf


def solid(name: str, color, roughness: float = 0.5, metallic: float = 0.0, emission: float = 0.0) -> bpy.types.Material:
    """A single-colour material; ``emission`` > 0 makes it glow in its own colour (lamps)."""
    material, bsdf = _new(name)
    bsdf.inputs["Base Color"].default_value = color
    bsdf.inputs["Roughness"].default_value = roughness
    bsdf.inputs["Metallic"].default_value = metallic
    if emission > 0:
        bsdf.inputs["Emission Color"].default_value = color
        bsdf.inputs["Emission Strength"].default_value = emission
    return material


def _ramp(tree, rng: np.random.Generator) -> bpy.types.Node:
    """A colour ramp with 2–4 random colours at random positions."""
    ramp = tree.nodes.new("ShaderNodeValToRGB")
    elements = ramp.color_ramp.elements
    count = int(rng.integers(2, 5))
    positions = np.sort(rng.random(count))
    for _ in range(count - 2):
        elements.new(0.5)
    for element, position in zip(elements, positions):
        element.position = float(position)
        element.color = random_color(rng)
    ramp.color_ramp.interpolation = str(rng.choice(["LINEAR", "CONSTANT", "EASE"]))
    return ramp


def procedural(name: str, rng: np.random.Generator) -> bpy.types.Material:
    """A material with a random pattern, random colours, scale, rotation and gloss."""
    material, bsdf = _new(name)
    tree = material.node_tree
    bsdf.inputs["Roughness"].default_value = float(rng.uniform(0.05, 0.95))
    bsdf.inputs["Metallic"].default_value = float(rng.choice([0.0, rng.uniform(0.0, 0.9)]))
    pattern = str(rng.choice(PATTERNS))
    if pattern == "solid":
        bsdf.inputs["Base Color"].default_value = random_color(rng)
        return material

    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = [float(rng.uniform(0.2, 6.0))] * 3
    mapping.inputs["Rotation"].default_value = rng.uniform(0, np.pi, 3).tolist()
    mapping.inputs["Location"].default_value = rng.uniform(-10, 10, 3).tolist()
    tree.links.new(coords.outputs["Object"], mapping.inputs["Vector"])

    if pattern == "checker":
        texture = tree.nodes.new("ShaderNodeTexChecker")
        texture.inputs["Color1"].default_value = random_color(rng)
        texture.inputs["Color2"].default_value = random_color(rng)
        texture.inputs["Scale"].default_value = float(rng.uniform(1, 8))
        tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
        tree.links.new(texture.outputs["Color"], bsdf.inputs["Base Color"])
        return material

    if pattern == "noise":
        texture = tree.nodes.new("ShaderNodeTexNoise")
        texture.inputs["Scale"].default_value = float(rng.uniform(1, 15))
        texture.inputs["Detail"].default_value = float(rng.uniform(0, 8))
        factor = texture.outputs["Fac"]
    elif pattern == "voronoi":
        texture = tree.nodes.new("ShaderNodeTexVoronoi")
        texture.inputs["Scale"].default_value = float(rng.uniform(1, 15))
        factor = texture.outputs["Distance"]
    elif pattern == "stripes":
        texture = tree.nodes.new("ShaderNodeTexWave")
        texture.wave_profile = str(rng.choice(["SIN", "SAW", "TRI"]))
        texture.bands_direction = str(rng.choice(["X", "Y", "Z", "DIAGONAL"]))
        texture.inputs["Scale"].default_value = float(rng.uniform(0.5, 10))
        texture.inputs["Distortion"].default_value = float(rng.choice([0.0, rng.uniform(0, 10)]))
        factor = texture.outputs["Fac"]
    else:  # gradient
        texture = tree.nodes.new("ShaderNodeTexGradient")
        texture.gradient_type = str(rng.choice(["LINEAR", "QUADRATIC", "EASING", "DIAGONAL", "SPHERICAL", "RADIAL"]))
        factor = texture.outputs["Fac"]
    tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    ramp = _ramp(tree, rng)
    tree.links.new(factor, ramp.inputs["Fac"])
    tree.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    return material


def tinted(base: bpy.types.Material | None, name: str, rng: np.random.Generator) -> bpy.types.Material:
    """A copy of an imported model's material with its colour multiplied by a random colour.

    Keeps the model's own texture detail (dark windows, lamps) while the paint changes.
    """
    if base is None or not base.use_nodes or "Principled BSDF" not in base.node_tree.nodes:
        return solid(name, random_color(rng), roughness=float(rng.uniform(0.1, 0.6)))
    material = base.copy()
    material.name = name
    if "drbench_library" in material:
        del material["drbench_library"]
    material.use_fake_user = False
    tree = material.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    color = np.array(random_color(rng)[:3]) ** (1 / 2.2) * 1.6  # brighter than a plain random colour
    socket = bsdf.inputs["Base Color"]
    mix = tree.nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    mix.blend_type = "MULTIPLY"
    sockets = {s.identifier: s for s in list(mix.inputs) + list(mix.outputs)}
    sockets["Factor_Float"].default_value = float(rng.uniform(0.6, 1.0))
    if socket.is_linked:
        tree.links.new(socket.links[0].from_socket, sockets["A_Color"])
    else:
        sockets["A_Color"].default_value = tuple(socket.default_value)
    sockets["B_Color"].default_value = (*np.clip(color, 0, 4).tolist(), 1.0)
    tree.links.new(sockets["Result_Color"], socket)
    bsdf.inputs["Roughness"].default_value = float(rng.uniform(0.1, 0.7))
    return material


_IMAGES: dict[str, bpy.types.Image] = {}
MAX_CACHED_IMAGES = 64


def library_image(path: str) -> bpy.types.Image:
    """An image file (a texture, an HDRI), loaded once per worker (kept across images, at most
    MAX_CACHED_IMAGES)."""
    image = _IMAGES.get(path)
    if image is not None:
        try:
            image.name  # still alive
            return image
        except ReferenceError:
            pass
    if len(_IMAGES) >= MAX_CACHED_IMAGES:
        oldest = next(iter(_IMAGES))
        try:
            bpy.data.images.remove(_IMAGES.pop(oldest))
        except ReferenceError:
            pass
    image = bpy.data.images.load(path)
    image["drbench_library"] = True
    image.use_fake_user = True
    _IMAGES[path] = image
    return image


def image_texture(name: str, path: str, rng: np.random.Generator) -> bpy.types.Material:
    """A material showing a user texture image, box-projected in object space at a random scale and angle."""
    material, bsdf = _new(name)
    tree = material.node_tree
    bsdf.inputs["Roughness"].default_value = float(rng.uniform(0.1, 0.95))
    coords = tree.nodes.new("ShaderNodeTexCoord")
    mapping = tree.nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = [float(rng.uniform(0.1, 2.0))] * 3
    mapping.inputs["Rotation"].default_value = rng.uniform(0, np.pi, 3).tolist()
    mapping.inputs["Location"].default_value = rng.uniform(-10, 10, 3).tolist()
    texture = tree.nodes.new("ShaderNodeTexImage")
    texture.image = library_image(path)
    texture.projection = "BOX"
    texture.projection_blend = 0.2
    tree.links.new(coords.outputs["Object"], mapping.inputs["Vector"])
    tree.links.new(mapping.outputs["Vector"], texture.inputs["Vector"])
    tree.links.new(texture.outputs["Color"], bsdf.inputs["Base Color"])
    return material
