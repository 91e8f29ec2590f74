"""The demo's pretraining stage: one MoCo v2 run, and the figures it reports."""
from __future__ import annotations

import json
import os
import os.path as osp
import time
from typing import Dict, List

from .console import Console, captured, stage_output
from .settings import DemoOptions, pretrain_config


def read_scalars(work_dir: str) -> List[dict]:
    """Every record of the LocalVisBackend's scalars.json of the latest run."""
    if not osp.isdir(work_dir):
        return []
    runs = sorted(d for d in os.listdir(work_dir) if osp.isdir(osp.join(work_dir, d, 'vis_data')))
    if not runs:
        return []
    path = osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pretrain(opts: DemoOptions, mode: str, seed: int, console: Console) -> Dict:
    """Train one configuration on its own stage line; return its figures.

    Returns:
        A dict with ``mode``, ``seed``, ``minutes``, ``work_dir``, ``log``
        (this stage's captured output), ``knn`` (epoch -> top-1),
        ``knn_final``, ``knn_queries``, ``boxes`` (one record per refresh,
        with its ``epoch``), ``losses`` (``(iteration, loss)``),
        ``iters_per_epoch``, ``max_epochs``, ``num_images``, ``queue_len``, ``batch_size``
        and ``checkpoint`` (the last epoch's).
    """
    from mmengine.runner import Runner

    from mmccrop.engine.hooks import KNNEvalHook

    from .progress_hook import StageProgressHook

    log = osp.join(opts.work_dir, f'{mode}_seed{seed}', 'console.log')
    with captured(log, enabled=not opts.verbose):
        cfg = pretrain_config(opts, mode, seed)
    epochs = cfg.train_cfg.max_epochs
    line = console.stage(f'{mode}, seed {seed}: pretraining {epochs} epochs')
    start = time.perf_counter()
    with stage_output(line, log, opts.verbose):
        runner = Runner.from_cfg(cfg)
        runner.register_hook(StageProgressHook(line))
        runner.train()
    minutes = (time.perf_counter() - start) / 60
    knn = next(h for h in runner.hooks if isinstance(h, KNNEvalHook))
    records = read_scalars(cfg.work_dir)
    iters_per_epoch = len(runner.train_dataloader)
    # BoxRefreshHook writes one record per refresh, at the iteration that ends
    # the epoch; LoggerHook repeats the latest values in its own records
    # (those carry 'lr'): keep the former.
    boxes = [dict(r, epoch=r['step'] // iters_per_epoch) for r in records
             if 'ccrop/box_miou' in r and 'lr' not in r]
    losses = [(r['step'], r['loss']) for r in records if 'loss' in r]
    result = dict(mode=mode, seed=seed, minutes=minutes, work_dir=cfg.work_dir, log=log,
                  knn=dict(knn.history), knn_final=knn.history[max(knn.history)],
                  knn_queries=knn.num_queries, boxes=boxes, losses=losses,
                  iters_per_epoch=iters_per_epoch, max_epochs=epochs,
                  num_images=len(runner.train_dataloader.dataset),
                  queue_len=cfg.model.get('queue_len'),
                  batch_size=cfg.train_dataloader.batch_size,
                  checkpoint=osp.join(cfg.work_dir, f'epoch_{epochs}.pth'))
    line.finish(pretrain_summary(result))
    return result


def pretrain_summary(r: Dict) -> str:
    """The stage line's figures: last loss, boxes per refresh, kNN top-1."""
    parts = []
    if r['losses']:
        parts.append(f'loss {r["losses"][-1][1]:.2f}')
    if r['boxes']:
        ious = ', '.join(f'{b["ccrop/box_miou"]:.3f} (epoch {b["epoch"]})' for b in r['boxes'])
        parts.append(f'box mIoU {ious}, full image {r["boxes"][-1]["ccrop/box_miou_full"]:.3f}')
    parts.append(f'kNN top-1 {r["knn_final"]:.2f} %')
    return ', '.join(parts)
