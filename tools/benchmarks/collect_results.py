"""Collect the final metrics of several fine-tuning runs; mean, spread and paired difference.

Each RUN is the work dir of one run (it holds mmengine's ``<timestamp>/``
folders), or a folder of such work dirs, e.g. the ``seed<N>`` runs that
``SEEDS="0 1 2 3 4" bash tools/benchmarks/...`` writes. The last evaluation
of each run is read: the validation at the end of training
(``<timestamp>/vis_data/scalars.json``) or a later ``mim test``
(``<timestamp>/<timestamp>.json``), whichever is newer.

For each metric the tool prints every run, the mean and the standard
deviation of each group and, with ``--vs``, the difference of the first group
minus the second: paired over the seeds both groups ran (the between-seed
spread cancels), or, when they share no seeds, Welch's unpaired estimate;
with its standard error and 95 % interval. A difference whose interval
contains 0 is not distinguishable from run-to-run noise.

Figures are printed as the runs logged them: mmdet's AP in [0, 1]
(0.570 = 57.0 AP), mmseg's mIoU in percent.

Examples::

    # five seeds of one pretraining
    python tools/benchmarks/collect_results.py \\
        work_dirs/benchmarks/mmdetection/faster-rcnn_r50-c4_ms-24k_voc0712/ccrop-epoch_200-1a2b3c4d
    # ContrastiveCrop against random crops, same seeds
    python tools/benchmarks/collect_results.py WORK/ccrop-... --vs WORK/rcrop-... \\
        --metrics pascal_voc/mAP pascal_voc/AP50 pascal_voc/AP75 --out voc.json
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmccrop.functional.stats import (  # noqa: E402
    mean_std,
    paired_difference,
    t_critical_95,
    welch_difference,
)

TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')
SEED = re.compile(r'seed[_-]?(\d+)$')
NOT_METRICS = {'step', 'iter', 'epoch', 'time', 'data_time', 'memory', 'lr'}


class Run:
    """One fine-tuning run and the metrics of its last evaluation."""

    def __init__(self, path: str, metrics: Dict[str, float], source: str) -> None:
        self.path = path
        self.metrics = metrics
        self.source = source
        match = SEED.search(osp.basename(osp.normpath(path)))
        self.seed: Optional[int] = int(match.group(1)) if match else None


def _is_eval_record(record: dict) -> bool:
    return 'lr' not in record and not any(k.startswith('loss') for k in record)


def _metrics(record: dict) -> Dict[str, float]:
    return {k: float(v) for k, v in record.items()
            if k not in NOT_METRICS and isinstance(v, (int, float)) and not isinstance(v, bool)}


def last_evaluation(run_dir: str) -> Optional[Tuple[Dict[str, float], str]]:
    """The metrics of the newest evaluation under ``run_dir`` and where they were read."""
    stamps = sorted(d for d in os.listdir(run_dir)
                    if TIMESTAMP.match(d) and osp.isdir(osp.join(run_dir, d)))
    for stamp in reversed(stamps):
        test_file = osp.join(run_dir, stamp, f'{stamp}.json')
        if osp.isfile(test_file):
            with open(test_file) as f:
                record = json.load(f)
            if isinstance(record, dict) and _metrics(record):
                return _metrics(record), f'test {stamp}'
        scalars = osp.join(run_dir, stamp, 'vis_data', 'scalars.json')
        if osp.isfile(scalars):
            found = None
            with open(scalars) as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    record = json.loads(line)
                    if _is_eval_record(record) and _metrics(record):
                        found = record
            if found is not None:
                return _metrics(found), f"val {stamp} step {found.get('step', '?')}"
    return None


def find_runs(path: str) -> List[Run]:
    """``path`` itself if it is a run, else the runs directly inside it (sorted)."""
    if not osp.isdir(path):
        raise FileNotFoundError(f'not a directory: {path}')
    own = last_evaluation(path)
    if own is not None:
        return [Run(path, *own)]
    runs = []
    for sub in sorted(glob.glob(osp.join(path, '*', ''))):
        found = last_evaluation(sub)
        if found is not None:
            runs.append(Run(osp.normpath(sub), *found))
    if not runs:
        raise FileNotFoundError(
            f'no evaluation found under {path}: neither it nor its sub-folders hold '
            'mmengine logs (<timestamp>/vis_data/scalars.json) with validation or test '
            'metrics. Did the training reach its final evaluation?')
    return runs


def collect(paths: Sequence[str]) -> List[Run]:
    runs = [run for p in paths for run in find_runs(p)]
    seeds = [r.seed for r in runs if r.seed is not None]
    if len(seeds) != len(set(seeds)):
        raise ValueError(f'the same seed appears twice among {paths}: '
                         f'{sorted(r.path for r in runs)}')
    return runs


def _fmt(x: float) -> str:
    return 'n/a' if math.isnan(x) else f'{x:.4f}'


def compare(treatment: List[Run], baseline: List[Run], metric: str) -> Dict:
    """The difference treatment - baseline of one metric: paired over shared seeds if any."""
    t_by_seed = {r.seed: r for r in treatment if r.seed is not None}
    b_by_seed = {r.seed: r for r in baseline if r.seed is not None}
    shared = sorted(set(t_by_seed) & set(b_by_seed))
    if shared:
        diff, se = paired_difference([b_by_seed[s].metrics[metric] for s in shared],
                                     [t_by_seed[s].metrics[metric] for s in shared])
        kind, n, df = 'paired', len(shared), len(shared) - 1
    elif len(treatment) >= 2 and len(baseline) >= 2:
        diff, se, df = welch_difference([r.metrics[metric] for r in baseline],
                                        [r.metrics[metric] for r in treatment])
        kind, n = 'unpaired (Welch)', min(len(treatment), len(baseline))
    else:
        diff = treatment[0].metrics[metric] - baseline[0].metrics[metric]
        kind, n, se, df = 'single runs', 1, math.nan, 0
    half = t_critical_95(df) * se if df > 0 and not math.isnan(se) else math.nan
    return dict(kind=kind, runs=n, seeds=shared, difference=diff, se=se, df=df,
                ci95=[diff - half, diff + half])


def summarise(groups: List[Tuple[str, List[Run]]], metrics: Sequence[str]) -> Dict:
    for _, runs in groups:
        for run in runs:
            absent = [m for m in metrics if m not in run.metrics]
            if absent:
                raise KeyError(f'{run.path} ({run.source}) has no metric {absent}; '
                               f'it logged: {sorted(run.metrics)}')
    out = {}
    for metric in metrics:
        entry = {}
        for name, runs in groups:
            mean, std = mean_std([r.metrics[metric] for r in runs])
            entry[name] = dict(mean=mean, std=std, runs={r.path: r.metrics[metric] for r in runs})
        if len(groups) == 2:
            entry['difference'] = compare(groups[0][1], groups[1][1], metric)
        out[metric] = entry
    return out


def print_report(groups: List[Tuple[str, List[Run]]], summary: Dict) -> None:
    for name, runs in groups:
        print(f'{name}: {len(runs)} run(s)')
        for r in runs:
            print(f'  {r.path}  [{r.source}]')
    for metric, entry in summary.items():
        print(f'\n{metric}')
        for name, runs in groups:
            values = ', '.join(_fmt(r.metrics[metric]) for r in runs)
            g = entry[name]
            print(f'  {name}: mean {_fmt(g["mean"])}, std {_fmt(g["std"])} '
                  f'over {len(runs)} run(s)  [{values}]')
        d = entry.get('difference')
        if d:
            line = (f'  {groups[0][0]} - {groups[1][0]}: {d["difference"]:+.4f} '
                    f'({d["kind"]}, {d["runs"]} run(s)')
            if not math.isnan(d['se']):
                lo, hi = d['ci95']
                line += f', standard error {d["se"]:.4f}, 95% interval [{lo:+.4f}, {hi:+.4f}]'
                if lo <= 0 <= hi:
                    line += ': within run-to-run noise'
            else:
                line += ': no spread to judge it by; run several seeds'
            print(line + ')')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', help='work dirs of runs, or folders of them')
    parser.add_argument('--vs', nargs='+', default=None,
                        help='the runs to compare with (e.g. the baseline pretraining)')
    parser.add_argument('--name', default=None, help='label of the first group')
    parser.add_argument('--vs-name', default=None, help='label of the --vs group')
    parser.add_argument('--metrics', nargs='+', default=None,
                        help='metric keys as logged (default: every metric of the first run)')
    parser.add_argument('--out', default=None, help='also write the summary to this .json')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        default_name = 'runs' if args.vs is None else 'A'
        groups = [(args.name or default_name, collect(args.runs))]
        if args.vs:
            groups.append((args.vs_name or 'B', collect(args.vs)))
        metrics = args.metrics or sorted(groups[0][1][0].metrics)
        summary = summarise(groups, metrics)
    except (FileNotFoundError, KeyError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print_report(groups, summary)
    if args.out:
        from mmccrop.utils.fileio import atomic_dump
        atomic_dump(summary, args.out)
        print(f'\nsummary written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
