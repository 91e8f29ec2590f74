"""Test-only dataset, transforms and model for the box tests.

Importable by spawned workers (``test_boxes._tiny``), registered in
mmccrop's registries under names no real config uses.
"""
import os
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dataset import BaseDataset
from mmengine.model import BaseModel

from mmccrop.registry import DATASETS, MODELS, TRANSFORMS
from mmccrop.structures.data_sample import SelfSupDataSample


def square_image(i: int, size: int = 32):
    """A bright square at an index-dependent place on a dark noisy background."""
    rng = np.random.default_rng(i)
    img = (rng.random((size, size, 3)) * 40).astype(np.uint8)
    side = size // 4 + (i % 3) * size // 8
    x0 = (i * 5) % (size - side)
    y0 = (i * 7) % (size - side)
    img[y0:y0 + side, x0:x0 + side] = (60 + 40 * (i % 4), 200, 255 - 30 * (i % 5))
    gt = np.array([x0, y0, x0 + side, y0 + side], np.float32) / size
    return img, gt


@DATASETS.register_module(name='_BoxTestImages', force=True)
class BoxTestImages(BaseDataset):
    """``num`` in-memory BGR images (``img``), with ``gt_bbox`` and labels."""

    def __init__(self, num: int = 10, size: int = 32, with_gt: bool = True,
                 none_every: int = 0, pipeline=(), **kwargs) -> None:
        self.num, self.size, self.with_gt, self.none_every = num, size, with_gt, none_every
        super().__init__(pipeline=list(pipeline), serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        infos = []
        for i in range(self.num):
            img, gt = square_image(i, self.size)
            info = dict(img=img, gt_label=i % 2)
            if self.with_gt:
                info['gt_bbox'] = gt
            infos.append(info)
        return infos

    def prepare_data(self, idx: int) -> Optional[dict]:
        # An overridden prepare_data, like the file datasets' skip logic.
        if self.none_every and idx % self.none_every == 0:
            return None
        return super().prepare_data(idx)


@TRANSFORMS.register_module(name='_RecordBox', force=True)
class RecordBox:
    """Return what the pipeline saw, and which process ran it."""

    def __call__(self, results: dict) -> dict:
        box = results.get('ccrop_box')
        return dict(sample_idx=results['sample_idx'], ccrop_box=box, pid=os.getpid())


@TRANSFORMS.register_module(name='_BoxCropPack', force=True)
class BoxCropPack:
    """Crop the box (when there is one), resize, and pack like PackSelfSupInputs."""

    def __init__(self, size: int = 32) -> None:
        self.size = size

    def __call__(self, results: dict) -> dict:
        img = results['img']
        box = results.get('ccrop_box')
        if box is not None:
            h, w = img.shape[:2]
            x0, y0 = int(box[0] * w), int(box[1] * h)
            x1, y1 = max(int(np.ceil(box[2] * w)), x0 + 1), max(int(np.ceil(box[3] * h)), y0 + 1)
            img = img[y0:y1, x0:x1]
        t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float()
        t = F.interpolate(t, size=(self.size, self.size), mode='bilinear', align_corners=False)
        sample = SelfSupDataSample(metainfo=dict(
            sample_idx=results['sample_idx'],
            ccrop_box=None if box is None else tuple(box)))
        return dict(inputs=[t[0].round().clamp(0, 255).to(torch.uint8)], data_samples=sample)


@MODELS.register_module(name='_BoxTestNet', force=True)
class BoxTestNet(BaseModel):
    """Two convs with positive initial weights (8x8 maps for 32 px inputs).

    The loss pulls pooled features of a batch together.

    Records the ``ccrop_box`` of every training sample it sees.
    """

    def __init__(self, width: int = 8, data_preprocessor: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=(120., 120., 120.),
                                     std=(60., 60., 60.), bgr_to_rgb=True)
        super().__init__(data_preprocessor=MODELS.build(data_preprocessor))
        self.conv1 = nn.Conv2d(3, width, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(width)
        with torch.no_grad():  # brightness-sensitive at init: heatmaps find the square
            self.conv1.weight.abs_()
            self.conv2.weight.abs_()
        self.seen_boxes: List[Optional[tuple]] = []

    def extract_feat(self, inputs):
        x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        x = F.relu(self.conv1(x))
        return (F.relu(self.bn(self.conv2(x))), )

    def loss(self, inputs, data_samples):
        self.seen_boxes.extend(s.ccrop_box for s in data_samples)
        feat = self.extract_feat(inputs)[0].mean((2, 3))
        return dict(loss=((feat - feat.mean(0, keepdim=True)) ** 2).mean() + 0.1 * feat.mean())

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.extract_feat(inputs)
