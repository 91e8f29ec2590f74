"""The detection configs follow MoCo's detectron2 protocol where mmdet's defaults differ.

Each test here failed on the configs before they were aligned: small and
"difficult" VOC boxes trained as background, no weight decay exemption for
norm layers, a gate that left small objects without a positive anchor, and
(test_benchmark_configs) 500 warm-up iterations on COCO.
"""
from __future__ import annotations

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch.nn.modules.batchnorm import _BatchNorm

from ._data import write_voc_detection
from ._fixtures import ROOT

DET = osp.join(ROOT, 'configs', 'benchmarks', 'mmdetection')
VOC = osp.join(DET, 'voc0712', 'faster-rcnn_r50-c4_ms-24k_voc0712.py')
C4_MASK = osp.join(DET, 'coco', 'mask-rcnn_r50-c4_ms-1x_coco.py')
FPN = osp.join(DET, 'coco', 'mask-rcnn_r50_fpn_ms-1x_coco.py')

def test_voc_trains_on_small_and_difficult_boxes(tmp_path):
    """A 20 px box and a difficult box are ground truth in training, as in detectron2."""
    root = write_voc_detection(str(tmp_path / 'VOCdevkit'))
    cfg = Config.fromfile(VOC)
    init_default_scope('mmdet')
    from mmdet.registry import DATASETS
    train = cfg.train_dataloader.dataset
    for part in train.datasets:
        part.data_root = root + '/'
    sample = DATASETS.build(train)[0]['data_samples']
    boxes = sample.gt_instances.bboxes.tensor
    assert len(boxes) == 3, boxes  # today's mmdet default keeps 1 of the 3
    assert len(sample.ignored_instances) == 0
    widths = (boxes[:, 2] - boxes[:, 0]) / sample.scale_factor[0]
    assert torch.isclose(widths.min(), torch.tensor(20.0), atol=0.5)
    # Evaluation still skips the difficult object, as VOC's protocol says.
    val = cfg.val_dataloader.dataset
    val.data_root = root + '/'
    test_sample = DATASETS.build(val)[0]['data_samples']
    assert len(test_sample.gt_instances) == 2 and len(test_sample.ignored_instances) == 1


def _detector(path):
    cfg = Config.fromfile(path)
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    return cfg, MODELS.build(cfg.model)  # SyncBN kept: building needs no process group


@pytest.mark.parametrize('path', [VOC, C4_MASK, FPN], ids=osp.basename)
def test_no_weight_decay_on_norm_layers(path):
    """WEIGHT_DECAY_NORM = 0 reaches every SyncBN, the C4 head's extra norm included."""
    from mmengine.optim import build_optim_wrapper
    cfg, model = _detector(path)
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    decay = {id(p): g['weight_decay'] for g in optim.param_groups for p in g['params']}
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert norms and all(isinstance(m, torch.nn.SyncBatchNorm) for m in norms)
    for m in norms:
        assert decay[id(m.weight)] == 0.0 and decay[id(m.bias)] == 0.0
    if path != FPN:
        extra = model.roi_head.shared_head.extra_norm
        assert isinstance(extra, torch.nn.SyncBatchNorm) and decay[id(extra.weight)] == 0.0
    # everything else keeps 1e-4, biases included (detectron2's WEIGHT_DECAY_BIAS)
    norm_params = {id(p) for m in norms for p in m.parameters()}
    others = [(n, p) for n, p in model.named_parameters() if id(p) not in norm_params]
    assert others and all(decay[id(p)] == 1e-4 for _, p in others)
    assert any(n.endswith('.bias') for n, _ in others)


@pytest.mark.parametrize('path', [VOC, C4_MASK], ids=osp.basename)
def test_rpn_gives_every_box_its_best_anchor(path):
    """A 14 px box (best anchor IoU 0.19) still gets a positive anchor, as detectron2's
    allow_low_quality_matches does; mmdet's default min_pos_iou=0.3 gave it none."""
    from mmdet.registry import TASK_UTILS
    from mmengine.structures import InstanceData
    cfg = Config.fromfile(path)
    rpn = cfg.model.train_cfg.rpn
    assert rpn.allowed_border == -1  # BOUNDARY_THRESH -1: border anchors train too
    init_default_scope('mmdet')
    generator = TASK_UTILS.build(cfg.model.rpn_head.anchor_generator)
    anchors = generator.grid_priors([(20, 20)], device='cpu')[0]
    assigner = TASK_UTILS.build(rpn.assigner)
    gt = InstanceData(bboxes=torch.tensor([[100., 100., 114., 114.], [40., 40., 140., 140.]]),
                      labels=torch.tensor([0, 0]))
    result = assigner.assign(InstanceData(priors=anchors), gt)
    positives = result.gt_inds[result.gt_inds > 0]
    assert (positives == 1).any(), 'the small box has no positive anchor'
    assert (positives == 2).sum() >= 1
    # low-quality matches only add positives: anchors at IoU >= 0.7 stay positive
    assert rpn.assigner.pos_iou_thr == 0.7 and rpn.assigner.neg_iou_thr == 0.3


@pytest.mark.parametrize('path', [VOC, C4_MASK], ids=osp.basename)
def test_c4_configs_take_precise_bn_statistics(path):
    cfg = Config.fromfile(path)
    hooks = [h for h in cfg.custom_hooks if h.type == 'mmccrop.PreciseBNHook']
    assert len(hooks) == 1 and hooks[0].num_iters == 200
