"""The demo from start to end: its stages in order, one screen line each."""
from __future__ import annotations

import os
import os.path as osp
import time
from typing import IO, Dict, List, Optional

from .console import Console, captured, duration, screen, stage_output
from .settings import DemoOptions, pretrain_config


def count_stages(opts: DemoOptions) -> int:
    """Two pretraining runs per seed, pair rates, pictures, and the transfer stages."""
    transfer = 0 if opts.skip_transfer else 3 + (opts.baseline == 'random')
    return 2 * len(opts.seeds) + 2 + transfer


def pair_rates(opts: DemoOptions, results: List[Dict], console: Console) -> List[Dict]:
    """The false-positive pair rate of rcrop, of each ccrop run's boxes, and of true boxes."""
    from .pair_rate import build_boxed_dataset, sample_pair_coverage, summarize

    seed = opts.seeds[0]
    ccrops = [r for r in results if r['mode'] == 'ccrop']
    jobs = [('rcrop', 'rcrop', 'rcrop', 'config', None)]
    jobs += [(f'ccrop, refreshed boxes (seed {r["seed"]})', f'ccrop (seed {r["seed"]})', 'ccrop',
              'stored', r['checkpoint']) for r in ccrops]
    jobs.append(('ccrop, true boxes (reference)', 'true boxes', 'ccrop', 'true', None))
    log = osp.join(opts.work_dir, 'pair_rate.log')
    line = console.stage('false-positive pairs (a view holds < half of the object)')
    rates = []
    with stage_output(line, log, opts.verbose):
        for k, (label, short, mode, boxes, checkpoint) in enumerate(jobs, 1):
            line.update(done=0, total=0, note=f'{label} ({k}/{len(jobs)})', force=True)
            dataset = build_boxed_dataset(pretrain_config(opts, mode, seed), boxes, checkpoint)
            cov = sample_pair_coverage(
                dataset, seed=seed,
                progress=lambda done, total: line.update(done=done, total=total, unit='pairs'))
            rates.append(dict(summarize(cov), label=label, short=short))
            print(f'{label}: {rates[-1]}', flush=True)
    line.finish(', '.join(f'{r["short"]} {r["rate"]:.1f} %' for r in rates)
                + f' ({rates[0]["pairs"]} pairs each)')
    return rates


def pictures(opts: DemoOptions, results: List[Dict], console: Console) -> List[str]:
    """Loss curves, box quality, box grid and crop pairs (PNGs in the work dir)."""
    from .figures import box_grid, crop_pairs, plot

    log = osp.join(opts.work_dir, 'pictures.log')
    line = console.stage('pictures')
    last_ccrop = [r for r in results if r['mode'] == 'ccrop'][-1]
    with stage_output(line, log, opts.verbose):
        written = plot(results, opts.work_dir)
        line.update(note='box grid', force=True)
        written.append(box_grid(opts, last_ccrop, opts.work_dir))
        line.update(note='crop pairs', force=True)
        written.append(crop_pairs(opts, last_ccrop, opts.work_dir))
    failed = written.count(None)
    written = [p for p in written if p]
    line.finish(', '.join(written) + (f'; {failed} failed, see {log}' if failed else ''))
    return written


def run_demo(opts: DemoOptions, stream: Optional[IO[str]] = None) -> int:
    """Run every stage; print one line per stage, then the tables. Returns 0.

    Args:
        opts: The options.
        stream: Where the stage lines go (default: the screen as it is when
            the demo starts, even while a stage's output is captured).
    """
    os.makedirs(opts.work_dir, exist_ok=True)
    own = stream is None and not opts.verbose
    console = Console(screen() if own else stream, count_stages(opts), opts.verbose)
    try:
        # What a stage does not capture in its own log lands in demo.log.
        with captured(osp.join(opts.work_dir, 'demo.log'), enabled=not opts.verbose):
            _stages(opts, console)
    finally:
        if own:
            console.stream.close()
    return 0


def _stages(opts: DemoOptions, console: Console) -> None:
    from mmccrop.utils import register_all_modules

    from .pretrain import pretrain
    from .report import report
    from .transfer import fine_tune, prepare

    start = time.perf_counter()
    console.print(f'mmccrop demo: MoCo v2 ResNet-18 on SyntheticObjects (64 px), '
                  f'RandomResizedCrop (rcrop) vs ContrastiveCrop (ccrop), '
                  f'seed {" ".join(str(s) for s in opts.seeds)} -> {opts.work_dir}')
    if not opts.verbose:
        console.print("Each stage's full log goes to its folder (console.log, *.log); "
                      '--verbose shows them here.')
    register_all_modules(init_default_scope=False)
    results = [pretrain(opts, mode, seed, console)
               for seed in opts.seeds for mode in ('rcrop', 'ccrop')]
    rates = pair_rates(opts, results, console)
    written = pictures(opts, results, console)
    figures = None
    if not opts.skip_transfer:
        t0 = time.perf_counter()
        last_ccrop = [r for r in results if r['mode'] == 'ccrop'][-1]
        data = prepare(opts, last_ccrop, console)
        seed = last_ccrop['seed']
        figures = {'det': fine_tune(opts, 'det', 'ccrop', data, seed, console)}
        if opts.baseline == 'random':
            figures['det_random'] = fine_tune(opts, 'det', 'random', data, seed, console)
        figures['seg'] = fine_tune(opts, 'seg', 'ccrop', data, seed, console)
        figures['minutes'] = (time.perf_counter() - t0) / 60
    table = report(results, opts.work_dir, written, figures, rates)
    console.print()
    console.print(table)
    console.print()
    console.print(f'report: {osp.join(opts.work_dir, "report.md")} '
                  f'(total {duration(time.perf_counter() - start)})')
