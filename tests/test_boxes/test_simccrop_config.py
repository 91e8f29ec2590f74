"""The SimCCrop configs: fixed box, no warm-up, no refresh, alpha 0.1, and the
real ContrastiveCrop pipeline centring every crop in the box."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.registry import DATASETS, HOOKS, MODELS
from mmccrop.utils import register_all_modules

from . import _tiny  # noqa: F401  (registers _BoxTestImages)


def _configs(root):
    paths = sorted(glob.glob(osp.join(root, 'configs/selfsup/simccrop/*.py')))
    assert paths, 'no SimCCrop config'
    return paths


def test_simccrop_configs(repo_root):
    register_all_modules()
    for path in _configs(repo_root):
        cfg = Config.fromfile(path)
        ds = cfg.train_dataloader.dataset
        assert ds.type == 'BoxedDataset' and tuple(ds.init_box) == (0.25, 0.25, 0.75, 0.75)
        crops = [t for t in ds.dataset.pipeline[0]['transforms'][0]
                 if t['type'] == 'ContrastiveCrop']
        assert len(crops) == 1 and crops[0]['alpha'] == 0.1
        boxes = [h for h in cfg.custom_hooks if h['type'] == 'BoxRefreshHook']
        assert len(boxes) == 1
        with DefaultScope.overwrite_default_scope('mmccrop'):
            hook = HOOKS.build(boxes[0])
            assert hook.schedule(cfg.train_cfg.max_epochs) == (
                list(range(1, cfg.train_cfg.max_epochs + 1)), [])
            assert isinstance(MODELS.build(cfg.model), torch.nn.Module)


@pytest.mark.slow
def test_simccrop_pipeline_centres_crops_in_the_fixed_box(repo_root):
    register_all_modules()
    cfg = Config.fromfile(_configs(repo_root)[0])
    ds_cfg = cfg.train_dataloader.dataset
    pipeline = ds_cfg.dataset.pipeline
    with DefaultScope.overwrite_default_scope('mmccrop'):
        ds = DATASETS.build(dict(type='BoxedDataset', init_box=ds_cfg.init_box,
                                 dataset=dict(type='_BoxTestImages', num=4, size=32,
                                              pipeline=pipeline)))
    assert isinstance(ds, BoxedDataset)
    ds.set_active(True)  # what BoxRefreshHook(warmup_epochs=0) does before epoch 1
    inside = 0
    for i in range(50):
        out = ds[i % 4]
        sample = out['data_samples']
        assert len(out['inputs']) == 2
        for x0, y0, x1, y1 in sample.crop_bbox:
            cx, cy = (x0 + x1) / 2 / 32, (y0 + y1) / 2 / 32
            # Centre in the box (to the pixel the crop is rounded to) where the
            # border allows: a crop taller than 2 * 0.25 is clamped at the edge.
            w, h = (x1 - x0) / 32, (y1 - y0) / 32
            tol = 1 / 32
            ok_x = 0.25 - tol <= cx <= 0.75 + tol or w / 2 > 0.25
            ok_y = 0.25 - tol <= cy <= 0.75 + tol or h / 2 > 0.25
            assert ok_x and ok_y, (cx, cy, w, h)
            inside += 1
    assert inside == 100
