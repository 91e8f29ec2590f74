"""How well do ViT patch-token heatmaps localise? A tiny SNCLR ViT on the synthetic data.

Builds the SNCLR ViT-S ContrastiveCrop config with only sizes changed (a
tiny ``MoCoV3ViT``: 64 px images, 8 px patches, so an 8x8 patch grid; small
MLPs and bank), on the embedded ``SyntheticObjects`` data (one object per
cluttered image, with its true box), and pretrains it for a few epochs on
CPU with random crops, as the warm-up before the first box refresh does.
Then it localises every training image as ``BoxRefreshHook`` would (patch
tokens -> grid -> heatmap -> box), with the random-init model and with the
pretrained one, and prints the mean IoU of the boxes with the true boxes for
each threshold, heatmap background, box rule and grid alignment, next to
the full-image box's.  This produced the table in ``docs/vit.md``.

Example (about 4 minutes on 2 CPU cores)::

    python tools/analysis/vit_box_quality.py --work-dir work_dirs/vit_box_quality \\
        --json work_dirs/vit_box_quality/table.json
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Sequence

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from box_quality import feature_maps, score  # noqa: E402

from mmccrop.functional.localization import FULL_BOX, box_iou  # noqa: E402
from mmccrop.registry import DATASETS, MODELS  # noqa: E402
from mmccrop.utils import atomic_write_text, register_all_modules  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/selfsup/snclr/'
                  'snclr_vit-small-p16_32xb128-amp-coslr-300e_in1k-ccrop.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/vit_box_quality')
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--num-images', type=int, default=1000)
    parser.add_argument('--img-size', type=int, default=64)
    parser.add_argument('--patch-size', type=int, default=8)
    parser.add_argument('--eval-sizes', type=int, nargs='+', default=[64, 128])
    parser.add_argument('--thresholds', type=float, nargs='+', default=[0.1, 0.3, 0.5, 0.7])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', default=None, help='also write the table as JSON here')
    args = parser.parse_args(argv)
    if any(not 0 < k < 1 for k in args.thresholds):
        parser.error(f'--thresholds must lie in (0, 1), got {args.thresholds}')
    if args.img_size % args.patch_size:
        parser.error(f'--img-size {args.img_size} is not a multiple of --patch-size '
                     f'{args.patch_size}')
    return args


def tiny_config(args) -> Config:
    """The shipped ViT-S ccrop config with sizes, data and CPU settings replaced."""
    cfg = Config.fromfile(CONFIG)
    size, dims = args.img_size, 64
    cfg.model.backbone.update(
        arch=dict(embed_dims=dims, num_layers=3, num_heads=4, feedforward_channels=4 * dims),
        img_size=size, patch_size=args.patch_size)
    cfg.model.neck.update(in_channels=dims, hid_channels=256, out_channels=64,
                          norm_cfg=dict(type='BN1d'))
    cfg.model.predictor.update(in_channels=64, hid_channels=256, out_channels=64,
                               norm_cfg=dict(type='BN1d'))
    cfg.model.update(feat_dim=64, bank_size=1024, topk=5)
    for view in cfg.train_pipeline[1].transforms:
        view[0].update(type='RandomResizedCrop', size=size)
        view[0].pop('alpha', None)
    cfg.train_pipeline = cfg.train_pipeline[1:]  # images are in memory
    data = dict(type='SyntheticObjects', num_images=args.num_images, img_size=size,
                clutter=0.5, seed=args.seed, split='train')
    cfg.train_dataloader.update(batch_size=64, num_workers=2, persistent_workers=True,
                                pin_memory=False, collate_fn=dict(type='default_collate'))
    cfg.train_dataloader.dataset.dataset = dict(data, pipeline=cfg.train_pipeline)
    cfg.optim_wrapper = dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05))
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=1e-2, by_epoch=True, begin=0, end=1,
             convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', T_max=max(args.epochs - 1, 1), by_epoch=True, begin=1,
             end=max(args.epochs, 2), convert_to_iter_based=True)]
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=args.epochs)
    cfg.custom_hooks = []  # the warm-up: random crops, no refresh
    cfg.default_hooks.logger.interval = 5
    cfg.default_hooks.checkpoint = dict(type='AtomicCheckpointHook', interval=args.epochs)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.randomness = dict(seed=args.seed)
    cfg.log_level = 'WARNING'  # the stages and figures are printed here
    cfg.auto_scale_lr = dict(base_batch_size=64, enable=False)
    cfg.work_dir = args.work_dir
    return cfg


def measure(model, dataset, gt: torch.Tensor, args, stage: str) -> List[Dict]:
    rows = []
    model.eval()  # the runner leaves it in training mode
    for side in args.eval_sizes:
        print(f'{stage}: patch-token maps at {side}x{side} for {len(dataset)} images',
              flush=True)
        feats = feature_maps(model, dataset, range(len(dataset)), (side, side), batch_size=128)
        for row in score(feats, gt, args.thresholds, (side, side), ('centre', 'corner'),
                         ('none', 'median'), ('all', 'peak')):
            rows.append(dict(row, model=stage, grid=feats.shape[-1]))
    return rows


def print_table(rows: Sequence[Dict], baseline: float, thresholds: Sequence[float]) -> None:
    print(f'\nfull-image box: mean IoU {baseline:.3f} with the true boxes')
    keys = sorted({(r['model'], r['eval_size'], r['grid'], r['background'], r['region'],
                    r['align']) for r in rows},
                  key=lambda k: (k[0] != 'init', k[1], k[3], k[4], k[5]))
    print('| model | eval size (grid) | background | region | align | '
          + ' | '.join(f'k={k:g}' for k in thresholds) + ' |')
    print('|---|---|---|---|---|' + '---|' * len(thresholds))
    for key in keys:
        cells = []
        for k in thresholds:
            r = next(r for r in rows if (r['model'], r['eval_size'], r['grid'], r['background'],
                                         r['region'], r['align']) == key
                     and r['threshold'] == k)
            cells.append(f"{r['miou']:.3f} ({100 * r['full_frac']:.0f}%)")
        model, side, grid, background, region, align = key
        print(f'| {model} | {side} ({grid}x{grid}) | {background} | {region} | {align} | '
              + ' | '.join(cells) + ' |')
    print('(mean IoU with the true boxes; in brackets the share of full-image boxes)')


def main(argv=None) -> int:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    torch.manual_seed(args.seed)
    cfg = tiny_config(args)
    os.makedirs(args.work_dir, exist_ok=True)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    gt = dataset.gt_boxes()
    baseline = float(box_iou(torch.tensor(FULL_BOX).expand_as(gt), gt).mean())

    print(f'[1/3] random-init tiny MoCoV3ViT ({args.img_size} px, {args.patch_size} px '
          'patches)', flush=True)
    MMLogger.get_instance('vit_box_quality', log_level='WARNING')  # quiet init_weights
    model = MODELS.build(cfg.model)
    model.init_weights()  # as the runner does
    rows = measure(model, dataset, gt, args, 'init')

    print(f'[2/3] pretraining {args.epochs} epochs on {args.num_images} images '
          f'(log in {args.work_dir})', flush=True)
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss')
    print(f'trained in {time.perf_counter() - start:.0f}s; loss of the first / last 5 steps '
          f'{loss.data[0][:5].mean():.3f} / {loss.mean(5):.3f}', flush=True)

    print('[3/3] localising with the pretrained model', flush=True)
    rows += measure(runner.model, dataset, gt, args,
                    f'{args.epochs} epoch' + ('s' if args.epochs != 1 else ''))
    print_table(rows, baseline, args.thresholds)
    if args.json:
        atomic_write_text(args.json, json.dumps(
            dict(baseline=baseline, args=vars(args), rows=rows), indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
