"""One tiny chain: SNCLR ViT pretraining -> convert -> fine-tune -> segment (CPU).

DEPENDS ON THE SNCLR ViT BACKBONE WORK (issue 22): it pretrains with the
ContrastiveCrop SNCLR ViT-S config (``configs/selfsup/snclr/snclr_vit-small-*ccrop*.py``)
and, until that config exists, with the plain one.  It relies only on the
backbone's state dict being named as mmpretrain's ``VisionTransformer`` (or
mmseg's, which the converter also reads), and shrinks either backbone style
(an ``arch`` dict, or mmseg's ``embed_dims``/``num_layers`` arguments).
"""
from __future__ import annotations

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ._vit import (
    ARCH,
    PATCH,
    ROOT,
    classification_cfg,
    load_tool,
    upernet_cfg,
    write_ade20k,
    write_imagenet,
)

pytestmark = pytest.mark.slow

SNCLR_VIT = sorted(glob.glob(osp.join(ROOT, 'configs/selfsup/snclr/snclr_vit-small-*ccrop*.py'))
                   or glob.glob(osp.join(ROOT, 'configs/selfsup/snclr/snclr_vit-small-*.py')))
FINETUNE = osp.join(ROOT, 'configs/benchmarks/classification/imagenet/'
                    'vit-small-p16_8xb128-amp-coslr-150e_in1k.py')
UPERNET = osp.join(ROOT, 'configs/benchmarks/mmsegmentation/ade20k/'
                   'upernet_vit-small-p16-ln-mln_8xb2-160k_ade20k-512x512.py')


def _shrink_vit(backbone, num_layers=4):
    backbone.update(img_size=32, patch_size=PATCH)
    if 'arch' in backbone or 'MoCoV3ViT' in backbone.type:
        backbone.arch = dict(ARCH, num_layers=num_layers)
    else:  # mmseg's ViT arguments
        backbone.update(embed_dims=ARCH['embed_dims'], num_layers=num_layers,
                        num_heads=ARCH['num_heads'],
                        mlp_ratio=ARCH['feedforward_channels'] // ARCH['embed_dims'])


def _shrink_crops(obj, size=32):
    if isinstance(obj, dict):
        if obj.get('type') == 'RandomResizedCrop':
            obj['size'] = size
        for v in obj.values():
            _shrink_crops(v, size)
    elif isinstance(obj, list):
        for v in obj:
            _shrink_crops(v, size)


def _pretrain(cfg_path, images, work_dir):
    from mmengine.runner import Runner
    cfg = Config.fromfile(cfg_path)
    model = cfg.model
    _shrink_vit(model.backbone)
    model.neck.update(in_channels=64, hid_channels=64, out_channels=32)
    model.predictor.update(in_channels=32, hid_channels=64, out_channels=32)
    model.update(feat_dim=32, bank_size=16, topk=3)
    loader = cfg.train_dataloader
    loader.update(batch_size=4, num_workers=0, persistent_workers=False)
    dataset = loader.dataset.get('dataset', loader.dataset)  # BoxedDataset wraps for ccrop
    dataset.update(data_root=images, data_prefix='train')
    _shrink_crops(loader.dataset.pipeline if 'pipeline' in loader.dataset else dataset.pipeline)
    for hook in cfg.get('custom_hooks', []):
        if hook.get('type') == 'BoxRefreshHook':
            hook.update(batch_size=4, num_workers=0)
    cfg.train_cfg.max_epochs = 1  # 8 images, batch 4: 2 iterations
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':  # CPU: fp32
        cfg.optim_wrapper.pop('type')
        cfg.optim_wrapper.pop('loss_scale', None)
    cfg.work_dir, cfg.launcher = str(work_dir), 'none'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    return osp.join(work_dir, 'epoch_1.pth')


@pytest.mark.skipif(not SNCLR_VIT, reason='no SNCLR ViT-S pretraining config')
def test_snclr_vit_pretrain_convert_finetune_segment(tmp_path, capsys):
    from mmengine.runner import Runner
    images = str(write_imagenet(tmp_path / 'imagenet', per_class=4))
    ckpt = _pretrain(SNCLR_VIT[0], images, tmp_path / 'pretrain')
    online = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    tool = load_tool()
    backbone = str(tmp_path / 'vit.pth')
    assert tool.main([ckpt, backbone]) == 0
    assert 'source: mmccrop (ViT, ' in capsys.readouterr().out
    sd = torch.load(backbone, weights_only=True)['state_dict']
    assert torch.equal(sd['backbone.cls_token'], online['backbone.cls_token'])
    assert not any(k.startswith('backbone.momentum') for k in sd)

    # fine-tune 2 iterations (8 images, batch 4) + top-1 / top-5
    cfg = classification_cfg(FINETUNE, images, backbone, tmp_path / 'ft', 4,
                             'train_dataloader.batch_size=4')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert 0 <= runner.message_hub.get_scalar('val/accuracy/top1').current() <= 100

    # UperNet, 2 iterations + mIoU, on 64 px crops
    seg_backbone = str(tmp_path / 'vit_64.pth')
    assert tool.main([ckpt, seg_backbone, '--img-size', '64']) == 0
    ade = write_ade20k(tmp_path / 'ade')
    runner = Runner.from_cfg(upernet_cfg(UPERNET, str(ade), seg_backbone, tmp_path / 'seg'))
    runner.train()
    assert runner.iter == 2
    assert 0 <= runner.message_hub.get_scalar('val/mIoU').current() <= 100
