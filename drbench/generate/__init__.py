"""Domain-randomized synthetic car images with KITTI labels (Tremblay et al. 2018).

Blender runs only in worker child processes (worker.py, pipeline.py); importing
this package does not import Blender. User randomizers: see api.py and
docs/generation.md.
"""

from drbench.generate.api import ConfigError, Randomizer, RandomizerError, Range, randomizer
from drbench.generate.config import load_generation_config
from drbench.generate.generation_run import GenerationError
from drbench.generate.local_run import generate
from drbench.generate.preview import contact_sheet
from drbench.generate.settings import Settings
from drbench.generate.stats import fingerprint

__all__ = ["ConfigError", "GenerationError", "Randomizer", "RandomizerError", "Range", "Settings",
           "contact_sheet", "fingerprint", "generate", "load_generation_config", "randomizer"]
