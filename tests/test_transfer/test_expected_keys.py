"""Loading a checkpoint whose extra keys are expected logs why, not "unexpected key".

The C4 backbone stops at res4 (res5 is the RoI head's), and kNN evaluation
takes only the backbone of a pretraining checkpoint; docs/transfer.md
promises no unexpected keys for these.
"""
from __future__ import annotations

import logging
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_checkpoint

from ._fixtures import ROOT, backbone_only, resnet50_state

pytestmark = pytest.mark.usefixtures('one_thread')


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _capture() -> _Records:
    """A fresh current MMLogger (what print_log(logger='current') writes to), recorded."""
    logger = MMLogger.get_instance(f'keys-{uuid.uuid4().hex}')
    records = _Records()
    logger.addHandler(records)
    return records


def test_c4_backbone_says_where_res5_goes(tmp_path):
    sd = backbone_only(resnet50_state(seed=11))
    path = tmp_path / 'backbone.pth'
    torch.save({'state_dict': sd}, path)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/benchmarks/mmdetection/voc0712/'
                                         'faster-rcnn_r50-c4_ms-24k_voc0712.py'))
    bb = cfg.model.backbone
    bb.norm_cfg.type = 'BN'
    bb.init_cfg.checkpoint = str(path)
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    backbone = MODELS.build(bb)
    log = _capture()
    backbone.init_weights()
    text = '\n'.join(log.messages)
    assert 'unexpected key' not in text and 'missing key' not in text, text
    assert 'layer4' in text and 'ResLayerExtraNorm' in text and 'res5' in text
    own = backbone.state_dict()
    assert set(own) == {k for k in sd if not k.startswith('layer4.')}
    assert all(torch.equal(v, sd[k]) for k, v in own.items())
    # a real mismatch is still reported
    broken = dict(sd)
    broken.pop('layer1.0.conv1.weight')
    torch.save(broken, tmp_path / 'broken.pth')
    bb.init_cfg.checkpoint = str(tmp_path / 'broken.pth')
    log = _capture()
    MODELS.build(bb).init_weights()
    assert any('missing keys' in m and 'layer1.0.conv1.weight' in m for m in log.messages)
    with pytest.raises(ValueError, match='init_cfg.checkpoint'):
        bb.init_cfg.checkpoint = None
        MODELS.build(bb).init_weights()


def test_knn_feature_extractor_sets_aside_the_pretraining_parts(tmp_path):
    from mmccrop.registry import MODELS
    algo = Config.fromfile(osp.join(ROOT, 'configs/selfsup/_base_/models/'
                                          'mocov2_resnet18_cifar.py')).model
    algo.queue_len = 16
    pretrained = MODELS.build(algo)
    full = pretrained.state_dict()
    assert any(k.startswith('momentum_encoder.') for k in full)
    assert any('queue' in k for k in full)
    torch.save({'state_dict': full, 'meta': {}}, tmp_path / 'epoch_1.pth')
    knn = Config.fromfile(osp.join(ROOT, 'configs/benchmarks/classification/cifar10/'
                                         'resnet18-knn-k200_1xb512_cifar10.py'))
    model = MODELS.build(knn.model)
    log = _capture()
    # what Runner.load_checkpoint does for tools/test.py CONFIG CKPT
    load_checkpoint(model, str(tmp_path / 'epoch_1.pth'), map_location='cpu', strict=False,
                    logger='current', revise_keys=[(r'^module\.', '')])
    text = '\n'.join(log.messages)
    assert 'unexpected key' not in text and 'missing key' not in text, text
    line = next(m for m in log.messages if 'set aside' in m)
    assert 'momentum_encoder' in line and 'neck' in line and 'queue' in line
    own = model.state_dict()
    assert own and all(torch.equal(v, full[k]) for k, v in own.items())
