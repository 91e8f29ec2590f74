"""The false-positive pair rate of a pretraining config, sampled from its own pipeline.

A view *holds* the share of the true object box's area that lies inside its
crop; a pair is a false positive when one of its views holds less than half of
the object (:mod:`mmccrop.functional.view_pairs`).  The pairs come from the
config's training dataset exactly as the DataLoader would produce them (the
same transforms, the same box store), one pair per training image, with
numpy's global generator seeded for the pass and restored afterwards.
"""
from __future__ import annotations

import copy
import random
from typing import Callable, Dict, Optional

import numpy as np

from mmccrop.functional.stats import accuracy_standard_error
from mmccrop.functional.view_pairs import (
    box_coverage,
    false_positive_pair_rate,
    normalize_pixel_boxes,
)

#: A view holding less than this share of the object misses it.
HOLD_THRESHOLD = 0.5
BOX_SOURCES = ('config', 'stored', 'true')


def _with_gt_meta(dataset_cfg: dict) -> dict:
    """The dataset config whose packer also keeps ``gt_bbox`` and ``ori_shape``."""
    cfg = copy.deepcopy(dataset_cfg)
    leaf = cfg.get('dataset', cfg) if 'BoxedDataset' in cfg['type'] else cfg
    packers = [t for t in leaf['pipeline'] if 'PackSelfSupInputs' in t['type']]
    if not packers:
        raise KeyError('the training pipeline has no PackSelfSupInputs')
    for t in packers:
        keys = t.get('meta_keys', ('img_path', 'ori_shape', 'img_shape', 'ccrop_box'))
        keys = (keys, ) if isinstance(keys, str) else tuple(keys)
        t['meta_keys'] = keys + tuple(k for k in ('gt_bbox', 'ori_shape') if k not in keys)
    return cfg


def build_boxed_dataset(cfg, boxes: str = 'config', checkpoint: Optional[str] = None):
    """The config's training dataset with the requested boxes in its store.

    Args:
        cfg: A pretraining config (mmengine ``Config``).
        boxes: ``'config'``: the dataset as built (a fresh box store is
            inactive, so ContrastiveCrop crops like RandomResizedCrop);
            ``'stored'``: the box store of ``checkpoint`` (``ccrop_boxes``);
            ``'true'``: the true boxes (``gt_bbox``), active.
        checkpoint: The checkpoint for ``boxes='stored'``.
    """
    from mmccrop.datasets.boxed_dataset import BoxedDataset
    from mmccrop.engine.hooks.box_refresh_hook import CKPT_KEY
    from mmccrop.registry import DATASETS
    from mmccrop.utils import safe_torch_load

    if boxes not in BOX_SOURCES:
        raise ValueError(f'boxes must be one of {BOX_SOURCES}, got {boxes!r}')
    dataset = DATASETS.build(_with_gt_meta(cfg.train_dataloader.dataset))
    if boxes == 'config':
        return dataset
    if not isinstance(dataset, BoxedDataset):
        raise TypeError(f'{cfg.filename}: boxes={boxes!r} needs a BoxedDataset, got '
                        f'{type(dataset).__name__}')
    if boxes == 'stored':
        if checkpoint is None:
            raise ValueError("boxes='stored' needs a checkpoint")
        state = safe_torch_load(checkpoint, map_location='cpu')
        if CKPT_KEY not in state:
            raise KeyError(f'{checkpoint}: no {CKPT_KEY!r} in the checkpoint (not a '
                           'ContrastiveCrop run?)')
        dataset.load_state_dict(state[CKPT_KEY])
    else:
        gt = dataset.gt_boxes()
        if gt is None:
            raise KeyError(f'{cfg.filename}: the training data have no gt_bbox')
        dataset.update_boxes(gt)
        dataset.set_active(True)
    return dataset


def sample_pair_coverage(dataset, seed: int = 0,
                         progress: Optional[Callable[[int, int], None]] = None) -> np.ndarray:
    """``(N, V)`` share of the true box held by each view, one sample per image.

    Args:
        dataset: A training dataset whose samples carry ``crop_bbox`` (one
            pixel box per view, on the image as loaded), ``gt_bbox`` and
            ``ori_shape`` in their data sample (:func:`build_boxed_dataset`).
        seed: Seed of numpy's and Python's global generators for the pass;
            both are restored afterwards.
        progress: Called as ``progress(done, total)`` after each image.
    """
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(seed)
    random.seed(seed)
    rows = []
    try:
        for i in range(len(dataset)):
            meta = dataset[i]['data_samples'].metainfo
            if meta.get('gt_bbox') is None:
                raise KeyError(f'sample {i} has no gt_bbox: the pair rate needs true boxes')
            crops = meta.get('crop_bbox')
            if not crops or any(c is None for c in crops):
                raise KeyError(f'sample {i}: a view took no crop (crop_bbox {crops!r})')
            height, width = meta['ori_shape'][:2]
            views = normalize_pixel_boxes(np.stack(crops), height, width)
            rows.append(box_coverage(np.asarray(meta['gt_bbox'])[None], views))
            if progress is not None:
                progress(i + 1, len(dataset))
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return np.stack(rows)


def summarize(coverage: np.ndarray, threshold: float = HOLD_THRESHOLD) -> Dict[str, float]:
    """``rate`` (%, false-positive pairs), its binomial standard error ``se`` (%),
    ``mean_hold`` (mean share of the object a view holds) and ``pairs``."""
    rate = 100 * false_positive_pair_rate(coverage, threshold)
    return dict(rate=rate, se=accuracy_standard_error(rate, len(coverage)),
                mean_hold=float(coverage.mean()), pairs=len(coverage))
