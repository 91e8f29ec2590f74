"""mmccrop.ResLayerExtraNorm: res5 + extra norm, strict pretrained res5."""
from __future__ import annotations

import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from mmccrop.models.roi_heads import ResLayerExtraNorm
from mmccrop.registry import MODELS

from ._fixtures import backbone_only, resnet50_state


def _head(**kwargs):
    return MODELS.build(dict(type='ResLayerExtraNorm', depth=50, stage=3, stride=2,
                             style='pytorch', norm_eval=False, **kwargs))


def test_pretrained_res5_with_prefix(tmp_path):
    sd = backbone_only(resnet50_state(seed=7))
    path = tmp_path / 'full.pth'
    # a full-model layout: weights under 'backbone.' are found with prefix=
    torch.save({'state_dict': {'backbone.' + k: v for k, v in sd.items()}}, path)
    head = _head(init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    head.init_weights()
    for k, v in head.layer4.state_dict().items():
        assert torch.equal(v, sd['layer4.' + k]), k
    assert torch.equal(head.extra_norm.weight, torch.ones(2048))
    assert head.is_init


def test_missing_or_partial_res5_is_an_error(tmp_path):
    sd = backbone_only(resnet50_state(seed=8))
    no_res5 = tmp_path / 'c4_backbone.pth'
    torch.save({'state_dict': {k: v for k, v in sd.items() if not k.startswith('layer4.')}},
               no_res5)
    with pytest.raises(KeyError, match='c4_backbone.pth'):
        _head(init_cfg=dict(type='Pretrained', checkpoint=str(no_res5))).init_weights()
    partial = tmp_path / 'partial.pth'
    torch.save({k: v for k, v in sd.items() if k != 'layer4.2.conv3.weight'}, partial)
    with pytest.raises(RuntimeError, match='partial.pth'):
        _head(init_cfg=dict(type='Pretrained', checkpoint=str(partial))).init_weights()
    with pytest.raises(ValueError, match='init_cfg.checkpoint'):
        _head(init_cfg=dict(type='Pretrained', checkpoint=None)).init_weights()


def test_default_init_and_norm_eval():
    head = _head()
    head.init_weights()  # mmdet's Kaiming/constant init, no checkpoint needed
    assert torch.equal(head.extra_norm.weight, torch.ones(2048))
    frozen = ResLayerExtraNorm(depth=50, norm_eval=True, norm_cfg=dict(type='SyncBN'))
    frozen.train()
    # SyncBN is a _BatchNorm but not a BatchNorm2d: it must be frozen too
    assert all(not m.training for m in frozen.modules() if isinstance(m, _BatchNorm))
    trainable = ResLayerExtraNorm(depth=50, norm_eval=False)
    trainable.train()
    assert trainable.extra_norm.training
