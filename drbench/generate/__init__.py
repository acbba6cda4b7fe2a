"""Domain-randomized synthetic car images with KITTI labels (Tremblay et al. 2018).

Blender runs only in a worker child process (worker.py, pipeline.py); importing
this package does not import Blender.
"""

from drbench.generate.preview import contact_sheet
from drbench.generate.runner import generate
from drbench.generate.settings import Settings

__all__ = ["Settings", "contact_sheet", "generate"]
