from .safe_load import allow_mmengine_checkpoint_globals, mmengine_checkpoint_globals, safe_torch_load
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'safe_torch_load', 'allow_mmengine_checkpoint_globals',
    'mmengine_checkpoint_globals'
]
