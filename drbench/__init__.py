"""drbench: benchmark domain-randomized synthetic data for car detection on real KITTI."""

__version__ = "0.1.0"
