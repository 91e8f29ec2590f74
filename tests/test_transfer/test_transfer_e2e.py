"""End to end on CPU: pretrain 2 iterations -> convert -> mmdet C4 and mmseg FCN.

Tiny generated data: a folder of images for pretraining, a COCO-format
instance set for Mask R-CNN C4 and a VOC-format segmentation set for FCN.  The
benchmark configs are used as shipped, with only sizes, data paths and
SyncBN -> BN changed through ``--cfg-options`` strings, as a CPU user would.
"""
from __future__ import annotations

import argparse
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config, DictAction

from ._fixtures import ROOT, TOOL

pytestmark = pytest.mark.slow

C4_CFG = osp.join(ROOT, 'configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py')
SEG_CFG = osp.join(ROOT, 'configs/benchmarks/mmsegmentation/voc12aug/'
                   'fcn_r50-d8_4xb4-20k_voc12aug-512x512.py')
PRETRAIN_MODEL = osp.join(ROOT, 'configs/selfsup/_base_/models/mocov2_resnet50.py')
RUNTIME = osp.join(ROOT, 'configs/selfsup/_base_/default_runtime.py')


def cfg_options(*pairs: str) -> dict:
    """Parse ``k=v`` strings exactly as ``--cfg-options`` does."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *pairs]).cfg_options


def _image(rng, h, w, boxes):
    img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        img[y0:y1, x0:x1] = rng.integers(150, 255, 3, dtype=np.uint8)
    return img


def _runner(cfg, work_dir):
    from mmengine.runner import Runner
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    return Runner.from_cfg(cfg)


def _pretrain(tmp) -> str:
    rng = np.random.default_rng(0)
    folder = tmp / 'imgs' / 'unlabelled'
    folder.mkdir(parents=True)
    for i in range(8):
        cv2.imwrite(str(folder / f'{i}.png'), _image(rng, 80, 80, [(8, 8, 50, 50)]))
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
    runner = _runner(cfg, tmp / 'pretrain')
    runner.train()
    ckpt = tmp / 'pretrain' / 'iter_2.pth'
    assert ckpt.is_file()
    return str(ckpt)


def _write_coco(tmp):
    rng = np.random.default_rng(1)
    root = tmp / 'coco'
    (root / 'images').mkdir(parents=True)
    images, anns = [], []
    for i in range(2):
        box = (8 + 4 * i, 10, 40 + 4 * i, 50)
        cv2.imwrite(str(root / 'images' / f'{i}.jpg'), _image(rng, 64, 64, [box]))
        images.append(dict(id=i, file_name=f'{i}.jpg', height=64, width=64))
        x0, y0, x1, y1 = box
        anns.append(dict(id=i + 1, image_id=i, category_id=1, iscrowd=0,
                         bbox=[x0, y0, x1 - x0, y1 - y0], area=(x1 - x0) * (y1 - y0),
                         segmentation=[[x0, y0, x1, y0, x1, y1, x0, y1]]))
    with open(root / 'instances.json', 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='box')]), f)
    return root


def _write_voc_seg(tmp):
    rng = np.random.default_rng(2)
    root = tmp / 'voc'
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        (root / d).mkdir(parents=True)
    names = []
    for i in range(2):
        box = (10, 12, 44, 50)
        cv2.imwrite(str(root / 'JPEGImages' / f'{i}.jpg'), _image(rng, 64, 64, [box]))
        label = np.zeros((64, 64), np.uint8)
        label[box[1]:box[3], box[0]:box[2]] = 1 + i  # aeroplane / bicycle
        cv2.imwrite(str(root / 'SegmentationClass' / f'{i}.png'), label)
        names.append(str(i))
    (root / 'ImageSets/Segmentation/train.txt').write_text('\n'.join(names) + '\n')
    return root


def _convert(src, dst):
    import importlib.util
    spec = importlib.util.spec_from_file_location('extract_backbone', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main([src, dst]) == 0
    return torch.load(dst, weights_only=True)['state_dict']


def test_pretrain_convert_detect_segment(tmp_path, capsys):
    full = _pretrain(tmp_path)
    online = torch.load(full, weights_only=False)['state_dict']
    backbone = str(tmp_path / 'backbone.pth')
    sd = _convert(full, backbone)
    assert 'source: mmccrop' in capsys.readouterr().out
    for k, v in sd.items():
        assert torch.equal(v, online['backbone.' + k]), k
    assert not any(k.startswith('momentum') for k in sd)

    # ---- Mask R-CNN R50-C4, 2 iterations + bbox/segm evaluation ----
    coco = _write_coco(tmp_path)
    cfg = Config.fromfile(C4_CFG)
    ann = str(coco / 'instances.json')
    opts = [
        f'model.backbone.init_cfg.checkpoint={backbone}',
        f'model.roi_head.shared_head.init_cfg.checkpoint={backbone}',
        'model.backbone.norm_cfg.type=BN', 'model.roi_head.shared_head.norm_cfg.type=BN',
        'model.roi_head.bbox_head.num_classes=1', 'model.roi_head.mask_head.num_classes=1',
        'train_dataloader.dataset.pipeline.2.scales=[(96,64)]',
        'val_dataloader.dataset.pipeline.1.scale=(96,64)',
        'model.test_cfg.rcnn.score_thr=0.0',
        # few RoIs: each one runs through res5 on CPU
        'model.train_cfg.rpn_proposal.nms_pre=200', 'model.train_cfg.rpn_proposal.max_per_img=32',
        'model.train_cfg.rcnn.sampler.num=16',
        'model.test_cfg.rpn.nms_pre=200', 'model.test_cfg.rpn.max_per_img=16',
        'train_cfg.max_epochs=1', 'train_cfg.val_begin=2',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint=None',
    ]
    for split in ('train', 'val'):
        opts += [f'{split}_dataloader.dataset.data_root={coco}',
                 f'{split}_dataloader.dataset.ann_file={ann}',
                 f'{split}_dataloader.dataset.data_prefix.img={coco}/images/',
                 f'{split}_dataloader.dataset.metainfo.classes=[box]',
                 f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    opts += ['train_dataloader.batch_size=1', f'val_evaluator.ann_file={ann}',
             'train_dataloader.dataset.filter_cfg.min_size=0']
    cfg.merge_from_dict(cfg_options(*opts))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.test_evaluator = cfg.val_evaluator
    runner = _runner(cfg, tmp_path / 'det')
    runner.train()
    assert runner.iter == 2
    head = runner.model.roi_head.shared_head
    assert type(head).__name__ == 'ResLayerExtraNorm'
    metrics = runner.val()
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP'):
        assert key in metrics and -1 <= metrics[key] <= 1, metrics

    # ---- FCN R50-D8, 2 iterations + mIoU ----
    voc = _write_voc_seg(tmp_path)
    cfg = Config.fromfile(SEG_CFG)
    cfg.train_dataloader.dataset = dict(
        type='PascalVOCDataset', data_root=str(voc),
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/train.txt', pipeline=cfg.train_pipeline)
    seg_opts = [
        f'model.backbone.init_cfg.checkpoint={backbone}',
        'model.backbone.norm_cfg.type=BN', 'model.decode_head.norm_cfg.type=BN',
        'model.auxiliary_head.norm_cfg.type=BN',
        # 32 px crops, and the heads alone are trained in this smoke run: the
        # backward pass of dilated convolutions takes minutes on a CPU.
        'model.backbone.frozen_stages=4',
        'model.data_preprocessor.size=(32,32)',
        'train_dataloader.dataset.pipeline.2.scale=(64,32)',
        'train_dataloader.dataset.pipeline.3.crop_size=(32,32)',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'val_dataloader.dataset.data_root={voc}',
        'val_dataloader.dataset.data_prefix.seg_map_path=SegmentationClass',
        'val_dataloader.dataset.ann_file=ImageSets/Segmentation/train.txt',
        'val_dataloader.dataset.pipeline.1.scale=(64,32)',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'train_cfg.max_iters=2', 'train_cfg.val_begin=3',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint=None',
    ]
    cfg.merge_from_dict(cfg_options(*seg_opts))
    cfg.test_dataloader = cfg.val_dataloader
    runner = _runner(cfg, tmp_path / 'seg')
    runner.train()
    assert runner.iter == 2
    # frozen for this run, so the standard-stem backbone still holds exactly the
    # converted weights: every key present, none missing, stem included
    own = runner.model.backbone.state_dict()
    assert set(own) == set(sd)
    assert all(torch.equal(v, sd[k]) for k, v in own.items())
    metrics = runner.val()
    assert 'mIoU' in metrics and 0 <= metrics['mIoU'] <= 100, metrics
