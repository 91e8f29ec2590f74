from .fileio import (
    atomic_dump,
    atomic_torch_save,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    read_text_lines,
)
from .last_checkpoint import resolve_last_checkpoint
from .safe_load import (
    allow_mmengine_checkpoint_globals,
    mmengine_checkpoint_globals,
    safe_torch_load,
)
from .setup_env import register_all_modules

__all__ = [
    'atomic_write', 'atomic_write_bytes', 'atomic_write_text', 'atomic_torch_save', 'atomic_dump',
    'read_text_lines',
    'register_all_modules', 'safe_torch_load', 'allow_mmengine_checkpoint_globals',
    'mmengine_checkpoint_globals', 'resolve_last_checkpoint'
]
