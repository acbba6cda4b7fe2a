"""Scoring predictions on real KITTI with the official devkit's rules, plus intervals and plots."""
