"""A box file steers ContrastiveCrop in training: with no refresh the crops stay
in the file's boxes (Beta placement as before); with a refresh on top, the
model's heatmaps take over after the first refresh."""
import glob
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from test_boxes._tiny import BoxTestNet

from mmccrop.datasets.box_sources import save_boxes
from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.functional.crop import contrastive_crop_params
from mmccrop.registry import MODELS

H, W = 32, 48  # not square: the two axes are checked separately


@MODELS.register_module(name='_CropRecordingNet', force=True)
class CropRecordingNet(BoxTestNet):
    """Records, for every training sample, its index, box and the crops' pixel boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.records = []

    def loss(self, inputs, data_samples):
        for s in data_samples:
            self.records.append((int(s.sample_idx), s.ccrop_box,
                                 [np.asarray(b, dtype=np.float64) for b in s.crop_bbox]))
        return super().loss(inputs, data_samples)


def _view(alpha=0.6, scale=(0.08, 0.2)):
    return [dict(type='ContrastiveCrop', size=16, scale=scale, alpha=alpha)]


def _pipeline(load=True, **view):
    return ([dict(type='LoadImageFromFile')] if load else []) + [
        dict(type='MultiView', num_views=2, transforms=[_view(**view)]),
        dict(type='PackSelfSupInputs', meta_keys=['img_path', 'ccrop_box'])]


def _image_folder(root, n=8):
    """``n`` PNGs in two class folders, and a box file keyed by their paths."""
    rng = np.random.default_rng(0)
    keys = []
    for i in range(n):
        rel = f'train/{"ab"[i % 2]}/{i}.png'
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
        keys.append(rel)
    lo = rng.uniform(0.05, 0.55, (n, 2))
    boxes = np.concatenate([lo, lo + rng.uniform(0.15, 0.4, (n, 2))], 1).astype(np.float32)
    return keys, boxes


def _allowed(extent, crop, lo, hi):
    """The crop starts ContrastiveCrop's placement allows in [lo, hi] (see place_in_box)."""
    room = extent - crop
    low = min(max(extent * lo - crop / 2, 0.0), room)
    high = min(max(extent * hi - crop / 2, 0.0), room)
    return math.floor(low), math.floor(high)


def _check_inside(box, crop_bbox):
    x0, y0, x1, y1 = crop_bbox
    left_lo, left_hi = _allowed(W, x1 - x0, box[0], box[2])
    top_lo, top_hi = _allowed(H, y1 - y0, box[1], box[3])
    assert left_lo <= x0 <= left_hi and top_lo <= y0 <= top_hi, (box, crop_bbox)
    cx, cy = (x0 + x1) / 2 / W, (y0 + y1) / 2 / H  # small crops: the centre is in the box
    assert box[0] - 1 / W <= cx <= box[2] + 1 / W and box[1] - 1 / H <= cy <= box[3] + 1 / H


@pytest.mark.slow
@pytest.mark.parametrize('interval', [None, 1])
def test_file_boxes_steer_the_crops_with_or_without_a_refresh(tmp_path, one_thread, interval):
    keys, boxes = _image_folder(str(tmp_path / 'data'))
    save_boxes(str(tmp_path / 'boxes.csv'), keys, boxes)
    by_key = dict(zip(keys, boxes))
    runner = Runner(
        model=dict(type='_CropRecordingNet'),
        work_dir=str(tmp_path / 'work'),
        experiment_name=f'file_boxes_{interval}',
        train_dataloader=dict(
            dataset=dict(type='BoxedDataset',
                         box_source=dict(type='FileBoxes', file=str(tmp_path / 'boxes.csv')),
                         dataset=dict(type='ImageFolder', data_root=str(tmp_path / 'data'),
                                      data_prefix='train', pipeline=_pipeline())),
            sampler=dict(type='DefaultSampler', shuffle=True), batch_size=4, num_workers=0,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        custom_hooks=[dict(type='BoxRefreshHook', warmup_epochs=0, interval=interval,
                           threshold=0.2, eval_size=32, batch_size=4, num_workers=0)],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=10)),
        default_scope='mmccrop', randomness=dict(seed=0), log_level='INFO')
    runner.train()
    ds = runner.train_dataloader.dataset
    n = len(ds)
    records = runner.model.records
    assert len(records) == 2 * n
    order = [ds.raw_data_info(i)['img_path'] for i in range(n)]
    file_boxes = np.stack([by_key[osp.relpath(p, str(tmp_path / 'data'))] for p in order])
    log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
    assert "initial boxes from FileBoxes(file=" in log
    # epoch 1: every sample carries its file box, both crops placed inside it
    for idx, box, crops in records[:n]:
        assert np.array_equal(np.float32(box), file_boxes[idx])
        for crop in crops:
            _check_inside(box, crop)
    if interval is None:
        assert 'the boxes are never re-localised (interval=None): they stay the boxes of ' \
               'FileBoxes(' in log
        assert 'refreshed the boxes' not in log
        assert torch.equal(ds.boxes, torch.from_numpy(file_boxes))
        later = records[n:]
    else:  # refreshed after epoch 1: epoch 2 crops inside the heatmap boxes
        assert log.count('BoxRefreshHook: refreshed the boxes after epoch 1') == 1
        assert not torch.equal(ds.boxes, torch.from_numpy(file_boxes))
        later = records[n:]
        assert sorted(tuple(b) for _, b, _ in later) == sorted(map(tuple, ds.boxes.tolist()))
    for idx, box, crops in later:
        assert np.array_equal(np.float32(box), ds.boxes[idx].numpy())
        for crop in crops:
            _check_inside(box, crop)


def test_crops_from_file_boxes_are_contrastive_crop_draws(tmp_path):
    """The pipeline's crops are exactly contrastive_crop_params on the file's box
    (same random stream): the box source changes where boxes come from, not the law."""
    n = 4
    keys = [str(i) for i in range(n)]
    rng = np.random.default_rng(1)
    lo = rng.uniform(0.1, 0.5, (n, 2))
    boxes = np.concatenate([lo, lo + 0.3], 1).astype(np.float32)
    save_boxes(str(tmp_path / 'b.json'), keys, boxes)
    ds = BoxedDataset(dataset=dict(type='SyntheticObjects', num_images=n, img_size=32,
                                   pipeline=_pipeline(load=False, alpha=0.1,
                                                      scale=(0.2, 1.0))),
                      box_source=dict(type='FileBoxes', file=str(tmp_path / 'b.json')))
    ds.set_active(True)
    for i in range(n):
        np.random.seed(100 + i)
        out = ds[i]['data_samples']
        np.random.seed(100 + i)
        expected = [contrastive_crop_params(32, 32, tuple(boxes[i].tolist()), (0.2, 1.0),
                                            (3 / 4, 4 / 3), 0.1) for _ in range(2)]
        assert out.ccrop_box == tuple(boxes[i].tolist())
        got = [tuple(int(v) for v in (b[1], b[0], b[3] - b[1], b[2] - b[0]))
               for b in out.crop_bbox]
        assert got == expected


def test_schedule_line_names_the_source_and_does_not_warn_of_whole_image_boxes():
    from mmccrop.engine.hooks.box_refresh_text import describe_schedule

    text, warnings = describe_schedule(0, None, 10, source="FileBoxes(file='b.csv')")
    assert text.endswith("(interval=None): they stay the boxes of FileBoxes(file='b.csv').")
    assert warnings == []
    _, warnings = describe_schedule(0, None, 10)  # no source: the whole image, never narrowed
    assert len(warnings) == 1 and 'init_box is the whole image' in warnings[0]
    _, warnings = describe_schedule(0, 20, 10, source="FileBoxes(file='b.csv')")
    assert "with the boxes of FileBoxes(file='b.csv') only" in warnings[0]
