"""Profiles: one validated YAML file each; the paper profile plans anywhere but runs only on CUDA."""

import pytest
import torch

from drbench.detectors.mmdet_config import DETECTORS
from drbench.profiles import PROFILE_DIR, PROFILES, detector_for, load_profile, profile
from drbench.protocols.runner import run_protocol


def test_every_profile_file_loads_and_names_registered_detectors():
    assert {"tiny", "smoke", "cpu", "paper"} <= set(PROFILES)
    for name, settings in PROFILES.items():
        variants = settings.get("detector_variants") or {}
        assert {settings["detector"], *variants, *variants.values()} <= set(DETECTORS), name
        assert len(settings["image_scale"]) == 2 and settings["real_n"], name


def test_a_bad_profile_file_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (PROFILE_DIR / "tiny.yaml").read_text()
    assert "max_iters: 4" in text
    bad.write_text(text.replace("max_iters: 4", "max_iter: 4"))
    with pytest.raises(ValueError, match=r"(?s)bad\.yaml: invalid profile.*max_iter\n.*Extra inputs"):
        load_profile(bad)


def test_paper_profile_is_the_papers_scale_on_resnets():
    paper = profile("paper")
    assert paper["n_images"] == 100_000 and (paper["width"], paper["height"]) == (1242, 375)
    assert paper["requires_gpu"] and not profile("cpu").get("requires_gpu")
    assert detector_for(paper, "rfcn") == "rfcn_r101" and detector_for(paper, "ssd") == "ssd"
    assert detector_for(profile("cpu"), "rfcn") == "rfcn"


def test_paper_dry_run_plans_without_a_gpu(tmp_path):
    plan = run_protocol("detectors", "paper", runs_dir=tmp_path / "runs",
                        board_dir=tmp_path / "board", dry_run=True)
    trains = [step["params"] for step in plan if step["kind"] == "train"]
    assert [p["detector"] for p in trains] == ["faster_rcnn_r101", "rfcn_r101", "ssd"]
    assert all(p["iters"] == 60_000 and p["image_scale"] == [1242, 375] for p in trains)
    (generate,) = {step["key"]: step for step in plan if step["kind"] == "generate"}.values()
    assert generate["params"]["n_images"] == 100_000


def test_paper_run_stops_before_any_step_when_it_cannot_run(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    runs = tmp_path / "runs"
    if torch.cuda.is_available():  # then the missing ImageNet ResNet files stop it
        expected = (FileNotFoundError, r"resnet101-63fe2227\.pth")
    else:
        expected = (RuntimeError, "profile 'paper' needs a CUDA GPU")
    with pytest.raises(expected[0], match=expected[1]):
        run_protocol("dr-only", "paper", runs_dir=runs, board_dir=tmp_path / "board")
    assert not [p for p in runs.glob("*") if p.is_dir()], "a step started"
