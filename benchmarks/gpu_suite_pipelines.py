"""gpu_suite part A: images/s of the CPU pipeline and of the device path, and its fidelity.

Rows (``section, measure, setting, value, unit, note``) for ``gpu_suite.py``.
ImageNet ContrastiveCrop views (``configs/selfsup/_base_/datasets/imagenet_ccrop.py``)
on synthetic 300-500 px JPEGs (``--reduced``: 80-120 px, 64 px views).
"""
import copy
import statistics
import tempfile
import time

import cv2
import numpy as np
import torch
from bench_ccrop_pipeline import interleaved, make_jpegs
from bench_common import BOX, IMAGENET_CCROP, sync
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmccrop.engine.runner.device_augment_runner import rewrite_pipeline
from mmccrop.registry import MODELS, TRANSFORMS


def _build(pipeline):
    return [TRANSFORMS.build(t) for t in pipeline]


def _apply(transforms, path, idx):
    results = dict(img_path=path, ccrop_box=BOX if idx % 2 else None, sample_idx=idx)
    for t in transforms:
        results = t(results)
    return results


def run(device, reduced, rounds):
    cfg = Config.fromfile(IMAGENET_CCROP)
    pipe = copy.deepcopy(cfg.train_pipeline)
    if reduced:
        for view in pipe[1]['transforms']:
            view[0]['size'] = 64
    pre_cfg = dict(cfg.data_preprocessor)
    n, batch = (8, 4) if reduced else (256, 128)
    sizes = (80, 121) if reduced else (300, 501)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        paths = make_jpegs(folder, n, sizes=sizes)
        cases = {'cpu pipeline (decode + 2 views)': _build(pipe),
                 'device path loader, decode=loader': _build(rewrite_pipeline(pipe, 'loader')),
                 'device path loader, decode=device': _build(rewrite_pipeline(pipe, 'device'))}
        cv2.setNumThreads(0)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            per = interleaved({k: lambda item, t=v: _apply(t, item[1], item[0])
                               for k, v in cases.items()}, list(enumerate(paths)), rounds)
        finally:
            torch.set_num_threads(threads)
        ref = per['cpu pipeline (decode + 2 views)']
        for k, t in per.items():
            note = '' if k.startswith('cpu') else f'{ref / t:.1f}x less CPU than the pipeline'
            rows.append(('A pipelines', k, '1 CPU core', 1.0 / t, 'img/s', note))

        # Device ops: the preprocessor on batches the device path's loader made.
        for decode in ('loader', 'device'):
            loader = cases[f'device path loader, decode={decode}']
            np.random.seed(0)
            batches = [pseudo_collate([_apply(loader, p, i) for i, p in
                                       enumerate(paths[k:k + batch], k)])
                       for k in range(0, n - batch + 1, batch)]
            for method in ('batched', 'loop'):
                pre = MODELS.build(dict(pre_cfg, type='DeviceAugmentPreprocessor',
                                        crop_method=method)).to(device)
                pre(copy.deepcopy(batches[0]), True)  # warm-up (cuDNN, nvJPEG handles)
                times = []
                for _ in range(rounds):
                    for b in batches:
                        data = copy.deepcopy(b)
                        sync(device)
                        t0 = time.perf_counter()
                        pre(data, True)
                        sync(device)
                        times.append(time.perf_counter() - t0)
                rows.append(('A pipelines', f'device ops, decode={decode}, crop={method}',
                             f'{device.type}, batch {batch}', batch / statistics.median(times),
                             'img/s', '2 views per image'))

        rows += _fidelity(pipe, pre_cfg, paths[:8], device)
    return rows


def _fidelity(pipe, pre_cfg, paths, device):
    """Same seed: the device path on ``device`` against the CPU pipeline, grey levels."""
    rows = []
    np.random.seed(1)
    ref = [_apply(_build(pipe), p, i) for i, p in enumerate(paths)]
    base = MODELS.build(pre_cfg)
    ref_views = base(pseudo_collate(ref), True)['inputs']
    for decode in ('loader', 'device'):
        np.random.seed(1)
        loader = _build(rewrite_pipeline(pipe, decode))
        batch = pseudo_collate([_apply(loader, p, i) for i, p in enumerate(paths)])
        pre = MODELS.build(dict(pre_cfg, type='DeviceAugmentPreprocessor',
                                crop_method='batched')).to(device)
        views = pre(batch, True)['inputs']
        diff = torch.cat([((v.cpu() - r) * base.std).abs().flatten()
                          for v, r in zip(views, ref_views)])
        rows.append(('A fidelity', f'device path vs CPU pipeline, decode={decode}',
                     f'{device.type}, same seed', float(diff.max()), 'grey levels (max)',
                     f'mean {float(diff.mean()):.4f}, '
                     f'{100 * float((diff > 0.5).float().mean()):.4f} % of values differ'))
    from torchvision.io import ImageReadMode, decode_jpeg
    data = [torch.frombuffer(bytearray(open(p, 'rb').read()), dtype=torch.uint8)
            for p in paths]
    dec = decode_jpeg(data, mode=ImageReadMode.RGB, device=device)
    diffs = [(d.flip(0).permute(1, 2, 0).cpu().int() - torch.from_numpy(cv2.imread(p)).int())
             .abs() for d, p in zip(dec, paths)]
    rows.append(('A fidelity', 'decode_jpeg vs cv2.imread', device.type,
                 float(max(d.max() for d in diffs)), 'grey levels (max)',
                 f'mean {float(torch.cat([d.flatten() for d in diffs]).float().mean()):.4f}'))
    return rows
