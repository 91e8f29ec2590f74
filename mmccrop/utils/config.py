"""Load a config file, including one that inherits ``mmccrop::`` configs."""
from mmengine.config import Config

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load_config(path: str) -> Config:
    """``Config.fromfile`` for the tools, with ``pkg::`` bases made runnable.

    A config that inherits ``_base_ = 'mmccrop::selfsup/...'`` gets ``_scope_`` added
    by mmengine to every top-level dict with a ``type``, ``collate_fn`` included. The
    Runner builds every other such dict through a registry, which understands
    ``_scope_``, but calls ``collate_fn`` as ``partial(fn, **cfg)``, so the function
    receives ``_scope_`` as an argument and the first batch fails. Collate functions
    are looked up in the default scope, whose registry reaches mmengine's, so the key
    is dropped.

    Args:
        path (str): The config file.

    Returns:
        Config: The loaded config.
    """
    import mmccrop  # noqa: F401  (joins mmengine's table of `pkg::` packages)
    cfg = Config.fromfile(path)
    for key in _LOADERS:
        loader = cfg.get(key)
        collate = loader.get('collate_fn') if isinstance(loader, dict) else None
        if isinstance(collate, dict):
            collate.pop('_scope_', None)
    return cfg
