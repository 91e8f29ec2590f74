"""Every transfer benchmark config parses, builds, and receives the weights."""
from __future__ import annotations

import os.path as osp

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from ._fixtures import ROOT, backbone_only, make_checkpoint, resnet50_state

DET = osp.join(ROOT, 'configs', 'benchmarks', 'mmdetection')
SEG = osp.join(ROOT, 'configs', 'benchmarks', 'mmsegmentation')
C4_CONFIGS = [
    osp.join(DET, 'coco', 'mask-rcnn_r50-c4_ms-1x_coco.py'),
    osp.join(DET, 'coco', 'mask-rcnn_r50-c4_ms-2x_coco.py'),
    osp.join(DET, 'voc0712', 'faster-rcnn_r50-c4_ms-24k_voc0712.py'),
]
FPN_CONFIGS = [
    osp.join(DET, 'coco', 'mask-rcnn_r50_fpn_ms-1x_coco.py'),
    osp.join(DET, 'coco', 'mask-rcnn_r50_fpn_ms-2x_coco.py'),
]
SEG_CONFIGS = [
    osp.join(SEG, 'voc12aug', 'fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'),
    osp.join(SEG, 'cityscapes', 'fcn_r50-d8_4xb2-40k_cityscapes-769x769.py'),
]
RGB_MEAN, RGB_STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def sync_bn_to_bn(cfg):
    """What a CPU user does with --cfg-options ...norm_cfg.type=BN, everywhere."""
    if isinstance(cfg, dict):
        if cfg.get('type') == 'SyncBN':
            cfg['type'] = 'BN'
        for v in cfg.values():
            sync_bn_to_bn(v)
    elif isinstance(cfg, (list, tuple)):
        for v in cfg:
            sync_bn_to_bn(v)
    return cfg


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    import importlib.util

    from ._fixtures import TOOL  # noqa: F401  (the tool is exercised in-process)
    spec = importlib.util.spec_from_file_location('extract_backbone', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tmp = tmp_path_factory.mktemp('weights')
    online = resnet50_state(seed=3)
    torch.save(make_checkpoint('mmccrop', online, resnet50_state(seed=4)), tmp / 'full.pth')
    assert tool.main([str(tmp / 'full.pth'), str(tmp / 'backbone.pth')]) == 0
    sd = torch.load(tmp / 'backbone.pth', weights_only=True)['state_dict']
    assert list(sd) == list(backbone_only(online))
    return str(tmp / 'backbone.pth'), sd


def _common_conventions(cfg, init_type='Pretrained'):
    model = cfg.model
    assert model.data_preprocessor.mean == RGB_MEAN
    assert model.data_preprocessor.std == RGB_STD
    assert model.data_preprocessor.bgr_to_rgb is True
    bb = model.backbone
    assert bb.type == 'ResNet' and bb.depth == 50
    assert bb.style == 'pytorch'
    assert bb.norm_cfg.type == 'SyncBN' and bb.norm_cfg.requires_grad
    assert bb.norm_eval is False
    assert bb.init_cfg == dict(type=init_type, checkpoint=None)


def _assert_loaded(module, expected, prefix=''):
    """Every tensor of ``module`` equals ``expected[prefix + name]``."""
    own = module.state_dict()
    assert own, 'empty module'
    for name, value in own.items():
        assert torch.equal(value, expected[prefix + name]), prefix + name
    return own


# The 2x configs differ from the 1x ones only in their schedule (test_schedules).
@pytest.mark.parametrize('path', [C4_CONFIGS[0], C4_CONFIGS[2], FPN_CONFIGS[0]],
                         ids=osp.basename)
def test_detection_config_builds_and_loads_pretrained(path, converted):
    ckpt, sd = converted
    cfg = Config.fromfile(path)
    c4 = path in C4_CONFIGS
    _common_conventions(cfg, 'mmccrop.PretrainedC4Backbone' if c4 else 'Pretrained')
    assert cfg.model.backbone.frozen_stages == -1
    if c4:
        head = cfg.model.roi_head.shared_head
        assert head.type == 'mmccrop.ResLayerExtraNorm'
        assert head.style == 'pytorch' and head.norm_eval is False
        assert head.norm_cfg.type == 'SyncBN'
        head.init_cfg.checkpoint = ckpt
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    sync_bn_to_bn(cfg.model)

    init_default_scope(cfg.get('default_scope', 'mmdet'))
    from mmdet.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()

    own = _assert_loaded(model.backbone, sd)
    if c4:
        assert set(own) == {k for k in sd if not k.startswith('layer4.')}
        head = model.roi_head.shared_head
        assert type(head).__name__ == 'ResLayerExtraNorm'
        _assert_loaded(head.layer4, sd, prefix='layer4.')
        assert torch.equal(head.extra_norm.weight, torch.ones(2048))
        assert torch.equal(head.extra_norm.bias, torch.zeros(2048))
        # forward: res5 then the extra norm
        head.eval()
        x = torch.randn(2, 1024, 14, 14)
        with torch.no_grad():
            expected = head.extra_norm(head.layer4(x))
            assert torch.allclose(head(x), expected)
        assert head(x).shape == (2, 2048, 7, 7)
    else:
        assert set(own) == set(sd)


@pytest.mark.parametrize('path', SEG_CONFIGS, ids=osp.basename)
def test_segmentation_config_uses_standard_stem(path, converted):
    ckpt, sd = converted
    cfg = Config.fromfile(path)
    _common_conventions(cfg)
    assert cfg.model.pretrained is None
    assert cfg.model.backbone.deep_stem is False
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    sync_bn_to_bn(cfg.model)
    init_default_scope('mmseg')
    from mmseg.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    own = _assert_loaded(model.backbone, sd)
    # zero missing (stem included) and zero unexpected keys
    assert set(own) == set(sd)
    assert 'stem.0.weight' not in own and own['conv1.weight'].shape == (64, 3, 7, 7)


def _steps(cfg):
    steps = [s for s in cfg.param_scheduler if s.type == 'MultiStepLR']
    assert len(steps) == 1 and steps[0].by_epoch is False
    return steps[0]


def test_schedules_are_detectron2_iterations():
    """1x = 90k iterations (steps 60k/80k), 2x = 180k (120k/160k), warm-up 1000."""
    one, two = Config.fromfile(C4_CONFIGS[0]), Config.fromfile(C4_CONFIGS[1])
    fpn_one, fpn_two = (Config.fromfile(p) for p in FPN_CONFIGS)
    for cfg, iters, milestones in ((one, 90000, [60000, 80000]), (fpn_one, 90000, [60000, 80000]),
                                   (two, 180000, [120000, 160000]),
                                   (fpn_two, 180000, [120000, 160000])):
        assert cfg.train_cfg.type == 'IterBasedTrainLoop'
        assert cfg.train_cfg.max_iters == iters and cfg.train_cfg.val_interval == iters
        assert _steps(cfg).milestones == milestones and _steps(cfg).end == iters
        warm = [s for s in cfg.param_scheduler if s.type == 'LinearLR']
        assert len(warm) == 1 and warm[0].end == 1000 and warm[0].start_factor == 0.001
        assert warm[0].by_epoch is False
        assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
        assert cfg.default_hooks.checkpoint.by_epoch is False
        assert cfg.optim_wrapper.optimizer.lr == 0.02
        assert cfg.optim_wrapper.optimizer.weight_decay == 1e-4
        assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs = 16
        scales = [s for t in cfg.train_pipeline if t.type == 'RandomChoiceResize'
                  for s in t.scales]
        assert [s[1] for s in scales] == list(range(640, 801, 32))
        assert all(s[0] == 1333 for s in scales)
        assert cfg.train_dataloader.dataset.pipeline == cfg.train_pipeline
    # each 2x config assigns its schedule once: nothing else in it touches it
    for path in (C4_CONFIGS[1], FPN_CONFIGS[1]):
        with open(path) as f:
            text = f.read()
        assert text.count('train_cfg =') == 1 and text.count('max_iters =') == 1


def test_voc0712_protocol():
    cfg = Config.fromfile(C4_CONFIGS[2])
    assert cfg.train_cfg.type == 'IterBasedTrainLoop' and cfg.train_cfg.max_iters == 24000
    assert _steps(cfg).milestones == [18000, 22000]
    warm = [s for s in cfg.param_scheduler if s.type == 'LinearLR']
    assert warm[0].end == 100  # WARMUP_ITERS of pascal_voc_R_50_C4_24k.yaml
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'ConcatDataset'
    assert [d.ann_file for d in ds.datasets] == [
        'VOC2007/ImageSets/Main/trainval.txt', 'VOC2012/ImageSets/Main/trainval.txt']
    assert cfg.val_dataloader.dataset.ann_file == 'VOC2007/ImageSets/Main/test.txt'
    assert cfg.model.roi_head.bbox_head.num_classes == 20
    ev = cfg.val_evaluator
    assert ev.type == 'VOCMetric'
    thrs = [round(t, 2) for t in ev.iou_thrs]
    assert thrs[0] == 0.5 and 0.75 in thrs and thrs[-1] == 0.95 and len(thrs) == 10
    scales = [s[1] for t in ds.datasets[0].pipeline if t.type == 'RandomChoiceResize'
              for s in t.scales]
    assert scales[0] == 480 and scales[-1] == 800
    test_resize = [t for t in cfg.test_dataloader.dataset.pipeline if t.type == 'Resize']
    assert test_resize[0].scale == (1333, 800)


def test_voc_metric_reports_ap_ap50_ap75():
    """VOCMetric with the config's IoU list gives AP50, AP75 and their mean (AP)."""
    import numpy as np
    from mmdet.evaluation import VOCMetric
    cfg = Config.fromfile(C4_CONFIGS[2])
    metric = VOCMetric(**{k: v for k, v in cfg.val_evaluator.items()
                          if k not in ('type', '_scope_')})
    metric.dataset_meta = dict(classes=('a', 'b'), dataset_type='VOC2007')
    gt = dict(bboxes=np.array([[10, 10, 50, 50], [60, 60, 90, 90]], np.float32),
              labels=np.array([0, 1]), bboxes_ignore=np.zeros((0, 4), np.float32),
              labels_ignore=np.zeros((0, ), np.int64))
    # class a: the exact box; class b: IoU 496/961 = 0.52 (VOC's +1 pixel areas)
    dets = [np.array([[10, 10, 50, 50, 0.9]], np.float32),
            np.array([[60, 60, 90, 75, 0.9]], np.float32)]
    res = metric.compute_metrics([(gt, dets)])
    assert res['AP50'] == pytest.approx(1.0)
    assert res['AP75'] == pytest.approx(0.5)
    assert res['mAP'] == pytest.approx((1.0 + 9 * 0.5) / 10, abs=1e-3)


def test_configs_document_cpu_override():
    for path in C4_CONFIGS + FPN_CONFIGS + SEG_CONFIGS:
        with open(path) as f:
            head = f.read(1500)
        assert 'CPU' in head, path
    assert isinstance(Config.fromfile(SEG_CONFIGS[0]).model, ConfigDict)
