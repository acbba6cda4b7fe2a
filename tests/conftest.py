"""Shared fixtures: the real KITTI root the tests read (../shared/data/kitti-mini by default)."""

import pytest

from drbench.paths import DataRootError, kitti_root


@pytest.fixture(scope="session")
def root():
    try:
        return kitti_root()
    except DataRootError as exc:
        pytest.skip(f"kitti-mini not found: {exc}")
