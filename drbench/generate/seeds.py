"""Seed derivation: every randomizer of every image draws from its own stream.

A seed is a stable hash (blake2b, independent of Python's hash randomisation and of
the platform) of its parents, so image ``i`` can be regenerated alone from the run
seed, and adding, removing or reordering a randomizer leaves the draws of all the
others unchanged.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1


def _hash(*parts: object) -> int:
    text = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") & _MASK64


def image_seed(run_seed: int, index: int) -> int:
    """The seed of image ``index`` of the run seeded ``run_seed`` (recorded in the manifest)."""
    return _hash("drbench.image", int(run_seed), int(index))


def randomizer_seed(image_seed_: int, name: str) -> int:
    """The seed of randomizer ``name`` within one image."""
    return _hash("drbench.randomizer", int(image_seed_), name)


def randomizer_rng(image_seed_: int, name: str) -> np.random.Generator:
    """A fresh generator for randomizer ``name`` within one image."""
    return np.random.default_rng(randomizer_seed(image_seed_, name))


def bank_seed(run_seed: int, bank: str, slot: int) -> int:
    """The seed of item ``slot`` of a run's fixed bank (e.g. its ``texture_bank`` distinct textures)."""
    return _hash("drbench.bank", int(run_seed), bank, int(slot))
