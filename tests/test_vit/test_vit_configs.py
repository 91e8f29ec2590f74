"""The SNCLR ViT-S configs: the authors' backbone, and ContrastiveCrop on it."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.visualization import Visualizer

from mmccrop.models.backbones import MoCoV3ViT
from mmccrop.registry import MODELS
from mmccrop.utils import register_all_modules

CFG = 'configs/selfsup/snclr/snclr_vit-small-p16_32xb128-amp-coslr-300e_in1k.py'
CCROP = 'configs/selfsup/snclr/snclr_vit-small-p16_32xb128-amp-coslr-300e_in1k-ccrop.py'


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def test_vit_config_builds_the_authors_backbone(repo_root):
    register_all_modules()
    cfg = Config.fromfile(osp.join(repo_root, CFG))
    assert 'paramwise_cfg' not in cfg.optim_wrapper  # the backbone freezes, nothing else
    assert cfg.model.neck.with_avg_pool is False
    with DefaultScope.overwrite_default_scope('mmccrop'):
        model = MODELS.build(cfg.model)
    vit = model.backbone
    assert isinstance(vit, MoCoV3ViT) and vit.out_type == 'cls_token'
    assert (vit.embed_dims, vit.num_layers, vit.layers[0].attn.num_heads) == (384, 12, 12)
    assert vit.patch_resolution == (14, 14)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert {'backbone.pos_embed', 'backbone.patch_embed.projection.weight',
            'backbone.patch_embed.projection.bias'} == \
        {n for n in frozen if not n.startswith('momentum_encoder.')}
    with torch.no_grad():
        proj = model.neck(vit(torch.zeros(2, 3, 224, 224)))[0]
    assert proj.shape == (2, 256)


def test_ccrop_config_is_the_vit_config_with_contrastive_crop(repo_root):
    base = Config.fromfile(osp.join(repo_root, CFG))
    cfg = Config.fromfile(osp.join(repo_root, CCROP))
    assert cfg.model == base.model and cfg.optim_wrapper == base.optim_wrapper
    assert cfg.param_scheduler == base.param_scheduler and cfg.train_cfg == base.train_cfg
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'BoxedDataset' and tuple(ds.init_box) == (0., 0., 1., 1.)
    assert ds.dataset.type == base.train_dataloader.dataset.type
    views = ds.dataset.pipeline[1].transforms
    base_views = base.train_dataloader.dataset.pipeline[1].transforms
    for view, base_view in zip(views, base_views, strict=True):
        crop, base_crop = dict(view[0]), dict(base_view[0])
        assert crop.pop('type') == 'ContrastiveCrop' and crop.pop('alpha') == 0.6
        assert crop == {k: v for k, v in base_crop.items() if k != 'type'}  # same crop law
        assert view[1:] == base_view[1:]  # the same colour / blur / solarize / flip
    (hook, ) = [h for h in cfg.custom_hooks if h.type == 'BoxRefreshHook']
    assert (hook.threshold, hook.align, hook.background, hook.region) == \
        (0.5, 'centre', 'median', 'peak')
    assert (hook.warmup_epochs, hook.interval, hook.eval_size) == (20, 20, 224)


def _fake_imagenet(root, n=4, size=40):
    rng = np.random.default_rng(0)
    for i in range(n):
        folder = osp.join(root, 'train', f'n0000000{i % 2}')
        os.makedirs(folder, exist_ok=True)
        img = (rng.random((size, size + 8, 3)) * 60).astype(np.uint8)
        img[8:24, 10:30] = (40, 200, 250)  # an object on a dark background
        cv2.imwrite(osp.join(folder, f'img_{i}.JPEG'), img)


@pytest.mark.slow
def test_ccrop_config_trains_through_a_box_refresh(repo_root, tmp_path):
    """The real ViT-S ccrop config (full widths), with only paths, sizes, batch,
    workers and the schedule shortened: 2 epochs of 2 steps, boxes refreshed
    after epoch 1 and used in epoch 2, and handed to checkpoints."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(repo_root, CCROP))
    _fake_imagenet(str(tmp_path / 'imagenet'))
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False,
                                pin_memory=False)
    cfg.train_dataloader.dataset.dataset.data_root = str(tmp_path / 'imagenet')
    for view in cfg.train_dataloader.dataset.dataset.pipeline[1].transforms:
        view[0].size = 32
    cfg.model.backbone.img_size = 32  # 2x2 patches of 16 px
    cfg.custom_hooks[0].update(warmup_epochs=1, interval=1, eval_size=32, batch_size=2,
                               num_workers=0)
    cfg.train_cfg.max_epochs = 2
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
    cfg.optim_wrapper.type = 'OptimWrapper'  # AmpOptimWrapper needs CUDA
    cfg.optim_wrapper.pop('loss_scale')
    cfg.default_hooks.checkpoint.update(interval=10, save_last=False)  # ~1 GB at full width
    cfg.work_dir = str(tmp_path / 'work')
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    Visualizer._instance_dict.pop(cfg.visualizer.name, None)
    runner = Runner.from_cfg(cfg)
    runner.train()

    hook = next(h for h in runner.hooks if type(h).__name__ == 'BoxRefreshHook')
    dataset = runner.train_dataloader.dataset
    assert runner.iter == 4 and dataset.active
    assert 0 < hook.last_stats['box_mean_area'] <= 1
    assert hook.last_stats['box_degenerate'] == 0
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    torch.testing.assert_close(ckpt['ccrop_boxes']['boxes'], dataset.boxes)
    assert runner.model.backbone.out_type == 'cls_token'
    # The momentum copy starts equal and follows the online weights by EMA: the
    # frozen patch projection is still equal after 4 AdamW steps, the rest is not.
    state = runner.model.state_dict()
    assert torch.equal(state['backbone.patch_embed.projection.weight'],
                       state['momentum_encoder.backbone.patch_embed.projection.weight'])
    assert not torch.equal(state['backbone.layers.0.attn.qkv.weight'],
                           state['momentum_encoder.backbone.layers.0.attn.qkv.weight'])
