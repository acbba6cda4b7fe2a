"""End-to-end generation with real (small) Blender renders in the worker child."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from drbench.cli import main
from drbench.data.kitti import read_labels
from drbench.generate import Settings, contact_sheet, generate
from drbench.generate.seeds import image_seed

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
SMALL = dict(width=320, height=96, samples=1, max_cars=6, masks=True)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Three random images (seed 7) with masks, and what generate() returned."""
    out = tmp_path_factory.mktemp("small") / "run"
    return out, generate(out, 3, seed=7, settings=Settings(**SMALL), progress=False)


@pytest.fixture
def known_scenes_on_path(monkeypatch):
    """Let the worker import known_scenes.py (it inherits the environment)."""
    monkeypatch.setenv("PYTHONPATH", str(HERE))


def _files(out, folder):
    return sorted(p.name for p in (out / folder).iterdir())


def test_importing_the_package_does_not_load_blender():
    code = "import sys, drbench.generate; assert 'bpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_run_writes_kitti_layout_and_manifest(small_run):
    out, result = small_run
    assert result["generated"] == 3 and not result["failed"]
    for folder, suffix in (("image_2", ".png"), ("label_2", ".txt"), ("mask_2", ".png"), ("label_json", ".json")):
        assert _files(out, folder) == [f"{i:06d}{suffix}" for i in range(3)]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["count"] == 3 and manifest["seed"] == 7
    assert manifest["image_seeds"] == [image_seed(7, i) for i in range(3)]
    assert manifest["settings"] == Settings(**SMALL).to_dict()
    labelled = 0
    for i in range(3):
        image = cv2.imread(str(out / "image_2" / f"{i:06d}.png"))
        assert image.shape == (96, 320, 3)
        objects = read_labels(out / "label_2" / f"{i:06d}.txt")
        mask = cv2.imread(str(out / "mask_2" / f"{i:06d}.png"), cv2.IMREAD_UNCHANGED)
        assert set(np.unique(mask)) - {0} == set(range(1, len(objects) + 1))  # every label is visible
        for obj in objects:
            left, top, right, bottom = obj.bbox
            assert obj.type == "Car" and 0 <= left <= right <= 319 and 0 <= top <= bottom <= 95
            assert 0 <= obj.truncated <= 1 and obj.occluded in (0, 1, 2, 3)
            assert obj.location[2] > 0 and all(d > 0 for d in obj.dimensions)
        labelled += len(objects)
    assert labelled == result["labels"] > 0


def test_same_seed_same_output_other_seed_other_output(small_run, tmp_path):
    out, _ = small_run
    again = generate(tmp_path / "again", 3, seed=7, settings=Settings(**SMALL), progress=False)
    other = generate(tmp_path / "other", 3, seed=8, settings=Settings(**SMALL), progress=False)
    assert again["generated"] == other["generated"] == 3
    for folder in ("label_2", "image_2"):
        for name in _files(out, folder):
            assert (out / folder / name).read_bytes() == (tmp_path / "again" / folder / name).read_bytes()
    assert any((out / "label_2" / name).read_bytes() != (tmp_path / "other" / "label_2" / name).read_bytes()
               for name in _files(out, "label_2"))


def test_known_scene_labels(known_scenes_on_path, tmp_path):
    settings = Settings(width=480, height=144, masks=True, randomizers=("known_scenes:three_cars",))
    result = generate(tmp_path, 1, seed=0, settings=settings, progress=False)
    assert result["generated"] == 1, result["failed"]
    centred, edge, hidden = read_labels(tmp_path / "label_2" / "000000.txt")
    mask = cv2.imread(str(tmp_path / "mask_2" / "000000.png"), cv2.IMREAD_UNCHANGED)

    # Fully in view: no truncation or occlusion; the box is the rendered pixel extent. The
    # mask is point-sampled (one jittered sample per pixel), so it can miss a sub-pixel
    # sliver such as a tyre's tangent to the road: up to 1 px, plus the jitter.
    assert centred.truncated == 0 and centred.occluded == 0
    rows, cols = np.nonzero(mask == 1)
    extent = (cols.min(), rows.min(), cols.max(), rows.max())
    assert np.allclose(centred.bbox, extent, atol=1.5), (centred.bbox, extent)
    # 3D: bottom centre 12 m ahead, camera 1.65 m above the road, heading along camera x.
    assert np.allclose(centred.location, (0.0, 1.65, 12.0), atol=0.02)
    assert abs(centred.rotation_y) < 0.01 and abs(centred.alpha) < 0.01
    height, width, length = centred.dimensions
    assert 1.1 < height < 1.7 and 1.7 < width < 2.0 and 4.2 <= length < 5.0

    # Centred on the right border: about half its projected box is outside, clipped to the edge.
    assert 0.4 < edge.truncated < 0.65 and edge.bbox[2] == 479
    # Behind a wall: partly occluded, yet its box is the full (amodal) extent.
    assert hidden.occluded == 1 and hidden.truncated == 0
    cols = np.nonzero(mask == 3)[1]
    assert hidden.bbox[0] < cols.min() - 5


def test_crashing_worker_is_restarted_and_failures_are_recorded(monkeypatch, tmp_path):
    # 0: aborts once (retried, succeeds); 1: always exits (recorded); 2: raises once.
    monkeypatch.setenv("DRBENCH_WORKER_FAULT", "0:abort,1:exit:always,2:raise")
    result = generate(tmp_path, 4, seed=3, settings=Settings(width=160, height=48, max_cars=2), progress=False)
    assert result["generated"] == 3 and list(result["failed"]) == [1]
    assert "worker died" in result["failed"][1]
    assert _files(tmp_path, "label_2") == ["000000.txt", "000002.txt", "000003.txt"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert list(manifest["failed"]) == ["1"] and not manifest["complete"]


def test_resume_completes_partial_output_without_duplicates(small_run, tmp_path):
    out, _ = small_run
    run = tmp_path / "run"
    shutil.copytree(out, run)
    (run / "label_2" / "000001.txt").unlink()  # image 1 left without its label: incomplete
    (run / "image_2" / ".000002.png.x1y2.tmp").write_bytes(b"torn")  # an interrupted atomic write
    kept = (run / "image_2" / "000000.png").stat().st_mtime_ns

    result = generate(run, 4, seed=7, settings=Settings(**SMALL), resume=True, progress=False)
    assert (result["generated"], result["skipped"]) == (2, 2)  # images 1 and 3 only
    assert (run / "image_2" / "000000.png").stat().st_mtime_ns == kept
    for folder in ("image_2", "label_2", "mask_2"):
        assert len(_files(run, folder)) == 4
    for name in ("000001.txt", "000002.txt"):  # re-rendered image 1 equals the original one
        assert (run / "label_2" / name).read_bytes() == (out / "label_2" / name).read_bytes()
    assert json.loads((run / "manifest.json").read_text())["count"] == 4


def test_resume_refuses_other_settings_and_fresh_run_refuses_existing(small_run):
    out, _ = small_run
    with pytest.raises(ValueError, match="cannot resume"):
        generate(out, 3, seed=8, settings=Settings(**SMALL), resume=True, progress=False)
    with pytest.raises(FileExistsError):
        generate(out, 3, seed=7, settings=Settings(**SMALL), progress=False)
    with pytest.raises(ValueError, match="inside settings"):
        generate(out, 3, seed=7, width=640, settings=Settings(**SMALL), progress=False)


def test_killed_run_resumes_to_a_valid_set(tmp_path):
    out = tmp_path / "run"
    code = ("from drbench.generate import Settings, generate; "
            f"generate({str(out)!r}, 5, seed=11, settings=Settings(width=160, height=48, max_cars=3), progress=False)")
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        label = out / "label_2" / "000001.txt"
        for _ in range(600):
            if label.exists() or parent.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"])
        with open(f"/proc/{parent.pid}/task/{parent.pid}/children") as handle:
            workers = [int(pid) for pid in handle.read().split()]
        parent.kill()
    finally:
        parent.wait()
    for pid in workers:  # the orphaned worker gets SIGTERM from the kernel (PR_SET_PDEATHSIG)
        for _ in range(100):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    if stat.read().split(") ")[1][0] == "Z":
                        break
            except FileNotFoundError:
                break
            subprocess.run(["sleep", "0.1"])
        else:
            pytest.fail(f"worker {pid} outlived its killed parent")

    done = [name for name in _files(out, "label_2") if not name.startswith(".")]  # no torn temp files
    assert 2 <= len(done) < 5
    result = generate(out, 5, seed=11, settings=Settings(width=160, height=48, max_cars=3), resume=True, progress=False)
    assert result["skipped"] == len(done) and result["generated"] == 5 - len(done)
    assert _files(out, "image_2") == [f"{i:06d}.png" for i in range(5)]  # no temp files either
    assert _files(out, "label_2") == [f"{i:06d}.txt" for i in range(5)]
    assert sorted(p.name for p in out.iterdir()) == ["image_2", "label_2", "label_json", "manifest.json"]
    for i in range(5):
        assert cv2.imread(str(out / "image_2" / f"{i:06d}.png")).shape == (48, 160, 3)
        read_labels(out / "label_2" / f"{i:06d}.txt")


def test_contact_sheet(small_run, tmp_path):
    out, _ = small_run
    sheet = cv2.imread(str(contact_sheet(out, tmp_path / "sheet.png", n=16)))
    assert sheet.shape == (round(96 * 480 / 320), 3 * 480, 3)


def test_side_labels_match_the_label_lines(small_run):
    out, _ = small_run
    for i in range(3):
        objects = read_labels(out / "label_2" / f"{i:06d}.txt")
        side = json.loads((out / "label_json" / f"{i:06d}.json").read_text())
        assert side["index"] == i and side["image_seed"] == image_seed(7, i) and len(side["objects"]) == len(objects)
        p2 = np.array(side["P2"])
        for obj, record in zip(objects, side["objects"]):
            assert record["type"] == obj.type and record["shape"].startswith("procedural:")
            assert np.allclose(record["box_amodal"], obj.bbox, atol=0.006)
            left, top, right, bottom = record["box_visible"]
            assert obj.bbox[0] - 1 <= left <= right <= obj.bbox[2] + 1 and obj.bbox[1] - 1 <= top <= bottom <= obj.bbox[3] + 1
            assert 0 < record["visible_fraction"] <= 1 and record["occlusion"] == obj.occluded
            assert record["visible_pixels"] <= record["silhouette_pixels"] + 2
            # P2, location, rotation_y and dimensions together: the projected 3D box (the mesh's
            # bounding box) encloses every projected vertex, so it contains the amodal box. KITTI's
            # box turns about camera y only; the DR camera's pitch (a few degrees) tilts the car's
            # real up axis, which moves the top corners by a few per cent of the box height.
            h, w, length = record["dimensions_hwl"]
            x = length / 2 * np.array([1, 1, -1, -1, 1, 1, -1, -1])
            y = -h * np.array([0, 0, 0, 0, 1, 1, 1, 1])
            z = w / 2 * np.array([1, -1, -1, 1, 1, -1, -1, 1])
            c, s = np.cos(record["rotation_y"]), np.sin(record["rotation_y"])
            corners = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]) @ np.vstack([x, y, z]) + np.c_[record["location"]]
            uvw = p2 @ np.vstack([corners, np.ones(8)])
            u, v = uvw[:2] / uvw[2]
            box = record["box_amodal_unclipped"]
            slack = 0.05 * (box[3] - box[1]) + 0.05
            assert u.min() <= box[0] + slack and u.max() >= box[2] - slack, (u, box)
            assert v.min() <= box[1] + slack and v.max() >= box[3] - slack, (v, box)


def test_shards_and_worker_pool_equal_one_run(small_run, tmp_path):
    out, _ = small_run
    shared = tmp_path / "sharded"  # both shards write into one folder
    first = generate(shared, 3, seed=7, settings=Settings(**SMALL), shard="0/2", workers=2, progress=False)
    second = generate(shared, 3, seed=7, settings=Settings(**SMALL), shard=(1, 2), progress=False)
    assert (first["generated"], second["generated"]) == (2, 1)
    for folder in ("label_2", "image_2", "mask_2", "label_json"):
        assert _files(shared, folder) == _files(out, folder)
        for name in _files(out, folder):
            assert (shared / folder / name).read_bytes() == (out / folder / name).read_bytes(), (folder, name)
    manifests = sorted(p.name for p in shared.glob("manifest*.json"))
    assert manifests == ["manifest.shard-0-of-2.json", "manifest.shard-1-of-2.json"]
    shard = json.loads((shared / manifests[1]).read_text())
    assert shard["complete"] and shard["shard"] == {"index": 1, "count": 2, "indices": 1}
    assert shard["dataset"] == json.loads((out / "manifest.json").read_text())["dataset"]


def test_stats_command_on_a_generated_set(small_run, tmp_path, capsys):
    out, result = small_run
    assert main(["stats", str(out), "--out", str(tmp_path)]) == 0
    fp = json.loads((tmp_path / "stats.json").read_text())
    assert fp["images"] == 3 and fp["cars"] == result["labels"]
    assert fp["shapes"]["procedural"] == result["labels"] and fp["shapes"]["distinct"] <= 4
    assert 0 <= fp["kitti_levels"]["easy"] <= fp["kitti_levels"]["moderate"] <= fp["kitti_levels"]["hard"] <= 1
    assert "cars / image" in capsys.readouterr().out and (tmp_path / "stats.png").exists()


def test_generate_command_with_a_config_file(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text("n: 2\nseed: 4\nwidth: 96\nheight: 32\nmax_cars: 2\nmax_failures: 0\n"
                      "ablations: [no_distractors]\nrandomizers: [camera, cars, distractors]\n")
    code = main(["generate", "--config", str(config), "--out", str(tmp_path / "out"), "--n", "1",
                 "--randomizer", "lights"])
    assert code == 0, capsys.readouterr().out
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["count"] == 1 and manifest["seed"] == 4 and manifest["settings"]["width"] == 96
    assert manifest["config"]["path"] == str(config) and len(manifest["config"]["sha256"]) == 64
    assert [r["stream"] for r in manifest["randomizers"]] == ["camera", "cars", "lights"]
    config.write_text("width: 96\nheight: 32\nrandomizers: [{name: cars, params: {lane_share: 2}}]\n")
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "bad"), "--n", "1"]) == 2
    assert "randomizer 'cars': parameter 'lane_share'" in capsys.readouterr().out.replace("\n", "")
