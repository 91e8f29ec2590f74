"""Tiny ViT checkpoints in each supported layout, and tiny data in the real formats.

The weights come from a randomly initialised mmpretrain ``VisionTransformer``
(64 dims, 2 blocks, 4 heads, patch 8, 32 px: a 4x4 position grid), re-keyed
the way each codebase saves it.  The momentum copy gets *different* values, so
a test can tell which copy was extracted.
"""
from __future__ import annotations

import os.path as osp
import re
from collections import OrderedDict
from typing import Dict

import cv2
import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'extract_backbone.py')
ARCH = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128)
IMG, PATCH = 32, 8

# A real timm VisionTransformer(depth=1), spelled out: the oracle of the timm naming.
TIMM_ONE_BLOCK = [
    'cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias',
    'blocks.0.norm1.weight', 'blocks.0.norm1.bias', 'blocks.0.attn.qkv.weight',
    'blocks.0.attn.qkv.bias', 'blocks.0.attn.proj.weight', 'blocks.0.attn.proj.bias',
    'blocks.0.norm2.weight', 'blocks.0.norm2.bias', 'blocks.0.mlp.fc1.weight',
    'blocks.0.mlp.fc1.bias', 'blocks.0.mlp.fc2.weight', 'blocks.0.mlp.fc2.bias',
    'norm.weight', 'norm.bias',
]


def load_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('extract_backbone', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mmpretrain_vit(img_size: int = IMG, num_layers: int = 2, **kwargs):
    from mmpretrain.models.backbones import VisionTransformer
    kwargs.setdefault('out_type', 'cls_token')
    return VisionTransformer(arch=dict(ARCH, num_layers=num_layers), img_size=img_size,
                             patch_size=PATCH, final_norm=True, **kwargs)


def _randomise(model: torch.nn.Module, seed: int) -> OrderedDict:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():  # LN weights, biases and tokens too
            p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    return OrderedDict((k, v.clone()) for k, v in model.state_dict().items())


def vit_state(seed: int = 0, num_layers: int = 2) -> OrderedDict:
    """An mmpretrain-named tiny ViT state dict with non-trivial values everywhere."""
    return _randomise(mmpretrain_vit(num_layers=num_layers), seed)


def mmseg_vit_state(seed: int = 0):
    """A tiny mmseg ViT (the layout of configs that used mmseg's ViT) and its state."""
    from mmseg.models.backbones import VisionTransformer
    model = VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dims=64, num_layers=2,
                              num_heads=4, mlp_ratio=2, out_indices=-1, final_norm=True,
                              with_cls_token=True, output_cls_token=True,
                              norm_cfg=dict(type='LN', eps=1e-6))
    return model, _randomise(model, seed)


def timm_layout(mm_sd: Dict[str, torch.Tensor]) -> OrderedDict:
    """mmpretrain names -> timm names, written out independently of the converter."""
    out = OrderedDict()
    for k, v in mm_sd.items():
        k = k.replace('patch_embed.projection.', 'patch_embed.proj.')
        k = re.sub(r'^layers\.', 'blocks.', k)
        k = k.replace('.ln1.', '.norm1.').replace('.ln2.', '.norm2.')
        k = k.replace('.ffn.layers.0.0.', '.mlp.fc1.').replace('.ffn.layers.1.', '.mlp.fc2.')
        out[re.sub(r'^ln1\.', 'norm.', k)] = v
    return out


def _mlp(prefix: str, dims=(64, 96, 32), bn: bool = True) -> OrderedDict:
    """MoCo v3's MLP (Linear, BN, ReLU, ..., last BN without affine) as a state dict."""
    out, idx = OrderedDict(), 0
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        out[f'{prefix}{idx}.weight'] = torch.randn(b, a)
        last = i == len(dims) - 2
        if bn:
            if not last:
                out[f'{prefix}{idx + 1}.weight'] = torch.ones(b)
                out[f'{prefix}{idx + 1}.bias'] = torch.zeros(b)
            out[f'{prefix}{idx + 1}.running_mean'] = torch.zeros(b)
            out[f'{prefix}{idx + 1}.running_var'] = torch.ones(b)
            out[f'{prefix}{idx + 1}.num_batches_tracked'] = torch.tensor(5)
        idx += 3
    return out


def _prefixed(sd, prefix):
    return OrderedDict((prefix + k, v) for k, v in sd.items())


def make_vit_checkpoint(fmt: str, online, momentum) -> dict:
    """A checkpoint of format ``fmt`` whose online ViT is ``online`` (mmpretrain names;
    for ``mmccrop-mmseg`` both are mmseg-named states)."""
    if fmt in ('mmccrop', 'mmccrop-mmseg'):
        # Our Runner checkpoints: SNCLR's online backbone + neck + predictor + bank,
        # and the momentum copy of backbone + neck.
        sd = _prefixed(online, 'backbone.')
        sd.update(_mlp('neck.mlp.'))
        sd.update(_prefixed(momentum, 'momentum_encoder.backbone.'))
        sd.update(_mlp('momentum_encoder.neck.mlp.'))
        sd.update(_mlp('predictor.mlp.', (32, 96, 32)))
        sd['bank.bank'] = torch.randn(16, 32)
        sd['bank.ptr'] = torch.zeros(1, dtype=torch.long)
        return {'meta': {'epoch': 300, 'iter': 9, 'seed': 0}, 'state_dict': sd,
                'optimizer': {'state': {}, 'param_groups': []}}
    if fmt == 'snclr':
        # The SNCLR authors' / MoCo v3's main_moco.py: DDP-wrapped timm ViTs whose head is
        # the 3-layer projector, a 2-layer predictor, and the AMP scaler.
        sd = _prefixed(timm_layout(online), 'module.base_encoder.')
        sd.update(_mlp('module.base_encoder.head.', (64, 96, 96, 32)))
        sd.update(_prefixed(timm_layout(momentum), 'module.momentum_encoder.'))
        sd.update(_mlp('module.momentum_encoder.head.', (64, 96, 96, 32)))
        sd.update(_mlp('module.predictor.', (32, 96, 32)))
        return {'epoch': 300, 'arch': 'vit_small', 'state_dict': sd,
                'optimizer': {'state': {}, 'param_groups': []}, 'scaler': {'scale': 1024.0}}
    if fmt == 'deit':
        # MoCo v3's convert_to_deit.py output: {'model': base encoder minus head}.
        return {'model': timm_layout(online)}
    if fmt == 'deit-trained':
        # A DeiT / timm training checkpoint: classifier head, EMA and optimizer.
        sd = timm_layout(online)
        sd['head.weight'], sd['head.bias'] = torch.randn(10, 64), torch.zeros(10)
        return {'model': sd, 'optimizer': {'state': {}, 'param_groups': []}, 'epoch': 299}
    if fmt == 'timm':
        return timm_layout(online)  # a bare timm state dict
    raise ValueError(fmt)


#: (fixture format, expected detected source, expected naming)
VIT_FORMATS = [
    ('mmccrop', 'mmccrop', 'mmpretrain'),
    ('snclr', 'snclr', 'timm'),
    ('deit', 'timm', 'timm'),
    ('deit-trained', 'timm', 'timm'),
    ('timm', 'timm', 'timm'),
]


class Holder(torch.nn.Module):
    """``backbone.*`` keys, as an mmpretrain classifier or our FeatureExtractor has them."""

    def __init__(self, backbone: torch.nn.Module) -> None:
        super().__init__()
        self.backbone = backbone


# ---- tiny data in the real formats ----
def _image(rng, size, cls):
    img = rng.integers(0, 80, (size, size, 3), dtype=np.uint8)
    img[size // 4:3 * size // 4, size // 4:3 * size // 4] = (40 + 180 * cls, 90, 200 - 150 * cls)
    return img


def write_imagenet(root, classes=('n01440764', 'n01443537'), per_class=2, size=40):
    """``root/{train,val}/<wnid>/*.JPEG``, as the ImageNet benchmarks read it."""
    rng = np.random.default_rng(0)
    for split in ('train', 'val'):
        for c, wnid in enumerate(classes):
            folder = root / split / wnid
            folder.mkdir(parents=True)
            for i in range(per_class):
                cv2.imwrite(str(folder / f'{wnid}_{i}.JPEG'), _image(rng, size, c))
    return root


def write_ade20k(root, n=2, size=64):
    """ADEChallengeData2016 layout: images/{training,validation}/*.jpg and 8-bit label
    PNGs in annotations/ (0 = other, reduced to 255; classes from 1)."""
    rng = np.random.default_rng(1)
    for split in ('training', 'validation'):
        (root / 'images' / split).mkdir(parents=True)
        (root / 'annotations' / split).mkdir(parents=True)
        for i in range(n):
            name = f'ADE_{split[:5]}_{i:08d}'
            img = _image(rng, size, i % 2)
            label = np.zeros((size, size), np.uint8)
            label[size // 4:3 * size // 4, size // 4:3 * size // 4] = 1 + i % 2
            label[:4] = 3
            cv2.imwrite(str(root / 'images' / split / f'{name}.jpg'), img)
            cv2.imwrite(str(root / 'annotations' / split / f'{name}.png'), label)
    return root


# ---- the benchmark configs, shrunk as a CPU user would with --cfg-options ----
TINY_VIT = [f'model.backbone.arch.{k}={v}' for k, v in ARCH.items() if k != 'num_layers']


def cfg_options(*pairs: str) -> dict:
    """Parse ``k=v`` strings exactly as ``--cfg-options`` does."""
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *pairs]).cfg_options


def classification_cfg(path, imagenet, backbone, work_dir, num_layers, *extra):
    """A linear-probe / fine-tune config at 32 px, batch 2, one epoch of 2 iterations."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    opts = TINY_VIT + [
        f'model.backbone.arch.num_layers={num_layers}', 'model.backbone.img_size=32',
        f'model.backbone.patch_size={PATCH}', 'model.head.in_channels=64',
        f'model.backbone.init_cfg.checkpoint={backbone}',
        'train_dataloader.dataset.pipeline.1.scale=32',
        'val_dataloader.dataset.pipeline.1.scale=36',
        'val_dataloader.dataset.pipeline.2.crop_size=32',
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1']
    for split in ('train', 'val'):
        opts += [f'{split}_dataloader.dataset.data_root={imagenet}',
                 f'{split}_dataloader.batch_size=2', f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    cfg.merge_from_dict(cfg_options(*opts, *extra))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.work_dir, cfg.launcher = str(work_dir), 'none'
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
        # mmengine's AMP needs a GPU: on CPU the same optimiser in fp32 (as SyncBN -> BN).
        cfg.optim_wrapper.pop('type')
        cfg.optim_wrapper.pop('loss_scale')
    return cfg


def upernet_cfg(path, ade, backbone, work_dir):
    """The UperNet config with a 4-block ViT at 64 px, batch 2, 2 iterations."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    opts = TINY_VIT + [
        'model.backbone.arch.num_layers=4', 'model.backbone.img_size=64',
        f'model.backbone.patch_size={PATCH}', 'model.backbone.out_indices=(0,1,2,3)',
        f'model.backbone.init_cfg.checkpoint={backbone}', 'model.data_preprocessor.size=(64,64)',
        'model.neck.in_channels=[64,64,64,64]', 'model.neck.out_channels=64',
        'model.decode_head.in_channels=[64,64,64,64]', 'model.decode_head.channels=32',
        'model.auxiliary_head.in_channels=64', 'model.auxiliary_head.channels=16',
        'train_dataloader.dataset.pipeline.2.scale=(128,64)',
        'train_dataloader.dataset.pipeline.3.crop_size=(64,64)',
        'val_dataloader.dataset.pipeline.1.scale=(128,64)',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.logger.interval=1']
    for split in ('train', 'val'):
        opts += [f'{split}_dataloader.dataset.data_root={ade}',
                 f'{split}_dataloader.batch_size=2', f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    cfg.merge_from_dict(cfg_options(*opts))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.work_dir, cfg.launcher = str(work_dir), 'none'
    return cfg
