"""The mmccrop demo: random crop vs ContrastiveCrop on the embedded SyntheticObjects data.

Runs on CPU with no downloads (``make demo``):

1. pretrains MoCo v2 / ResNet-18 at 64 px twice: with RandomResizedCrop (rcrop)
   and with ContrastiveCrop (ccrop: warm-up, then boxes from the model's own
   heatmaps, refreshed every few epochs);
2. prints the box quality after each refresh: mean IoU of the boxes with the
   true object boxes, against the full-image box;
3. prints the kNN top-1 of both runs on a held-out split;
4. converts the ccrop checkpoint to backbone weights, then fine-tunes and
   evaluates Mask R-CNN (R18-FPN, bbox / segm AP) and FCN (R18-D8, mIoU) on
   the same generator's images exported as COCO and VOC;
5. writes ``<work-dir>/report.md`` with the figures, the loss curves, box grids
   and crop pairs (PNG), and prints a table of every figure.

``--smoke`` runs a few iterations only (used by the test suite).
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import TYPE_CHECKING, Dict, List, Optional

if TYPE_CHECKING:  # mmccrop is imported lazily, after argument parsing
    from mmccrop.functional.synthetic import SyntheticSpec

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = {
    'convert': osp.join(ROOT, 'tools/model_converters/extract_backbone.py'),
}
CONFIGS = {
    'rcrop': osp.join(ROOT, 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py'),
    'ccrop': osp.join(ROOT, 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py'),
    'det': osp.join(ROOT, 'configs/demo/mask-rcnn_r18-fpn_1xb8-3e_synthetic-coco.py'),
    'seg': osp.join(ROOT, 'configs/demo/fcn_r18-d8_1xb8-100iter_synthetic-voc-64x64.py'),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--epochs', type=int, default=None, help='pretraining epochs (config: 10)')
    p.add_argument('--num-images', type=int, default=None, help='training images (config: 1000)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0], help='one run pair per seed')
    p.add_argument('--transfer-train', type=int, default=256,
                   help='exported images to fine-tune the detector / segmenter on')
    p.add_argument('--transfer-val', type=int, default=100,
                   help='held-out exported images to evaluate them on')
    p.add_argument('--skip-transfer', action='store_true',
                   help='stop after pretraining (no detection / segmentation step)')
    p.add_argument('--smoke', action='store_true', help='a few iterations, for tests')
    return p.parse_args(argv)


def _overrides(args: argparse.Namespace, mode: str, seed: int) -> Dict:
    """Config overrides for this run (as --cfg-options would give them)."""
    o: Dict = {'randomness.seed': seed, 'default_hooks.logger.interval': 5}
    box_hook = 0 if mode == 'ccrop' else None
    knn_hook = 1 if mode == 'ccrop' else 0
    if args.smoke:
        o.update({'train_dataloader.batch_size': 8, 'train_dataloader.num_workers': 0,
                  'train_dataloader.persistent_workers': False, 'model.queue_len': 64,
                  'train_cfg.max_epochs': 2,
                  f'custom_hooks.{knn_hook}.interval': 1,
                  f'custom_hooks.{knn_hook}.train_dataloader.dataset.num_images': 32,
                  f'custom_hooks.{knn_hook}.val_dataloader.dataset.num_images': 16,
                  'default_hooks.logger.interval': 1})
        args_images = 16
        if box_hook is not None:
            o.update({f'custom_hooks.{box_hook}.warmup_epochs': 1,
                      f'custom_hooks.{box_hook}.interval': 1})
    else:
        args_images = args.num_images
    if args.epochs is not None:
        o['train_cfg.max_epochs'] = args.epochs
        o['param_scheduler.0.T_max'] = args.epochs
        o['param_scheduler.0.end'] = args.epochs
    if args_images is not None:
        key = ('train_dataloader.dataset.dataset.num_images' if mode == 'ccrop' else
               'train_dataloader.dataset.num_images')
        o[key] = args_images
    return o


def _scalars(work_dir: str) -> List[dict]:
    """Every record of the LocalVisBackend's scalars.json of the latest run."""
    runs = sorted(d for d in os.listdir(work_dir) if osp.isdir(osp.join(work_dir, d, 'vis_data')))
    if not runs:
        return []
    path = osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def final_knn_only(cfg) -> None:
    """Make the config's KNNEvalHook evaluate after the last epoch only.

    The demo reports the final kNN top-1 (the hook always evaluates after the
    last epoch); each pass in between costs about 10 s of the 15-minute budget.
    """
    for hook in cfg.custom_hooks:
        if hook['type'] in ('KNNEvalHook', 'mmccrop.KNNEvalHook'):
            hook['interval'] = cfg.train_cfg.max_epochs


def pretrain(args: argparse.Namespace, mode: str, seed: int) -> Dict:
    """Train one configuration; return its figures."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmccrop.engine.hooks import KNNEvalHook

    cfg = Config.fromfile(CONFIGS[mode])
    cfg.merge_from_dict(_overrides(args, mode, seed))
    if not args.smoke:
        final_knn_only(cfg)
    cfg.work_dir = osp.join(args.work_dir, f'{mode}_seed{seed}')
    cfg.experiment_name = f'demo_{mode}_seed{seed}'
    # Visualizers are process-wide singletons keyed by name: a second Runner
    # would otherwise write its scalars into the first run's folder.
    cfg.visualizer.name = f'visualizer_{mode}_seed{seed}'
    print(f'\n=== [{mode} seed {seed}] pretraining {cfg.train_cfg.max_epochs} epochs '
          f'-> {cfg.work_dir}', flush=True)
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    minutes = (time.perf_counter() - start) / 60
    knn = next(h for h in runner.hooks if isinstance(h, KNNEvalHook))
    records = _scalars(cfg.work_dir)
    # BoxRefreshHook writes one record per refresh; LoggerHook repeats the
    # latest values in its own records (those carry 'lr'): keep the former.
    boxes = [r for r in records if 'ccrop/box_miou' in r and 'lr' not in r]
    losses = [(r['step'], r['loss']) for r in records if 'loss' in r]
    return dict(mode=mode, seed=seed, minutes=minutes, work_dir=cfg.work_dir,
                knn=dict(knn.history), knn_final=knn.history[max(knn.history)],
                knn_queries=knn.num_queries,
                boxes=boxes, losses=losses,
                checkpoint=osp.join(cfg.work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth'))


def _exported_spec(cfg) -> SyntheticSpec:
    """The SyntheticSpec of a demo pretraining config's training data."""
    from mmccrop.functional.synthetic import SyntheticSpec
    ds = cfg.train_dataloader.dataset
    ds = ds.get('dataset', ds)  # BoxedDataset wraps the SyntheticObjects of -ccrop
    keys = ('img_size', 'num_classes', 'scale_range', 'clutter', 'seed')
    return SyntheticSpec(**{k: tuple(ds[k]) if k == 'scale_range' else ds[k]
                            for k in keys if k in ds})


def transfer(args: argparse.Namespace, ccrop: Dict) -> Dict:
    """Step 4: convert the ccrop checkpoint, fine-tune and evaluate Mask R-CNN and FCN.

    The data are the pretraining data's generator exported as COCO and VOC
    (train split for fine-tuning, the held-out val split for evaluation).
    """
    import subprocess

    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmengine.utils import ProgressBar

    from mmccrop.datasets.synthetic_export import export

    out = osp.join(args.work_dir, 'transfer')
    start = time.perf_counter()
    n_train, n_val = (16, 8) if args.smoke else (args.transfer_train, args.transfer_val)
    spec = _exported_spec(Config.fromfile(CONFIGS['ccrop']))
    print(f'\n=== [transfer] exporting {n_train} + {n_val} images as COCO and VOC '
          f'-> {out}/data', flush=True)
    bar = ProgressBar(n_train + n_val)
    roots = export(osp.join(out, 'data'), spec, {'train': n_train, 'val': n_val},
                   ['coco', 'voc'], progress=bar.update)
    print(flush=True)

    backbone = osp.join(out, 'backbone_ccrop.pth')
    print(f'=== [transfer] converting {ccrop["checkpoint"]} -> {backbone}', flush=True)
    # --force: a re-run replaces the backbone it converted before.
    done = subprocess.run([sys.executable, TOOLS['convert'], ccrop['checkpoint'], backbone,
                           '--force'],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'converting {ccrop["checkpoint"]} failed:\n{done.stderr[-2000:]}')
    print(done.stdout.strip(), flush=True)

    figures: Dict = {}
    coco = roots['coco']
    val_ann = osp.join(coco, 'annotations', 'instances_val2017.json')
    det_opts = {
        'model.backbone.init_cfg.checkpoint': backbone,
        'val_evaluator.ann_file': val_ann, 'test_evaluator.ann_file': val_ann}
    for split in ('train', 'val', 'test'):
        det_opts[f'{split}_dataloader.dataset.data_root'] = coco + os.sep
    seg_opts = {'model.backbone.init_cfg.checkpoint': backbone}
    for split in ('train', 'val', 'test'):
        seg_opts[f'{split}_dataloader.dataset.data_root'] = roots['voc']
    if args.smoke:
        det_opts['train_cfg.max_epochs'] = 1
        seg_opts.update({'train_cfg.max_iters': 2, 'param_scheduler.0.end': 2})
        for opts in (det_opts, seg_opts):
            for split in ('train', 'val', 'test'):
                opts.update({f'{split}_dataloader.num_workers': 0,
                             f'{split}_dataloader.persistent_workers': False})

    for task, opts in (('det', det_opts), ('seg', seg_opts)):
        cfg = Config.fromfile(CONFIGS[task])
        cfg.merge_from_dict(opts)
        # Evaluate once, after training (the configs validate at their last
        # epoch / iteration; here runner.val() returns the figures).
        last = cfg.train_cfg.get('max_epochs', cfg.train_cfg.get('max_iters'))
        cfg.train_cfg.val_begin = last + 1
        cfg.work_dir = osp.join(out, task)
        cfg.experiment_name = f'demo_transfer_{task}'
        cfg.visualizer.name = f'visualizer_transfer_{task}'
        cfg.default_hooks.checkpoint = None  # the demo keeps no fine-tuned weights
        name = 'Mask R-CNN R18-FPN' if task == 'det' else 'FCN R18-D8'
        print(f'\n=== [transfer] {name} from the ccrop backbone -> {cfg.work_dir}', flush=True)
        t0 = time.perf_counter()
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.val()
        figures[task] = dict(metrics, minutes=(time.perf_counter() - t0) / 60)
    figures['minutes'] = (time.perf_counter() - start) / 60
    return figures


def plot(results: List[Dict], out_dir: str) -> List[str]:
    """Loss curves and box-IoU curves as PNGs; returns the file names."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    written = []
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for r in results:
        if r['losses']:
            steps, values = zip(*r['losses'])
            ax.plot(steps, values, label=f"{r['mode']} seed {r['seed']}")
    ax.set_xlabel('iteration')
    ax.set_ylabel('InfoNCE loss')
    ax.set_title('Pretraining loss')
    ax.legend()
    fig.tight_layout()
    fig.savefig(osp.join(out_dir, 'loss_curves.png'), dpi=120)
    plt.close(fig)
    written.append('loss_curves.png')

    ccrop = [r for r in results if r['boxes']]
    if ccrop:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for r in ccrop:
            steps = [b['step'] for b in r['boxes']]
            ax.plot(steps, [b['ccrop/box_miou'] for b in r['boxes']], 'o-',
                    label=f"refreshed boxes, seed {r['seed']}")
            ax.plot(steps, [b['ccrop/box_miou_full'] for b in r['boxes']], 'k--',
                    label='full-image box' if r is ccrop[0] else None)
        ax.set_xlabel('iteration')
        ax.set_ylabel('mean IoU with true boxes')
        ax.set_ylim(0, 1)
        ax.set_title('Box quality after each refresh')
        ax.legend()
        fig.tight_layout()
        fig.savefig(osp.join(out_dir, 'box_quality.png'), dpi=120)
        plt.close(fig)
        written.append('box_quality.png')
    return written


def pictures_of_boxes_and_crops(args: argparse.Namespace, ccrop: Dict, out_dir: str
                                ) -> List[str]:
    """Box grid (heatmap, refreshed box, true box) and crop pairs, via the analysis tools."""
    import subprocess

    import cv2
    import torch

    from mmccrop.datasets import SyntheticObjects
    written = []
    cmd = [sys.executable, osp.join(ROOT, 'tools/analysis/visualize_boxes.py'), CONFIGS['ccrop'],
           '--checkpoint', ccrop['checkpoint'], '--num', '8', '--out',
           osp.join(out_dir, 'box_grid.png'), '--cfg-options',
           *[f'{k}={v}' for k, v in _overrides(args, 'ccrop', ccrop['seed']).items()]]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode == 0:
        written.append('box_grid.png')
    else:
        print(f'warning: the box grid failed:\n{done.stderr[-2000:]}', flush=True)
    # Crop pairs on one training image, inside the box the run ended with.
    ckpt = torch.load(ccrop['checkpoint'], map_location='cpu', weights_only=True)
    boxes = ckpt.get('ccrop_boxes', {}).get('boxes')
    if boxes is not None:
        ds = SyntheticObjects(num_images=1, img_size=64, num_classes=10, seed=ccrop['seed'])
        img = cv2.resize(ds.get_data_info(0)['img'], (256, 256), interpolation=cv2.INTER_NEAREST)
        sample = osp.join(out_dir, 'sample_0.png')
        cv2.imwrite(sample, img)
        cmd = [sys.executable, osp.join(ROOT, 'tools/analysis/visualize_crops.py'), sample,
               '--box', *[f'{v:.4f}' for v in boxes[0].tolist()], '--alpha', '0.6',
               '--num-pairs', '4', '--out', osp.join(out_dir, 'crop_pairs.png')]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode == 0:
            written.append('crop_pairs.png')
        else:
            print(f'warning: the crop pairs failed:\n{done.stderr[-2000:]}', flush=True)
    return written


def transfer_table(figures: Optional[Dict]) -> str:
    """Markdown table of the detection / segmentation figures (empty if skipped)."""
    if not figures:
        return ''

    def pct(metrics: Dict, key: str) -> str:
        value = metrics.get(key)
        return '-' if value is None or value < 0 else f'{100 * value:.1f}'

    det, seg = figures['det'], figures['seg']
    return '\n'.join([
        '| transfer (ccrop backbone) | minutes | bbox AP | bbox AP50 | segm AP | mIoU (%) | '
        'aAcc (%) |', '|---|---|---|---|---|---|---|',
        f"| Mask R-CNN R18-FPN, COCO layout | {det['minutes']:.1f} | "
        f"{pct(det, 'coco/bbox_mAP')} | {pct(det, 'coco/bbox_mAP_50')} | "
        f"{pct(det, 'coco/segm_mAP')} | - | - |",
        f"| FCN R18-D8, VOC layout | {seg['minutes']:.1f} | - | - | - | "
        f"{seg.get('mIoU', float('nan')):.1f} | {seg.get('aAcc', float('nan')):.1f} |"])


def knn_comparison(results: List[Dict]) -> str:
    """One paragraph: ccrop's kNN minus rcrop's per seed, with the noise to judge it by.

    A single 500-query kNN figure moves by about 2 points from sampling alone,
    so a one-seed difference of a point says nothing; several seeds give a
    paired estimate.  Returns '' when no seed has both runs.
    """
    from mmccrop.functional.stats import accuracy_standard_error, paired_difference
    runs = {(r['mode'], r['seed']): r for r in results}
    seeds = sorted(s for m, s in runs if m == 'ccrop' and ('rcrop', s) in runs)
    if not seeds:
        return ''
    base = [runs['rcrop', s]['knn_final'] for s in seeds]
    treat = [runs['ccrop', s]['knn_final'] for s in seeds]
    mean, se = paired_difference(base, treat)
    text = 'kNN top-1, ccrop - rcrop: ' + ', '.join(
        f'{t - b:+.2f} (seed {s})' for s, b, t in zip(seeds, base, treat)) + ' points'
    if len(seeds) > 1:
        text += f'; mean {mean:+.2f}, paired standard error {se:.2f} over {len(seeds)} seeds'
    queries = runs['rcrop', seeds[0]].get('knn_queries')
    if queries:
        noise = accuracy_standard_error(sum(base + treat) / (2 * len(seeds)), queries)
        text += (f'. One kNN figure on {queries} queries has a sampling standard error of '
                 f'about {noise:.1f} points')
        if len(seeds) == 1:
            text += '; run several seeds (--seeds 0 1 2 ...) for a paired estimate'
    return text + '.'


def report(results: List[Dict], out_dir: str, pictures: List[str],
           figures: Optional[Dict] = None) -> str:
    """Write report.md and return the summary tables (markdown)."""
    rows = ['| run | seed | minutes | kNN top-1 (%) | box mIoU (last refresh) | '
            'full-box mIoU |', '|---|---|---|---|---|---|']
    for r in results:
        last = r['boxes'][-1] if r['boxes'] else None
        rows.append(f"| {r['mode']} | {r['seed']} | {r['minutes']:.1f} | {r['knn_final']:.2f} | "
                    + (f"{last['ccrop/box_miou']:.3f} | {last['ccrop/box_miou_full']:.3f} |"
                       if last else '- | - |'))
    table = '\n'.join(rows)
    comparison = knn_comparison(results)
    if comparison:
        table += '\n\n' + comparison
    if figures:
        table += '\n\n' + transfer_table(figures)
    lines = ['# mmccrop demo report', '',
             'MoCo v2, ResNet-18 at 64 px, on the embedded SyntheticObjects data '
             '(configs/demo/). rcrop = RandomResizedCrop, ccrop = ContrastiveCrop.', '',
             table, '']
    for r in results:
        if r['boxes']:
            lines.append(f"Box refreshes ({r['mode']}, seed {r['seed']}):")
            lines.append('')
            lines.append('| iteration | mIoU with true boxes | full-image box | mean area | '
                         'full boxes |')
            lines.append('|---|---|---|---|---|')
            for b in r['boxes']:
                lines.append(f"| {b['step']} | {b['ccrop/box_miou']:.3f} | "
                             f"{b['ccrop/box_miou_full']:.3f} | {b['ccrop/box_mean_area']:.3f} | "
                             f"{100 * b['ccrop/box_full_frac']:.1f}% |")
            lines.append('')
    lines += [f'![{p}]({p})' for p in pictures]
    lines += ['', 'Transfer: ' + ('the last ccrop checkpoint, converted with '
                                  'tools/model_converters/extract_backbone.py and fine-tuned '
                                  'with configs/demo/mask-rcnn_* and configs/demo/fcn_* on the '
                                  'exported train split; evaluated on the held-out val split.'
                                  if figures else 'skipped (--skip-transfer).'), '']
    from mmccrop.utils import atomic_write

    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            f.write('\n'.join(lines))

    atomic_write(osp.join(out_dir, 'report.md'), write)
    return table


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import mmccrop  # noqa: F401
    from mmccrop.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.perf_counter()
    results = []
    steps = [(m, s) for s in args.seeds for m in ('rcrop', 'ccrop')]
    for i, (mode, seed) in enumerate(steps, 1):
        print(f'\n##### demo step {i}/{len(steps)}: {mode}, seed {seed} '
              f'(elapsed {(time.perf_counter() - start) / 60:.1f} min)', flush=True)
        results.append(pretrain(args, mode, seed))
        r = results[-1]
        for b in r['boxes']:
            print(f"[{mode} seed {seed}] boxes at iter {b['step']}: mIoU with true boxes "
                  f"{b['ccrop/box_miou']:.3f} vs full-image box {b['ccrop/box_miou_full']:.3f}")
        print(f'[{mode} seed {seed}] kNN top-1 {r["knn_final"]:.2f}%')
    pictures = plot(results, args.work_dir)
    last_ccrop = [r for r in results if r['mode'] == 'ccrop'][-1]
    print('\n##### pictures: box grid and crop pairs', flush=True)
    pictures += pictures_of_boxes_and_crops(args, last_ccrop, args.work_dir)
    figures = None
    if not args.skip_transfer:
        print(f'\n##### transfer: detection and segmentation from the ccrop backbone '
              f'(elapsed {(time.perf_counter() - start) / 60:.1f} min)', flush=True)
        figures = transfer(args, last_ccrop)
    table = report(results, args.work_dir, pictures, figures)
    print(f'\n{table}\n\nreport: {osp.join(args.work_dir, "report.md")} '
          f'(total {(time.perf_counter() - start) / 60:.1f} min)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
