"""Load a config file, including one that inherits ``mmccrop::`` configs."""
from typing import Optional

from mmengine.config import Config

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` for the tools, with ``pkg::`` bases made runnable.

    A config that inherits ``_base_ = 'mmccrop::selfsup/...'`` gets ``_scope_`` added
    by mmengine to every top-level dict with a ``type``, ``collate_fn`` included. The
    Runner builds every other such dict through a registry, which understands
    ``_scope_``, but calls ``collate_fn`` as ``partial(fn, **cfg)``, so the function
    receives ``_scope_`` as an argument and the first batch fails. Collate functions
    are looked up in the default scope, whose registry reaches mmengine's, so the key
    is dropped.

    Importing this module imports :mod:`mmccrop`, whose ``__init__`` lets mmengine
    resolve ``mmccrop::`` bases.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``--cfg-options`` overrides, merged before the
            key is dropped (so an override of ``collate_fn`` is covered too).

    Returns:
        Config: The loaded config.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    for key in _LOADERS:
        loader = cfg.get(key)
        collate = loader.get('collate_fn') if isinstance(loader, dict) else None
        if isinstance(collate, dict):
            collate.pop('_scope_', None)
    return cfg
