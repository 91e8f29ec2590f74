"""The demo's pictures: loss curves, box quality, the box grid and the crop pairs.

``loss_figure`` and ``box_quality_figure`` return matplotlib figures (tested
on their data); the box grid and the crop pairs are drawn by
``tools/analysis/visualize_boxes.py`` and ``visualize_crops.py``, called as a
user would call them.  Every PNG is written atomically.
"""
from __future__ import annotations

import math
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional

from mmccrop.utils import atomic_write, atomic_write_bytes

from .settings import CONFIGS, TOOLS, DemoOptions, pretrain_config, pretrain_overrides, view_crop


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path: str, dpi: int = 120) -> None:
    """Write ``fig`` as a PNG through a temporary file, then close it."""
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format='png'))
    finally:
        _pyplot().close(fig)


def loss_figure(results: List[Dict]):
    """InfoNCE loss against the epoch, with what explains its first rise.

    A horizontal line marks ``log(1 + K)``, the loss of a query that cannot
    tell its key from the ``K`` queue keys; a vertical one the point where the
    queue, which starts as random unit vectors, holds only real keys.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in results:
        if r['losses']:
            steps, values = zip(*r['losses'])
            ax.plot([s / r['iters_per_epoch'] for s in steps], values,
                    label=f"{r['mode']}, seed {r['seed']}")
    first = results[0] if results else {}
    queue, batch, per_epoch = (first.get(k) for k in ('queue_len', 'batch_size',
                                                      'iters_per_epoch'))
    if queue:
        ax.axhline(math.log(1 + queue), color='k', ls='--', lw=1,
                   label=f'log(1 + {queue}) = {math.log(1 + queue):.2f}: key not told '
                   f'from {queue} queue keys')
        full = queue / (batch * per_epoch) if batch and per_epoch else None
        if full is not None and full <= first.get('max_epochs', 0):
            ax.axvline(full, color='tab:gray', ls=':', lw=1.2,
                       label=f'queue full of real keys ({queue} / {batch} = '
                       f'{queue // batch} iterations)')
    refreshes = sorted({b['epoch'] for r in results for b in r['boxes']})
    for i, epoch in enumerate(refreshes):
        ax.axvline(epoch, color='tab:green', ls='-.', lw=1,
                   label='ccrop box refresh' if i == 0 else None)
    ax.set_xlabel('epoch')
    ax.set_ylabel('InfoNCE loss (mean of the last 10 iterations)')
    ax.set_title(f'MoCo v2 pretraining loss: batch {batch}, queue {queue}', fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def box_quality_figure(results: List[Dict]):
    """Mean IoU of the refreshed boxes with the true boxes, per refresh epoch (or None)."""
    ccrop = [r for r in results if r['boxes']]
    if not ccrop:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for r in ccrop:
        epochs = [b['epoch'] for b in r['boxes']]
        ax.plot(epochs, [b['ccrop/box_miou'] for b in r['boxes']], 'o-',
                label=f"refreshed boxes, seed {r['seed']}")
        ax.plot(epochs, [b['ccrop/box_miou_full'] for b in r['boxes']], 'k--',
                label='full-image box' if r is ccrop[0] else None)
    last = max(r.get('max_epochs', 0) for r in ccrop)
    ax.set_xlim(0, max(last, max(b['epoch'] for r in ccrop for b in r['boxes']) + 1))
    ax.set_xticks(range(0, int(ax.get_xlim()[1]) + 1))
    ax.set_xlabel('epoch after which the boxes were refreshed')
    ax.set_ylabel('mean IoU with the true boxes')
    ax.set_ylim(0, 1)
    n = ccrop[0].get('num_images')
    ax.set_title('Box quality after each refresh' + (f' ({n} training images)' if n else ''),
                 fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot(results: List[Dict], out_dir: str) -> List[str]:
    """``loss_curves.png`` and ``box_quality.png`` (with a ccrop run); returns the names."""
    save_figure(loss_figure(results), osp.join(out_dir, 'loss_curves.png'))
    written = ['loss_curves.png']
    fig = box_quality_figure(results)
    if fig is not None:
        save_figure(fig, osp.join(out_dir, 'box_quality.png'))
        written.append('box_quality.png')
    return written


def run_tool(cmd: List[str]) -> subprocess.CompletedProcess:
    """Run a tool to its end, then write its stdout and stderr to ours (the stage's log)."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    print(done.stdout, done.stderr, sep='\n', flush=True)
    return done


def _run_tool(cmd: List[str], what: str) -> bool:
    """Run an analysis tool (named in the log above its output); warn if it fails."""
    print(' '.join(cmd), flush=True)
    done = run_tool(cmd)
    if done.returncode != 0:
        print(f'warning: {what} failed (exit {done.returncode})', flush=True)
    return done.returncode == 0


def box_grid(opts: DemoOptions, ccrop: Dict, out_dir: str) -> Optional[str]:
    """``box_grid.png``: heatmap, heatmap box, true box and stored box of 8 images."""
    cmd = [sys.executable, TOOLS['boxes'], CONFIGS['ccrop'],
           '--checkpoint', ccrop['checkpoint'], '--num', '8', '--device', 'cpu',
           '--out', osp.join(out_dir, 'box_grid.png'), '--cfg-options',
           *[f'{k}={v}' for k, v in pretrain_overrides(opts, 'ccrop', ccrop['seed']).items()]]
    return 'box_grid.png' if _run_tool(cmd, 'the box grid') else None


def crop_pairs(opts: DemoOptions, ccrop: Dict, out_dir: str) -> Optional[str]:
    """``crop_pairs.png``: training image 0 with its stored box and the config's crops."""
    import cv2

    from mmccrop.engine.hooks.box_refresh_hook import CKPT_KEY
    from mmccrop.registry import DATASETS
    from mmccrop.utils import safe_torch_load

    cfg = pretrain_config(opts, 'ccrop', ccrop['seed'])
    stored = safe_torch_load(ccrop['checkpoint']).get(CKPT_KEY, {}).get('boxes')
    if stored is None:
        print(f'warning: {ccrop["checkpoint"]} holds no boxes; no crop pairs', flush=True)
        return None
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    info = dataset.raw_data_info(0)
    sample = osp.join(out_dir, 'sample_0.png')
    ok, png = cv2.imencode('.png', info['img'])
    if not ok:
        raise RuntimeError(f'cannot encode training image 0 of {cfg.filename} as PNG')
    atomic_write_bytes(sample, png.tobytes())
    crop = view_crop(cfg)
    h, w = info['img'].shape[:2]
    refreshed = [b['epoch'] for b in ccrop['boxes']]
    title = (f'training image 0 ({w}x{h} px); box: stored in the checkpoint'
             + (f', refreshed after epoch {refreshed[-1]}' if refreshed else ''))
    size = crop['size'] if isinstance(crop['size'], int) else crop['size'][0]
    cmd = [sys.executable, TOOLS['crops'], sample, '--box',
           *[f'{v:.4f}' for v in stored[0].tolist()], '--size', str(size),
           '--scale', *[str(v) for v in crop.get('scale', (0.2, 1.0))],
           '--ratio', *[str(v) for v in crop.get('ratio', (3 / 4, 4 / 3))],
           '--alpha', str(crop.get('alpha', 0.6)), '--num-pairs', '4',
           '--seed', str(ccrop['seed']), '--title', title,
           '--out', osp.join(out_dir, 'crop_pairs.png')]
    return 'crop_pairs.png' if _run_tool(cmd, 'the crop pairs') else None
