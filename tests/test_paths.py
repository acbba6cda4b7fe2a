"""The KITTI root is a setting, and a missing one says how to get KITTI."""

import pytest

from drbench.paths import KITTI_ENV, VKITTI_ENV, DataRootError, kitti_root, vkitti_root


def test_flag_beats_environment_beats_default(tmp_path, monkeypatch):
    (tmp_path / "a" / "training" / "label_2").mkdir(parents=True)
    (tmp_path / "b" / "training" / "label_2").mkdir(parents=True)
    monkeypatch.setenv(KITTI_ENV, str(tmp_path / "b"))
    assert kitti_root(tmp_path / "a") == tmp_path / "a"
    assert kitti_root() == tmp_path / "b"


def test_missing_root_explains_how_to_get_kitti(tmp_path, monkeypatch):
    monkeypatch.setenv(KITTI_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DataRootError, match=r"nowhere.*DRBENCH_KITTI_ROOT.*data_object_label_2\.zip"):
        kitti_root()


def test_default_is_the_shared_kitti_mini(monkeypatch):
    monkeypatch.delenv(KITTI_ENV, raising=False)
    try:
        root = kitti_root()
    except DataRootError:
        pytest.skip("../shared/data/kitti-mini is not present on this machine")
    assert root.name == "kitti-mini" and (root / "training" / "image_2").is_dir()


def test_vkitti_root_is_optional_flag_beats_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(VKITTI_ENV, raising=False)
    assert vkitti_root() is None, "no Virtual KITTI is a state to report, not an error"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setenv(VKITTI_ENV, str(tmp_path / "b"))
    assert vkitti_root(tmp_path / "a") == tmp_path / "a"
    assert vkitti_root() == tmp_path / "b"
    monkeypatch.setenv(VKITTI_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DataRootError, match=r"nowhere \(from \$DRBENCH_VKITTI_ROOT\).*vkitti_1\.3\.1_motgt"):
        vkitti_root()
