"""End to end on CPU: pretrain 2 iterations, convert, then every shipped benchmark config.

Each mmdet / mmseg config under configs/benchmarks/{mmdetection,mmsegmentation/
{voc12aug,cityscapes}} trains 2 iterations from the converted backbone and
runs its own final evaluation, on tiny data in its real on-disk layout
(tests/test_transfer/_data.py). Only sizes (images, crops, RoI counts, batch),
data paths and iteration counts are overridden, through ``--cfg-options``
strings as a user would, plus ``num_workers=0`` to stay in one process.
SyncBN stays in the configs: mmengine's Runner reverts it to BN when not
distributed, which is what docs/transfer.md tells CPU users.
"""
from __future__ import annotations

import argparse
import os.path as osp

import pytest
import torch
from mmengine.config import Config, DictAction

from . import _data
from ._fixtures import ROOT, TOOL

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures('one_thread')]

DET = osp.join(ROOT, 'configs/benchmarks/mmdetection')
SEG = osp.join(ROOT, 'configs/benchmarks/mmsegmentation')
PRETRAIN_MODEL = osp.join(ROOT, 'configs/selfsup/_base_/models/mocov2_resnet50.py')
RUNTIME = osp.join(ROOT, 'configs/selfsup/_base_/default_runtime.py')


def cfg_options(*pairs: str) -> dict:
    """Parse ``k=v`` strings exactly as ``--cfg-options`` does."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *pairs]).cfg_options


def _runner(cfg, work_dir):
    from mmengine.runner import Runner
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    # mmdet/mmseg name their visualizer 'visualizer', a process-wide instance
    # that would keep logging into the first run's folder
    cfg.visualizer.name = f'visualizer_{work_dir}'
    return Runner.from_cfg(cfg)


def _pretrain(tmp) -> str:
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    folder = tmp / 'imgs' / 'unlabelled'
    folder.mkdir(parents=True)
    for i in range(8):
        cv2.imwrite(str(folder / f'{i}.png'), _data.image(rng, 80, 80, [(8, 8, 50, 50)]))
    cfg = Config.fromfile(PRETRAIN_MODEL)
    cfg.merge_from_dict(Config.fromfile(RUNTIME).to_dict())
    # Two iterations cannot train a ResNet-50, so keep the transferred network
    # numerically tame in eval mode: cumulative BN averages (momentum=None) give
    # running statistics that fit the weights, and zero-initialised residual
    # branches stop activations growing block after block (otherwise the
    # detector's features saturate and it predicts nothing to evaluate).
    cfg.merge_from_dict(cfg_options('model.queue_len=8', 'model.shuffle_bn=False',
                                    'model.backbone.norm_cfg.momentum=None',
                                    'model.backbone.zero_init_residual=True'))
    # 64 px crops, 4 images: ResNet-50's last stages still see enough values per
    # BN channel (at 32 px and batch 2, layer4 is 1x1 and BN gradients explode).
    view = [dict(type='RandomResizedCrop', size=64, scale=(0.2, 1.0))]
    cfg.merge_from_dict(dict(
        train_dataloader=dict(
            batch_size=4, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='ImageFolder', data_root=str(tmp / 'imgs'), pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='MultiView', transforms=view, num_views=2),
                dict(type='PackSelfSupInputs'),
            ])),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.03, momentum=0.9,
                                          weight_decay=1e-4)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        vis_backends=[dict(type='LocalVisBackend')],
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]),
    ))
    _runner(cfg, tmp / 'pretrain').train()
    ckpt = tmp / 'pretrain' / 'iter_2.pth'
    assert ckpt.is_file()
    return str(ckpt)


@pytest.fixture(scope='module')
def backbone(tmp_path_factory):
    """Pretrain MoCo v2 R50 for 2 iterations and convert it, as a user would."""
    import importlib.util
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tmp = tmp_path_factory.mktemp('transfer')
        full = _pretrain(tmp)
        spec = importlib.util.spec_from_file_location('extract_backbone', TOOL)
        tool = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tool)
        out = str(tmp / 'backbone.pth')
        assert tool.main([full, out]) == 0
    finally:
        torch.set_num_threads(threads)
    online = torch.load(full, weights_only=False)['state_dict']
    sd = torch.load(out, weights_only=True)['state_dict']
    for k, v in sd.items():
        assert torch.equal(v, online['backbone.' + k]), k
    assert not any(k.startswith('momentum') for k in sd) and 'layer4.2.conv3.weight' in sd
    return out, sd


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    from mmdet.datasets import CocoDataset
    tmp = tmp_path_factory.mktemp('data')
    return dict(
        coco=_data.write_coco(str(tmp / 'coco'), CocoDataset.METAINFO['classes']),
        voc=_data.write_voc_detection(
            str(tmp / 'VOCdevkit'), size=(64, 64),
            objects=[(8, 8, 40, 50, 0), (44, 10, 60, 30, 1)]),
        vocseg=_data.write_voc_segmentation(str(tmp / 'VOCdevkit_seg' / 'VOC2012')),
        cityscapes=_data.write_cityscapes(str(tmp / 'cityscapes')))


def _run_and_check_checkpoint(cfg, work_dir):
    """Train (the config's own final evaluation runs at iteration 2) and return it."""
    runner = _runner(cfg, work_dir)
    runner.train()
    assert runner.iter == 2
    # the docs' test example names iter_*.pth: the last checkpoint is saved under it
    ckpt = work_dir / 'iter_2.pth'
    assert ckpt.is_file()
    ckpt.unlink()  # ~170 MB each: do not keep them in the temp folder
    return runner


def _final_metrics(work_dir):
    """The metrics of the final validation, from the run's scalars log."""
    import glob
    import json
    (scalars, ) = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    records = [json.loads(line) for line in open(scalars) if line.strip()]
    evals = [r for r in records if 'lr' not in r and not any(k.startswith('loss') for k in r)]
    assert evals and evals[-1]['step'] == 2, records
    return evals[-1]


# config, data set, metric keys of its evaluation
DETECTION = [
    ('coco/mask-rcnn_r50-c4_ms-1x_coco.py', 'coco', ('coco/bbox_mAP', 'coco/segm_mAP')),
    ('coco/mask-rcnn_r50-c4_ms-2x_coco.py', 'coco', ('coco/bbox_mAP', 'coco/segm_mAP')),
    ('coco/mask-rcnn_r50_fpn_ms-1x_coco.py', 'coco', ('coco/bbox_mAP', 'coco/segm_mAP')),
    ('coco/mask-rcnn_r50_fpn_ms-2x_coco.py', 'coco', ('coco/bbox_mAP', 'coco/segm_mAP')),
    ('voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py', 'voc',
     ('pascal_voc/mAP', 'pascal_voc/AP50', 'pascal_voc/AP75')),
]


def test_every_config_is_covered():
    import glob
    shipped = {osp.relpath(p, DET) for p in glob.glob(osp.join(DET, '*', '*.py'))
               if '_base_' not in p}
    assert shipped == {c for c, _, _ in DETECTION}
    shipped = {osp.relpath(p, SEG) for p in glob.glob(osp.join(SEG, '*', '*.py'))
               if p.split(osp.sep)[-2] in ('voc12aug', 'cityscapes')}
    assert shipped == {c for c, _ in SEGMENTATION}


@pytest.mark.parametrize('config,dataset,keys', DETECTION, ids=[c for c, _, _ in DETECTION])
def test_detection_config_trains_and_evaluates(config, dataset, keys, backbone, data, tmp_path):
    ckpt, sd = backbone
    cfg = Config.fromfile(osp.join(DET, config))
    c4 = 'c4' in config
    opts = [f'model.backbone.init_cfg.checkpoint={ckpt}',
            # sizes: 64x96 images, few proposals and sampled RoIs (each one runs
            # through res5 or the 4-conv head on a CPU), one image per batch
            'model.train_cfg.rpn_proposal.nms_pre=200',
            'model.train_cfg.rpn_proposal.max_per_img=32',
            'model.train_cfg.rcnn.sampler.num=8',
            'model.test_cfg.rpn.nms_pre=200', 'model.test_cfg.rpn.max_per_img=16',
            'model.test_cfg.rcnn.max_per_img=10',
            'train_dataloader.batch_size=1',
            # 2 iterations cannot lift any score over the 0.05 reporting threshold;
            # report them all so that there is something to evaluate
            'model.test_cfg.rcnn.score_thr=0.0',
            # iterations, the final evaluation included
            'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.logger.interval=1']
    if c4:
        opts += [f'model.roi_head.shared_head.init_cfg.checkpoint={ckpt}',
                 'custom_hooks.0.num_iters=1']
    if dataset == 'coco':
        root = data['coco']
        ann = osp.join(root, 'instances.json')
        opts += ['train_dataloader.dataset.pipeline.2.scales=[(96,64)]',
                 'val_dataloader.dataset.pipeline.1.scale=(96,64)',
                 f'val_evaluator.ann_file={ann}']
        for split in ('train', 'val'):
            opts += [f'{split}_dataloader.dataset.data_root={root}',
                     f'{split}_dataloader.dataset.ann_file={ann}',
                     f'{split}_dataloader.dataset.data_prefix.img={root}/images/']
    else:
        root = data['voc'] + '/'
        opts += ['train_dataloader.dataset.datasets.0.pipeline.3.scales=[(96,64)]',
                 'train_dataloader.dataset.datasets.1.pipeline.3.scales=[(96,64)]',
                 'val_dataloader.dataset.pipeline.1.scale=(96,64)',
                 f'train_dataloader.dataset.datasets.0.data_root={root}',
                 f'train_dataloader.dataset.datasets.1.data_root={root}',
                 f'val_dataloader.dataset.data_root={root}']
    opts += [f'{split}_dataloader.{key}' for split in ('train', 'val')
             for key in ('num_workers=0', 'persistent_workers=False')]
    cfg.merge_from_dict(cfg_options(*opts))
    runner = _run_and_check_checkpoint(cfg, tmp_path)
    model = runner.model
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in model.modules())
    if c4:
        head = model.roi_head.shared_head
        assert type(head).__name__ == 'ResLayerExtraNorm'
        assert set(model.backbone.state_dict()) == {k for k in sd if not k.startswith('layer4.')}
    metrics = _final_metrics(tmp_path)
    for key in keys:
        assert key in metrics and 0 <= metrics[key] <= 1, metrics


SEGMENTATION = [
    ('voc12aug/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py', 'vocseg'),
    ('cityscapes/fcn_r50-d8_4xb2-40k_cityscapes-769x769.py', 'cityscapes'),
]


@pytest.mark.parametrize('config,dataset', SEGMENTATION, ids=[c for c, _ in SEGMENTATION])
def test_segmentation_config_trains_and_evaluates(config, dataset, backbone, data, tmp_path):
    ckpt, sd = backbone
    cfg = Config.fromfile(osp.join(SEG, config))
    root = data[dataset]
    # sizes: 32 px crops, padding and network input; 64x32 images
    opts = [f'model.backbone.init_cfg.checkpoint={ckpt}',
            'model.data_preprocessor.size=(32,32)', 'train_dataloader.batch_size=2',
            'val_dataloader.dataset.pipeline.1.scale=(64,32)',
            f'val_dataloader.dataset.data_root={root}',
            'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.logger.interval=1']
    if dataset == 'vocseg':
        for i in (0, 1):
            prefix = f'train_dataloader.dataset.datasets.{i}'
            opts += [f'{prefix}.data_root={root}', f'{prefix}.pipeline.2.scale=(64,32)',
                     f'{prefix}.pipeline.3.crop_size=(32,32)', f'{prefix}.pipeline.6.size=(32,32)']
    else:
        opts += [f'train_dataloader.dataset.data_root={root}',
                 'train_dataloader.dataset.pipeline.2.scale=(64,32)',
                 'train_dataloader.dataset.pipeline.3.crop_size=(32,32)',
                 'model.test_cfg.crop_size=(32,32)', 'model.test_cfg.stride=(21,21)']
    opts += [f'{split}_dataloader.{key}' for split in ('train', 'val')
             for key in ('num_workers=0', 'persistent_workers=False')]
    cfg.merge_from_dict(cfg_options(*opts))
    runner = _run_and_check_checkpoint(cfg, tmp_path)
    # the standard-stem backbone took every converted key, stem included
    assert set(runner.model.backbone.state_dict()) == set(sd)
    metrics = _final_metrics(tmp_path)
    assert 'mIoU' in metrics and 0 <= metrics['mIoU'] <= 100, metrics
