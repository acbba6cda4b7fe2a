"""Protocol files: validated on load, errors name the file; arms expand from the profile."""

import pytest

from drbench.generate.settings import DEFAULT_RANDOMIZERS, Settings
from drbench.profiles import profile
from drbench.protocols import load_protocol, protocol, registry
from drbench.protocols.runner import expand_arms, run_protocol


def test_registry_holds_the_paper_protocols():
    assert {"dr-only", "fine-tune", "ablation", "freezing", "pretraining", "dataset-size",
            "detectors"} <= set(registry())


def test_fine_tune_expands_one_arm_per_real_n():
    arms = expand_arms(protocol("fine-tune").arms, {**profile("cpu"), "real_n": [10, 25, 50]})
    names = [arm.name for arm, _ in arms]
    assert names == ["dr", "dr-then-real-10", "dr-then-real-25", "dr-then-real-50",
                     "real-10", "real-25", "real-50"]
    finetuned = dict((arm.name, (arm, variant)) for arm, variant in arms)["dr-then-real-25"]
    assert finetuned[0].init == "dr" and finetuned[0].lr_scale == 0.1
    assert finetuned[1] == {"real_n": 25}


def test_ablation_rows_follow_the_randomizer_list():
    arms = expand_arms(protocol("ablation").arms, profile("cpu"))
    variants = {arm.name: variant for arm, variant in arms}
    expected = [r for r in DEFAULT_RANDOMIZERS if r != "cars"]
    # full, one per randomizer, no augmentation, a texture bank and half of it
    assert len(arms) == 1 + len(expected) + 3
    assert variants["dr-without-augmentation"] == {}
    assert [arm.detector for arm, _ in arms if arm.name == "dr-without-augmentation"] == ["faster_rcnn_noaug"]
    for off in expected:
        kept = variants[f"dr-without-{off.replace('_', '-')}"]["randomizers"]
        assert off not in kept and len(kept) == len(DEFAULT_RANDOMIZERS) - 1


def test_the_half_texture_arm_halves_a_bank_scaled_with_the_data_set(tmp_path):
    """Only the bank differs between the pair, so their generate keys differ and nothing else;
    the arms without a bank keep the baseline's DR set."""
    plan = run_protocol("ablation", "cpu", runs_dir=tmp_path / "runs", board_dir=tmp_path / "board",
                        dry_run=True)
    generated = [step["params"]["settings"] for step in plan if step["kind"] == "generate"]
    full, half = sorted((s for s in generated if "texture_bank" in s), key=lambda s: "ablations" in s)
    assert full["texture_bank"] == 40 and half["ablations"] == ["half_textures"]
    assert {k: v for k, v in half.items() if k != "ablations"} == full
    assert Settings.from_dict(half).active_texture_bank == 20
    baseline = run_protocol("dr-only", "cpu", runs_dir=tmp_path / "runs", board_dir=tmp_path / "board",
                            dry_run=True)
    assert baseline[0]["key"] in {step["key"] for step in plan if step["kind"] == "generate"}


def test_synthetic_only_expands_one_arm_per_detector_and_data_source():
    arms = expand_arms(protocol("synthetic-only").arms, profile("cpu"))
    assert [(arm.name, arm.data, arm.detector) for arm, _ in arms] == [
        (f"{data}-{d.replace('_', '-')}", data, d)
        for data in ("dr", "vkitti") for d in ("faster_rcnn", "rfcn", "ssd")]


def test_an_init_follows_its_detector(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ndescription: d\narms:\n"
                    "  - {name: dr, data: dr, detectors: [rfcn, ssd]}\n"
                    "  - {name: tuned, data: real, init: dr, detectors: [rfcn, ssd]}\n")
    arms = expand_arms(load_protocol(path).arms, profile("cpu"))
    assert [(arm.name, arm.init) for arm, _ in arms] == [
        ("dr-rfcn", None), ("dr-ssd", None), ("tuned-rfcn", "dr-rfcn"), ("tuned-ssd", "dr-ssd")]


@pytest.mark.parametrize("arms, problem", [
    ("  - {name: a, data: real, init: later}\n  - {name: later, data: dr}\n", "not an earlier arm"),
    ("  - {name: a, data: imagenet}\n", "data"),
    ("  - {name: a, data: dr, detector: ssd, detectors: [ssd]}\n", "detector or detectors, not both"),
    ("  - {name: a, data: dr, ablations: [no_cars]}\n", r"unknown ablations \['no_cars'\]"),
    ("  - {name: a, data: dr, ablations: [half_textures]}\n", "set texture_bank_per_image"),
])
def test_a_bad_protocol_file_is_named(tmp_path, arms, problem):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: x\ndescription: y\narms:\n{arms}")
    with pytest.raises(ValueError, match=rf"(?s)bad\.yaml.*{problem}"):
        load_protocol(bad)


def test_unknown_protocol_is_named():
    with pytest.raises(KeyError, match="unknown protocol 'nope'"):
        protocol("nope")


def test_a_long_study_runs_in_batches_of_named_arms(tmp_path):
    """``--arms``: the named arms and the arm each starts from, nothing else; unknown names are listed."""
    folders = dict(runs_dir=tmp_path / "runs", board_dir=tmp_path / "board", dry_run=True)
    plan = run_protocol("fine-tune", "cpu", arms=["dr-then-real-10"], **folders)
    assert [s["kind"] for s in plan].count("train") == 2  # the DR model, then its fine-tune
    assert [s["params"]["iters"] for s in plan if s["kind"] == "train"] == [1000, 300]
    with pytest.raises(KeyError, match=r"no arm 'dr-then-real-11'.*its arms: dr, dr-then-real-10"):
        run_protocol("fine-tune", "cpu", arms=["dr-then-real-11"], **folders)
