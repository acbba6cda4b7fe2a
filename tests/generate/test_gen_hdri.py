"""The hdri randomizer: Blender's own photographic HDRIs as world light and visible background,
checked against real Cycles renders (tiny sizes) and real generation runs."""

import math
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
import pytest

from drbench.data.kitti import read_labels
from drbench.generate import Settings, generate
from drbench.generate.seeds import image_seed

pytestmark = pytest.mark.slow

TINY = dict(width=64, height=32, max_cars=3, max_distractors=2, max_hard_negatives=2)
HDRI = {"name": "hdri", "params": {"background_share": 1.0}}
SKY_ONLY = ("camera", "cars", HDRI)  # nothing but the cars in front of the sky


def _built_scene(seed: int, randomizers, **settings):
    from drbench.generate import randomizers as axes
    from drbench.generate.scene import new_scene

    ctx = new_scene(Settings(**{**TINY, **settings}, randomizers=tuple(randomizers)))
    axes.apply(ctx, image_seed=seed, index=0)
    return ctx


def test_the_eight_hdris_are_found_in_the_installed_blender():
    from drbench.generate import hdri

    files = hdri.hdri_files()
    assert {"forest", "city", "courtyard", "sunrise", "sunset", "night", "interior", "studio"} <= set(files)
    package = Path(metadata.distribution("bpy").locate_file("bpy")).resolve()  # the installed wheel
    for path in files.values():
        assert Path(path).resolve().is_relative_to(package)
    equirect, mean = hdri.load(files["forest"])
    assert equirect.shape == (512, 1024, 3) and np.isfinite(equirect).all() and mean > 0


def test_the_world_lights_the_scene_with_one_of_them_and_the_background_is_its_view():
    ctx = _built_scene(3, ("camera", "cars", "lights", HDRI))  # after lights: it takes over their sky
    from drbench.generate import hdri

    tree = ctx.scene.world.node_tree
    (environment,) = [n for n in tree.nodes if n.bl_idname == "ShaderNodeTexEnvironment"]
    assert environment.image.filepath in hdri.hdri_files().values()
    colour = tree.nodes["Background"].inputs["Color"]
    assert colour.is_linked and colour.links[0].from_node == environment
    assert tree.nodes["Background"].inputs["Strength"].default_value > 0
    backdrop = ctx.background()
    assert backdrop.shape == (32, 64, 3) and 0 <= backdrop.min() and backdrop.max() <= 1
    assert backdrop.std() > 0.01  # a photograph, not a flat colour


def test_numpy_view_is_what_cycles_renders_of_the_world(tmp_path):
    """The background drawn in numpy agrees with Cycles' own look-up of the same rotated map."""
    import bpy

    from drbench.generate import hdri, render
    from drbench.generate.background import linear_to_srgb
    from drbench.generate.scene import new_scene, set_camera

    settings = Settings(width=64, height=32, samples=1)
    ctx = new_scene(settings)
    render.configure(ctx.scene, settings)
    bpy.data.objects.remove(ctx.ground)
    set_camera(ctx.camera, 1.6, 8.0, 80.0)
    path = hdri.hdri_files()["courtyard"]
    equirect, mean = hdri.load(path)
    rotation = (math.radians(2.0), 0.0, 1.1)
    hdri.world_nodes(ctx.scene.world, path, rotation, 0.5 / mean)
    filter_width = ctx.scene.cycles.filter_width
    ctx.scene.render.film_transparent = False  # the world itself in the pixels
    ctx.scene.cycles.filter_width = 0.01  # one ray through each pixel's centre
    try:
        rgba, _index = render.render(ctx.scene, str(tmp_path / "world.exr"))
    finally:  # the scene outlives the test in this process
        ctx.scene.cycles.filter_width = filter_width
    cycles = linear_to_srgb(rgba[..., :3])

    def drawn(turn: float) -> np.ndarray:
        lookup = hdri.lookup_matrix(ctx.camera.rotation_euler, (rotation[0], 0.0, rotation[2] + turn))
        return hdri.view(equirect, lookup, ctx.hfov, 0.5 / mean, 32, 64)

    error = np.abs(drawn(0.0) - cycles).mean()
    assert error < 0.002, error  # measured: 3e-7
    assert np.abs(drawn(math.pi / 2) - cycles).mean() > 0.05  # a quarter turn off is far off


def test_same_seed_same_image_other_seed_other_image_and_labels_only_cars(tmp_path):
    settings = Settings(**TINY, randomizers=SKY_ONLY)
    for run, seed in (("a", 0), ("b", 0), ("c", 1)):
        result = generate(tmp_path / run, 2, seed=seed, settings=settings, progress=False)
        assert result["generated"] == 2, result["failed"]
    for name in ("000000", "000001"):
        a, b, c = ((tmp_path / run / "image_2" / f"{name}.png").read_bytes() for run in "abc")
        assert a == b and a != c
        assert all(o.type == "Car" for o in read_labels(tmp_path / "a" / "label_2" / f"{name}.txt"))
    # the sky in the image is the HDRI's view the randomizer drew (nothing stands that high)
    ctx = _built_scene(image_seed(0, 0), SKY_ONLY)
    image = cv2.imread(str(tmp_path / "a" / "image_2" / "000000.png"))[..., ::-1].astype(int)
    expected = np.round(ctx.background() * 255).astype(int)
    assert np.abs(image[:4] - expected[:4]).max() <= 2


def test_user_backgrounds_stay_in_the_images_the_hdri_leaves_to_them(tmp_path):
    folder = tmp_path / "backgrounds"
    folder.mkdir()
    colour = (30, 200, 220)  # BGR on disk
    cv2.imwrite(str(folder / "plain.png"), np.full((90, 120, 3), colour, np.uint8))
    user = {"name": "background", "params": {"image_share": 1.0}}
    for share, shows_user in ((0.0, True), (1.0, False)):
        settings = Settings(**TINY, background_dir=str(folder), randomizers=(
            "camera", "cars", user, {"name": "hdri", "params": {"background_share": share}}))
        out = tmp_path / f"share-{share}"
        assert generate(out, 1, seed=0, settings=settings, progress=False)["generated"] == 1
        corner = cv2.imread(str(out / "image_2" / "000000.png"))[0, 0].astype(int)
        assert (np.abs(corner - colour).max() <= 1) == shows_user, corner
