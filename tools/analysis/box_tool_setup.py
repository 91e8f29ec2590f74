"""Shared set-up of the box analysis tools: the config, its dataset, its
model and checkpoint, and the settings of its ``BoxRefreshHook``; and what
the box figures share: localising the drawn images, scaling them and their
true boxes for display, drawing a box, saving the PNG.

Used by ``visualize_boxes.py``, ``compare_boxes.py``, ``box_quality.py`` and
``background_probe.py``; not a command of its own.
"""
from typing import Optional

import numpy as np
import torch
from mmengine.config import Config

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.engine.hooks.box_checkpoint import CKPT_KEY
from mmccrop.engine.localization import preprocess_images
from mmccrop.engine.localization.localizer import feature_maps
from mmccrop.functional.localization import (
    heatmap_to_boxes,
    normalized_heatmaps,
    upsample_heatmaps,
)
from mmccrop.functional.resize import resize
from mmccrop.registry import DATASETS, MODELS
from mmccrop.utils import atomic_write, register_all_modules, safe_torch_load
from mmccrop.utils.config import load_config as _load_config

__all__ = ['refresh_hook_cfg', 'hook_settings', 'load_config', 'build_dataset', 'load_model',
           'localise', 'display_image', 'true_box', 'draw_rect', 'save_png']


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


@torch.no_grad()
def localise(model, images, threshold, eval_size, align='centre', background='none',
             region='all'):
    """Heatmaps (upsampled to ``eval_size``) and boxes of BGR uint8 images,
    squashed and passed through the model as the box refresh does."""
    batch = torch.stack([
        torch.from_numpy(np.ascontiguousarray(
            resize(img, tuple(eval_size), 'bilinear', antialias=True))).permute(2, 0, 1)
        for img in images])
    feats = feature_maps(model, preprocess_images(model, batch))
    boxes, degenerate = heatmap_to_boxes(feats, threshold, eval_size, return_degenerate=True,
                                         align=align, background=background, region=region)
    heat, _ = normalized_heatmaps(feats, background)
    heat = upsample_heatmaps(heat, eval_size, align)[:, None]
    return heat[:, 0].cpu().numpy(), boxes.cpu(), degenerate.cpu()


def display_image(img: np.ndarray, display_size: int) -> np.ndarray:
    """``img`` shrunk (never enlarged) to a longest side of ``display_size``."""
    import cv2
    scale = display_size / max(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return img


def true_box(gt: Optional[torch.Tensor], idx: int) -> Optional[torch.Tensor]:
    """Sample ``idx``'s true box, or ``None`` (no ``gt_bbox``, or NaN for this sample)."""
    return None if gt is None or not torch.isfinite(gt[idx]).all() else gt[idx]


def draw_rect(ax, box, w: int, h: int, **style) -> None:
    """Outline the normalised ``box`` on a ``w`` x ``h`` image shown in ``ax``."""
    import matplotlib.patches as patches
    x0, y0, x1, y1 = (float(v) for v in box)
    ax.add_patch(patches.Rectangle((x0 * w - 0.5, y0 * h - 0.5), (x1 - x0) * w, (y1 - y0) * h,
                                   fill=False, **style))


def save_png(fig, out: str) -> None:
    """Write ``fig`` to ``out`` atomically, with a plain ``open()``'s file mode."""
    import matplotlib.pyplot as plt
    try:
        atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=100, format='png'))
    finally:
        plt.close(fig)
