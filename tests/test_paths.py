"""The KITTI root is a setting, and a missing one says how to get KITTI."""

import pytest

from drbench.paths import KITTI_ENV, DataRootError, kitti_root


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
