"""Localisation cost: P3b (vectorised boxes) and P3 (refresh pass vs epoch).

P3b: :func:`heatmap_to_boxes` on a batch of 256 feature maps against the
straightforward per-image loop (:func:`heatmap_to_boxes_reference`: channel
sum, min-max, full ``F.interpolate`` to the eval size, row / column scan),
which is what the authors' code does.  Reported for the ImageNet setting
(7x7 -> 224, ResNet-50 and ResNet-18 widths) and the CIFAR one (4x4 -> 32),
both from the feature maps and for the localisation step alone (one-channel
input: the channel sum, the same memory-bound work on both sides, excluded).
Target: >= 20x.  Both sides run interleaved, medians compared.

P3: wall time of one box refresh (``BoxRefreshHook.refresh``: eval loader,
forward, boxes, gather, store update) divided by one training epoch, for the
same model (MoCo v2, CIFAR ResNet-18 from the shipped CIFAR-10 CCrop config)
on the same data (``SyntheticObjects``, in memory), run by an mmengine
Runner.  Target: <= 0.35.

Usage::

    python benchmarks/bench_localization.py                 # both, CPU
    python benchmarks/bench_localization.py --only p3b --device cuda
    python benchmarks/bench_localization.py --only p3 --num-images 512 --img-size 32
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import torch
from bench_common import ROOT, sync

sys.path.insert(0, ROOT)

from mmccrop.functional.localization import (  # noqa: E402
    heatmap_to_boxes,
    heatmap_to_boxes_reference,
)


def _median_pair(fn_a, fn_b, repeats, device):
    fn_a(), fn_b()  # warm-up (caches, lazy init)
    times_a, times_b = [], []
    for _ in range(repeats):
        for fn, out in ((fn_a, times_a), (fn_b, times_b)):
            sync(device)
            t = time.perf_counter()
            fn()
            sync(device)
            out.append(time.perf_counter() - t)
    return statistics.median(times_a), statistics.median(times_b)


def bench_p3b(device, batch, repeats):
    print(f'P3b: heatmap_to_boxes vs per-image loop, batch {batch}, device {device}, '
          f'{torch.get_num_threads()} threads')
    settings = [
        ('ImageNet R50 7x7->224', 2048, 7, 224),
        ('ImageNet R18 7x7->224', 512, 7, 224),
        ('CIFAR R18 4x4->32', 512, 4, 32),
        ('heatmap only 7x7->224', 1, 7, 224),
        ('heatmap only 4x4->32', 1, 4, 32),
    ]
    gen = torch.Generator().manual_seed(0)
    rows = []
    for name, channels, h, size in settings:
        feats = torch.randn(batch, channels, h, h, generator=gen).relu().to(device)
        assert torch.equal(heatmap_to_boxes(feats, 0.1, size),
                           heatmap_to_boxes_reference(feats, 0.1, size))
        ours, ref = _median_pair(lambda f=feats, s=size: heatmap_to_boxes(f, 0.1, s),
                                 lambda f=feats, s=size: heatmap_to_boxes_reference(f, 0.1, s),
                                 repeats, device)
        rows.append((name, ours, ref))
        print(f'  {name:24s} ours {ours * 1e3:8.2f} ms   loop {ref * 1e3:8.2f} ms   '
              f'speed-up {ref / ours:6.1f}x')
    return rows


def bench_p3(device, num_images, img_size, batch, workers, epochs):
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook
    from mmccrop.utils import register_all_modules

    register_all_modules()

    class EpochTimer(Hook):
        """Each training epoch's wall time."""

        def __init__(self):
            self.times = []

        def before_train_epoch(self, runner):
            self._start = time.perf_counter()

        def after_train_epoch(self, runner):
            self.times.append(time.perf_counter() - self._start)

    cfg = Config.fromfile(os.path.join(
        ROOT, 'configs/selfsup/mocov2/mocov2_resnet18_4xb128-coslr-500e_cifar10-ccrop.py'))
    cfg.model.shuffle_bn = False  # single process
    cfg.model.queue_len = 4096
    loader = cfg.train_dataloader
    loader.batch_size = batch
    loader.num_workers = workers
    loader.persistent_workers = workers > 0
    loader.dataset.dataset = dict(type='SyntheticObjects', num_images=num_images,
                                  img_size=img_size, pipeline=loader.dataset.dataset.pipeline)
    cfg.custom_hooks = [dict(type='BoxRefreshHook', warmup_epochs=0, interval=None,
                             threshold=0.1, eval_size=img_size, batch_size=batch,
                             num_workers=workers)]
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10 ** 6)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
    cfg.log_level = 'WARNING'
    cfg.device = device.type
    cfg.env_cfg = dict(dist_cfg=dict(backend='gloo'))
    with tempfile.TemporaryDirectory() as work_dir:
        cfg.work_dir = work_dir
        runner = Runner.from_cfg(cfg)
        timer = EpochTimer()
        runner.register_hook(timer, priority='VERY_LOW')
        runner.train()
        hook = next(h for h in runner.hooks if isinstance(h, BoxRefreshHook))
        refresh = []
        for _ in range(3):
            refresh.append(hook.refresh(runner)['time_s'])
    epoch = statistics.median(timer.times[1:] or timer.times)  # skip warm-up epoch
    ratio = statistics.median(refresh) / epoch
    print(f'P3: MoCo v2 CIFAR ResNet-18, {num_images} images of {img_size}px, batch {batch}, '
          f'{workers} workers, device {device}')
    print(f'  training epoch {epoch:.2f} s (epochs: '
          f'{", ".join(f"{t:.2f}" for t in timer.times)})')
    print(f'  refresh pass   {statistics.median(refresh):.2f} s (median; runs: '
          f'{", ".join(f"{t:.2f}" for t in refresh)})')
    print(f'  refresh / epoch = {ratio:.3f} (median refresh; worst run '
          f'{max(refresh) / epoch:.3f})  (target <= 0.35)')
    return ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', choices=['p3', 'p3b'], default=None)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=1, help='CPU threads (both sides)')
    parser.add_argument('--batch', type=int, default=256, help='P3b batch')
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--num-images', type=int, default=256)
    parser.add_argument('--img-size', type=int, default=32)
    parser.add_argument('--train-batch', type=int, default=64)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--epochs', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.only in (None, 'p3b'):
        bench_p3b(device, args.batch, args.repeats)
    if args.only in (None, 'p3'):
        bench_p3(device, args.num_images, args.img_size, args.train_batch, args.workers,
                 args.epochs)


if __name__ == '__main__':
    main()
