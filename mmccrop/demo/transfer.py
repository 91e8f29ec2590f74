"""The demo's transfer stages: export the data, convert the backbone, fine-tune.

The data are the pretraining data's generator exported as COCO and VOC (the
train split to fine-tune on, the held-out val split to evaluate on).  The
converted ccrop backbone is fine-tuned in Mask R-CNN R18-FPN and FCN R18-D8;
Mask R-CNN is also fine-tuned from a random initialisation with the same
schedule and seed, the baseline that says what the pretraining adds.
"""
from __future__ import annotations

import os
import os.path as osp
import re
import sys
import time
from typing import Dict

from .console import Console, stage_output
from .figures import run_tool
from .report import pct
from .settings import CONFIGS, INITS, TOOLS, DemoOptions, exported_spec

TASK_NAMES = {'det': 'Mask R-CNN R18-FPN', 'seg': 'FCN R18-D8'}


def transfer_dir(opts: DemoOptions) -> str:
    return osp.join(opts.work_dir, 'transfer')


def prepare(opts: DemoOptions, ccrop: Dict, console: Console) -> Dict:
    """Export the COCO / VOC data and convert the ccrop checkpoint (one stage line).

    Returns:
        ``roots`` (format -> data root), ``backbone`` (the converted file),
        ``train`` and ``val`` (image counts) and ``log``.
    """
    from mmengine.config import Config

    from mmccrop.datasets.synthetic_export import export

    out = transfer_dir(opts)
    log = osp.join(out, 'prepare.log')
    n_train, n_val = (16, 8) if opts.smoke else (opts.transfer_train, opts.transfer_val)
    line = console.stage('transfer data and backbone')
    line.update(done=0, total=n_train + n_val, unit='images', note='exporting COCO and VOC')
    backbone = osp.join(out, 'backbone_ccrop.pth')
    with stage_output(line, log, opts.verbose):
        spec = exported_spec(Config.fromfile(CONFIGS['ccrop']))
        done = [0]

        def progress(n: int = 1) -> None:
            done[0] += n
            line.update(done=done[0])

        roots = export(osp.join(out, 'data'), spec, {'train': n_train, 'val': n_val},
                       ['coco', 'voc'], progress=progress)
        line.update(note='converting the ccrop checkpoint', force=True)
        cmd = [sys.executable, TOOLS['convert'], ccrop['checkpoint'], backbone, '--force']
        run = run_tool(cmd)
        if run.returncode != 0:
            raise RuntimeError(f'converting {ccrop["checkpoint"]} failed:\n'
                               f'{run.stderr[-2000:]}')
    found = re.search(r'source: (\S+)', run.stdout)  # the layout the converter recognised
    line.finish(f'{n_train} + {n_val} images as COCO and VOC; ccrop seed {ccrop["seed"]} '
                'backbone converted' + (f' (source: {found.group(1)})' if found else ''))
    return dict(roots=roots, backbone=backbone, train=n_train, val=n_val, log=log)


def task_overrides(opts: DemoOptions, task: str, data: Dict, init: str, seed: int) -> Dict:
    """Config overrides of one fine-tuning run."""
    if task not in TASK_NAMES:
        raise ValueError(f'task must be one of {tuple(TASK_NAMES)}, got {task!r}')
    if init not in INITS:
        raise ValueError(f"init must be {' or '.join(map(repr, INITS))}, got {init!r}")
    o: Dict = {'randomness.seed': seed}
    if init == 'ccrop':
        o['model.backbone.init_cfg.checkpoint'] = data['backbone']
    else:
        o['model.backbone.init_cfg'] = None  # the model's own random initialisation
    root = data['roots']['coco' if task == 'det' else 'voc']
    for split in ('train', 'val', 'test'):
        o[f'{split}_dataloader.dataset.data_root'] = root + os.sep if task == 'det' else root
    if task == 'det':
        val_ann = osp.join(root, 'annotations', 'instances_val2017.json')
        o.update({'val_evaluator.ann_file': val_ann, 'test_evaluator.ann_file': val_ann})
    if opts.smoke:
        if task == 'det':
            o['train_cfg.max_epochs'] = 1
        else:
            o.update({'train_cfg.max_iters': 2, 'param_scheduler.0.end': 2})
        for split in ('train', 'val', 'test'):
            o.update({f'{split}_dataloader.num_workers': 0,
                      f'{split}_dataloader.persistent_workers': False})
    return o


def fine_tune(opts: DemoOptions, task: str, init: str, data: Dict, seed: int,
              console: Console) -> Dict:
    """Fine-tune and evaluate one task from one initialisation (one stage line).

    Returns:
        The evaluation metrics (``coco/bbox_mAP`` ..., or ``mIoU`` / ``aAcc``),
        ``minutes``, ``init`` and ``log``.
    """
    from mmengine.config import Config
    from mmengine.runner import Runner

    from .progress_hook import StageProgressHook

    name = task if init == 'ccrop' else f'{task}_{init}'
    work_dir = osp.join(transfer_dir(opts), name)
    log = osp.join(work_dir, 'console.log')
    source = 'the ccrop backbone' if init == 'ccrop' else 'random init (baseline)'
    line = console.stage(f'{TASK_NAMES[task]} from {source}')
    start = time.perf_counter()
    # Reading the config imports mmdet / mmseg: their warnings go to the log too.
    with stage_output(line, log, opts.verbose):
        cfg = Config.fromfile(CONFIGS[task])
        cfg.merge_from_dict(task_overrides(opts, task, data, init, seed))
        # Evaluate once, after training (the configs validate at their last
        # epoch / iteration; here runner.val() returns the figures).
        last = cfg.train_cfg.get('max_epochs', cfg.train_cfg.get('max_iters'))
        cfg.train_cfg.val_begin = last + 1
        cfg.work_dir = work_dir
        cfg.experiment_name = f'demo_transfer_{name}'
        cfg.visualizer.name = f'visualizer_transfer_{name}'
        cfg.default_hooks.checkpoint = None  # the demo keeps no fine-tuned weights
        runner = Runner.from_cfg(cfg)
        runner.register_hook(StageProgressHook(line))
        runner.train()
        metrics = runner.val()
    result = dict(metrics, minutes=(time.perf_counter() - start) / 60, init=init, log=log)
    line.finish(task_summary(task, result))
    return result


def task_summary(task: str, m: Dict) -> str:
    """The stage line's figures of one fine-tuning run."""
    if task == 'det':
        return (f'bbox AP {pct(m, "coco/bbox_mAP")} (AP50 {pct(m, "coco/bbox_mAP_50")}), '
                f'segm AP {pct(m, "coco/segm_mAP")}')
    return f'mIoU {m.get("mIoU", float("nan")):.1f} %, aAcc {m.get("aAcc", float("nan")):.1f} %'
