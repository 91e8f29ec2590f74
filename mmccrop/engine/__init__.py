from .checkpoint_loader import load_from_local  # noqa: F401
from .hooks import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
