"""Shared set-up of the box analysis tools: the config, its dataset, its
model and checkpoint, and the settings of its ``BoxRefreshHook``.

Used by ``visualize_boxes.py``, ``box_quality.py`` and
``background_probe.py``; not a command of its own.
"""
from mmengine.config import Config

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.engine.hooks.box_checkpoint import CKPT_KEY
from mmccrop.registry import DATASETS, MODELS
from mmccrop.utils import register_all_modules, safe_torch_load
from mmccrop.utils.config import load_config as _load_config

__all__ = ['refresh_hook_cfg', 'hook_settings', 'load_config', 'build_dataset', 'load_model']


def refresh_hook_cfg(cfg: Config) -> dict:
    """The config's BoxRefreshHook entry ({} when it has none)."""
    return next((h for h in cfg.get('custom_hooks', []) or []
                 if h.get('type') in ('BoxRefreshHook', 'mmccrop.BoxRefreshHook')), {})


def hook_settings(cfg: Config, threshold, eval_size):
    """Threshold and eval size: arguments, else the config's BoxRefreshHook."""
    hook = refresh_hook_cfg(cfg)
    k = threshold if threshold is not None else hook.get('threshold', 0.1)
    size = eval_size if eval_size is not None else hook.get('eval_size', 224)
    size = (size, size) if isinstance(size, int) else tuple(size)
    return float(k), size


def load_config(path: str, cfg_options=None) -> Config:
    """Register mmccrop's modules, then read ``path`` with ``--cfg-options`` applied."""
    register_all_modules(init_default_scope=True)
    return _load_config(path, cfg_options)


def build_dataset(cfg: Config, split: str) -> BoxedDataset:
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise KeyError(f'{cfg.filename}: no {split}_dataloader in the config')
    dataset = DATASETS.build(loader['dataset'])
    if not isinstance(dataset, BoxedDataset):
        dataset = BoxedDataset(dataset=dataset)
    return dataset


def load_model(cfg: Config, checkpoint, device, unsafe):
    model = MODELS.build(cfg.model)
    stored = None
    if checkpoint:
        ckpt = safe_torch_load(checkpoint, map_location='cpu', unsafe=unsafe)
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
        # Only the backbone matters here: a differently sized queue or bank
        # (e.g. trained with --cfg-options model.queue_len=...) is skipped.
        own = model.state_dict()
        skipped = sorted(k for k, v in state.items()
                         if k in own and tuple(v.shape) != tuple(own[k].shape))
        if any(k.startswith('backbone.') for k in skipped):
            raise ValueError(f'{checkpoint}: backbone shapes differ from the config\'s model '
                             f'({[k for k in skipped if k.startswith("backbone.")][:3]}); '
                             'pass the config it was trained with')
        if skipped:
            print(f'note: {len(skipped)} non-backbone entries of {checkpoint} differ in shape '
                  f'from the config and are not loaded: {skipped[:3]}')
        state = {k: v for k, v in state.items() if k not in skipped}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing:
            print(f'warning: {len(missing)} model keys not in {checkpoint}, e.g. {missing[:3]}')
        stored = ckpt.get(CKPT_KEY) if isinstance(ckpt, dict) else None
    else:
        model.init_weights()
    return model.to(device).eval(), stored
