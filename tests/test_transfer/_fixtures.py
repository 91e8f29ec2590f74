"""Checkpoints with the key structure of each supported source format.

Everything is built from a randomly initialised torchvision ResNet-50, re-keyed
the way each codebase saves it, so nothing downloads.  The momentum/target
copies get *different* values, so a test can tell which copy was extracted.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict

import torch
import torchvision

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'extract_backbone.py')


def resnet50_state(seed: int = 0) -> OrderedDict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = torchvision.models.resnet50()
    # Non-trivial BN statistics, so the comparisons cover buffers too.
    for name, buf in model.named_buffers():
        if name.endswith('running_mean') or name.endswith('running_var'):
            buf.uniform_(0.5, 1.5)
    return OrderedDict((k, v.clone()) for k, v in model.state_dict().items())


def backbone_only(sd: Dict[str, torch.Tensor]) -> OrderedDict[str, torch.Tensor]:
    return OrderedDict((k, v) for k, v in sd.items() if not k.startswith('fc.'))


def _prefixed(sd, prefix, skip_fc=False):
    return OrderedDict((prefix + k, v) for k, v in sd.items()
                       if not (skip_fc and k.startswith('fc.')))


def _mlp(prefix, dims=(2048, 512, 128)):
    out = OrderedDict()
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        out[f'{prefix}{2 * i}.weight'] = torch.randn(b, a)
        out[f'{prefix}{2 * i}.bias'] = torch.randn(b)
    return out


def make_checkpoint(fmt: str, online, momentum) -> dict:
    """A checkpoint of format ``fmt`` whose online ResNet is ``online``."""
    if fmt == 'mmccrop':
        # Our Runner checkpoints: online backbone + neck + head, and the
        # momentum copy of backbone+neck (MoCo/BYOL), plus the Runner's extras.
        sd = _prefixed(online, 'backbone.', skip_fc=True)
        sd.update(_mlp('neck.mlp.'))
        sd.update(_prefixed(momentum, 'momentum_encoder.backbone.', skip_fc=True))
        sd.update(_mlp('momentum_encoder.neck.mlp.'))
        sd.update(_prefixed(momentum, 'target_net.backbone.', skip_fc=True))
        sd['head.queue'] = torch.randn(128, 64)
        sd['head.queue_ptr'] = torch.zeros(1, dtype=torch.long)
        return {'meta': {'epoch': 2, 'iter': 8, 'seed': 0, 'mmengine_version': '0.10.7'},
                'state_dict': sd, 'optimizer': {'state': {}, 'param_groups': []}}
    if fmt.startswith('ccrop-official'):
        algo = fmt.split(':')[1]
        if algo in ('moco', 'byol'):
            sd = _prefixed(online, 'module.encoder_q.', skip_fc=True)
            sd.update(_mlp('module.encoder_q.fc.'))
            sd.update(_prefixed(momentum, 'module.encoder_k.', skip_fc=True))
            sd.update(_mlp('module.encoder_k.fc.'))
            if algo == 'moco':
                sd['module.queue'] = torch.randn(128, 64)
                sd['module.queue_ptr'] = torch.zeros(1, dtype=torch.long)
            else:
                sd.update(_mlp('module.predictor.', (128, 512, 128)))
        elif algo == 'simsiam':
            sd = _prefixed(online, 'module.encoder.', skip_fc=True)
            sd.update(_mlp('module.encoder.fc.', (2048, 2048, 2048)))
            sd.update(_mlp('module.predictor.', (2048, 512, 2048)))
        else:  # simclr: the DDP-wrapped ResNet itself, fc replaced by an MLP
            sd = _prefixed(online, 'module.', skip_fc=True)
            sd.update(_mlp('module.fc.'))
        return {f'{algo}_state': sd, 'optimizer_state': {'state': {}, 'param_groups': []},
                'boxes': torch.rand(10, 4), 'epoch': 200}
    if fmt == 'moco':
        sd = _prefixed(online, 'module.encoder_q.', skip_fc=True)
        sd.update(_mlp('module.encoder_q.fc.'))
        sd.update(_prefixed(momentum, 'module.encoder_k.', skip_fc=True))
        sd.update(_mlp('module.encoder_k.fc.'))
        sd['module.queue'] = torch.randn(128, 64)
        sd['module.queue_ptr'] = torch.zeros(1, dtype=torch.long)
        return {'epoch': 200, 'arch': 'resnet50', 'state_dict': sd,
                'optimizer': {'state': {}, 'param_groups': []}}
    if fmt == 'snclr':
        # MoCo v3-style ResNet: fc replaced by the projector MLP.
        sd = _prefixed(online, 'module.base_encoder.', skip_fc=True)
        sd.update(_mlp('module.base_encoder.fc.'))
        sd.update(_prefixed(momentum, 'module.momentum_encoder.', skip_fc=True))
        sd.update(_mlp('module.momentum_encoder.fc.'))
        sd.update(_mlp('module.predictor.', (128, 512, 128)))
        return {'epoch': 300, 'arch': 'resnet50', 'state_dict': sd,
                'optimizer': {'state': {}, 'param_groups': []}}
    if fmt == 'torchvision':
        return OrderedDict(online)
    raise ValueError(fmt)


#: (fixture format, expected detected source)
FORMATS = [
    ('mmccrop', 'mmccrop'),
    ('ccrop-official:moco', 'ccrop-official'),
    ('ccrop-official:byol', 'ccrop-official'),
    ('ccrop-official:simsiam', 'ccrop-official'),
    ('ccrop-official:simclr', 'ccrop-official'),
    ('moco', 'moco'),
    ('snclr', 'snclr'),
    ('torchvision', 'torchvision'),
]


def unsafe_checkpoint(online) -> dict:
    """A checkpoint that needs full unpickling (an argparse.Namespace inside)."""
    return {'state_dict': _prefixed(online, 'module.encoder_q.'),
            'args': argparse.Namespace(lr=0.03, arch='resnet50')}


def tool_cmd(*args: str):
    return [sys.executable, TOOL, *args]
