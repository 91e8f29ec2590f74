# Importing the modules fills the DATASETS and TRANSFORMS registries.
from .transforms import *  # noqa: F401,F403
