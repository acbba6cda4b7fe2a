"""Seed aggregation: the mean and a Student-t interval over one arm's runs."""

import pytest

from drbench.leaderboard.aggregate import aggregate, t_interval


def test_t_interval_matches_the_t_table():
    mean, low, high = t_interval([1.0, 2.0, 3.0])  # sd 1, n 3: t(0.975, 2) = 4.303 (tables)
    assert mean == 2.0 and low == 0.0 and high == pytest.approx(2.0 + 4.303 / 3 ** 0.5, abs=1e-3)
    assert t_interval([50.0, 50.0]) == (50.0, 50.0, 50.0)


def test_aggregate_refuses_mixed_arms():
    entry = {"protocol": "dr-only", "arm": "dr", "profile": "tiny"}
    with pytest.raises(ValueError, match="one arm"):
        aggregate([entry, {**entry, "arm": "real"}])
