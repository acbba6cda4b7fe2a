"""Real and synthetic data in KITTI layout: labels, splits, COCO conversion."""
