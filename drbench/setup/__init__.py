"""Set-up scripts (stdlib only): the pinned stack, the mmcv wheel, Chromium for the board test."""
