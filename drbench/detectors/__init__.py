"""Detectors: mmdet configs as data, drbench's mmdet modules, training and prediction."""
