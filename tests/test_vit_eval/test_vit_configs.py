"""The ViT benchmark configs hold the settings docs/vit.md documents (fast: parse only)."""
from __future__ import annotations

import glob
import os.path as osp

import pytest
from mmengine.config import Config

from ._vit import ROOT

IMAGENET = osp.join(ROOT, 'configs/benchmarks/classification/imagenet')
VIT_S = dict(embed_dims=384, num_layers=12, num_heads=12, feedforward_channels=1536)
CONFIGS = sorted(glob.glob(osp.join(IMAGENET, 'vit-*.py'))
                 + glob.glob(osp.join(ROOT, 'configs/benchmarks/mmsegmentation/ade20k/*.py')))


_PARSED = {}


def _cfg(name):
    path = name if osp.isabs(name) else osp.join(IMAGENET, name)
    if path not in _PARSED:  # parsing imports mmpretrain / mmseg once; configs are read-only
        _PARSED[path] = Config.fromfile(path)
    return _PARSED[path]


def test_every_vit_config_is_mocov3_vit_small_and_points_at_the_docs():
    assert len(CONFIGS) == 6
    for path in CONFIGS:
        cfg = _cfg(path)
        backbone = cfg.model.backbone
        assert backbone.type.endswith('VisionTransformer') and backbone.arch == VIT_S, path
        assert backbone.patch_size == 16 and backbone.final_norm is True
        with open(path) as f:
            header = f.read().split('_base_')[0]
        assert 'FACTS' not in header
        if 'clsbn' not in path and '300e' not in path:
            assert 'docs/vit.md' in header, path


def test_linear_probe_is_mocov3_main_lincls():
    cfg = _cfg('vit-small-p16_8xb128-linear-coslr-90e_in1k.py')
    assert cfg.model.backbone.frozen_stages == 12 and cfg.model.backbone.out_type == 'cls_token'
    assert cfg.model.neck is None
    assert cfg.model.head.init_cfg == dict(type='Normal', std=0.01, bias=0., layer='Linear')
    assert cfg.train_dataloader.batch_size * 8 == 1024
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=12., momentum=0.9, weight_decay=0.)
    assert cfg.param_scheduler == [dict(type='CosineAnnealingLR', T_max=90, eta_min=0.,
                                        by_epoch=True, begin=0, end=90)]
    assert cfg.train_cfg.max_epochs == 90
    train = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert train == ['LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs']
    rrc = cfg.train_dataloader.dataset.pipeline[1]
    assert rrc.scale == 224 and rrc.get('interpolation', 'bilinear') == 'bilinear'
    bn = _cfg('vit-small-p16_8xb128-linear-coslr-90e_in1k-clsbn.py')
    assert bn.model.neck == dict(type='ClsBatchNormNeck', input_features=384, affine=False,
                                 eps=1e-6)


def test_finetune_is_the_deit_recipe():
    cfg = _cfg('vit-small-p16_8xb128-amp-coslr-150e_in1k.py')
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert cfg.model.head.loss == dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                                       mode='original')
    assert cfg.model.train_cfg.augments == [dict(type='Mixup', alpha=0.8),
                                            dict(type='CutMix', alpha=1.0)]
    assert cfg.train_dataloader.batch_size * 8 == 1024 and cfg.train_dataloader.drop_last
    assert cfg.train_dataloader.sampler == dict(type='RepeatAugSampler', num_repeats=3,
                                                shuffle=True)
    pipeline = {t['type']: t for t in cfg.train_dataloader.dataset.pipeline}
    assert pipeline['RandomResizedCrop'].interpolation == 'bicubic'
    ra = pipeline['RandAugment']
    assert (ra.policies, ra.num_policies, ra.total_level, ra.magnitude_level,
            ra.magnitude_std) == ('timm_increasing', 2, 10, 9, 0.5)
    assert pipeline['RandomErasing'].erase_prob == 0.25
    test = {t['type']: t for t in cfg.val_dataloader.dataset.pipeline}
    assert test['ResizeEdge'].scale == 256 and test['ResizeEdge'].interpolation == 'bicubic'
    optim = cfg.optim_wrapper
    assert optim.type == 'AmpOptimWrapper' and 'clip_grad' not in optim
    assert optim.optimizer == dict(type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8,
                                   betas=(0.9, 0.999))
    assert 'constructor' not in optim  # no layer-wise lr decay
    assert cfg.param_scheduler[0] == dict(type='LinearLR', start_factor=1e-3, by_epoch=True,
                                          begin=0, end=6)
    assert cfg.param_scheduler[1] == dict(type='CosineAnnealingLR', T_max=145, eta_min=1e-5,
                                          by_epoch=True, begin=5, end=150)
    assert cfg.train_cfg.max_epochs == 150
    long = _cfg('vit-small-p16_8xb128-amp-coslr-300e_in1k.py')
    assert long.train_cfg.max_epochs == 300 and long.param_scheduler[1].T_max == 295
    assert long.model == cfg.model and long.optim_wrapper == cfg.optim_wrapper


def test_knn_reads_the_class_token():
    cfg = _cfg('vit-small-p16-knn-k200_8xb64_in1k.py')
    assert cfg.model.type == 'FeatureExtractor' and cfg.model.backbone.out_type == 'cls_token'
    assert (cfg.test_cfg.type, cfg.test_cfg.k, cfg.test_cfg.temperature) == \
        ('KNNTestLoop', 200, 0.07)


@pytest.mark.parametrize('key,value', [
    ('optim_wrapper.optimizer.lr', 6e-5), ('optim_wrapper.optimizer.weight_decay', 0.01),
    ('train_cfg.max_iters', 160000), ('train_dataloader.batch_size', 2),
    ('model.backbone.out_indices', (2, 5, 8, 11)), ('model.backbone.img_size', 512),
    ('model.backbone.drop_path_rate', 0.1), ('model.decode_head.num_classes', 150),
    ('model.pretrained', None),
])
def test_upernet_keeps_mmseg_vit_s_settings(key, value):
    node = _cfg(CONFIGS[-1])
    for part in key.split('.'):
        node = node[part]
    assert node == value
