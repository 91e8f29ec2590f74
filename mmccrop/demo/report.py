"""The demo's figures as tables and sentences, and ``report.md``."""
from __future__ import annotations

import math
import os.path as osp
from typing import Dict, List, Optional

from mmccrop.utils import atomic_write_text

from .pair_rate import HOLD_THRESHOLD


def pct(metrics: Dict, key: str) -> str:
    """``metrics[key]``, a fraction, in percent; ``'-'`` when absent or negative
    (COCO's -1: nothing to evaluate)."""
    value = metrics.get(key)
    return '-' if value is None or value < 0 else f'{100 * value:.1f}'


def run_table(results: List[Dict]) -> str:
    """One row per pretraining run: time, kNN top-1 and the last refresh's boxes."""
    rows = ['| run | seed | minutes | kNN top-1 (%) | box mIoU (last refresh) | '
            'full-box mIoU |', '|---|---|---|---|---|---|']
    for r in results:
        last = r['boxes'][-1] if r['boxes'] else None
        rows.append(f"| {r['mode']} | {r['seed']} | {r['minutes']:.1f} | {r['knn_final']:.2f} | "
                    + (f"{last['ccrop/box_miou']:.3f} | {last['ccrop/box_miou_full']:.3f} |"
                       if last else '- | - |'))
    return '\n'.join(rows)


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


def pair_rate_table(rates: Optional[List[Dict]]) -> str:
    """The false-positive pair rate of each crop law (empty without rates)."""
    if not rates:
        return ''
    pct = f'{100 * HOLD_THRESHOLD:.0f} %'
    rows = [f'| training view pairs | false-positive pairs (%): a view holds < {pct} of the '
            'object | mean share of the object a view holds | pairs |', '|---|---|---|---|']
    for r in rates:
        rows.append(f"| {r['label']} | {r['rate']:.1f} (SE {r['se']:.1f}) | "
                    f"{r['mean_hold']:.2f} | {r['pairs']} |")
    return '\n'.join(rows)


def transfer_table(figures: Optional[Dict]) -> str:
    """Markdown table of the detection / segmentation figures (empty if skipped)."""
    if not figures:
        return ''

    def num(metrics: Dict, key: str) -> str:
        value = metrics.get(key)
        return '-' if value is None or math.isnan(value) else f'{value:.1f}'

    rows = ['| transfer | backbone | minutes | bbox AP | bbox AP50 | segm AP | mIoU (%) | '
            'aAcc (%) |', '|---|---|---|---|---|---|---|---|']
    for key, task, init in (('det', 'Mask R-CNN R18-FPN, COCO layout', 'ccrop'),
                            ('det_random', 'Mask R-CNN R18-FPN, COCO layout',
                             'random init (baseline)'),
                            ('seg', 'FCN R18-D8, VOC layout', 'ccrop')):
        m = figures.get(key)
        if m is None:
            continue
        if key.startswith('det'):
            cells = [pct(m, 'coco/bbox_mAP'), pct(m, 'coco/bbox_mAP_50'),
                     pct(m, 'coco/segm_mAP'), '-', '-']
        else:
            cells = ['-', '-', '-', num(m, 'mIoU'), num(m, 'aAcc')]
        rows.append(f"| {task} | {init} | {m['minutes']:.1f} | " + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def loss_note(results: List[Dict]) -> str:
    """Why the loss first rises: the queue fills with real keys (empty without losses)."""
    r = next((r for r in results if r.get('losses') and r.get('queue_len')), None)
    if r is None:
        return ''
    queue, batch = r['queue_len'], r['batch_size']
    steps, values = zip(*r['losses'])
    peak = max(range(len(values)), key=values.__getitem__)
    chance = math.log(1 + queue)
    return (f'Why the loss first rises ({r["mode"]}, seed {r["seed"]}: {values[0]:.2f} at '
            f'iteration {steps[0]}, {values[peak]:.2f} at iteration {steps[peak]}; each '
            'figure is the mean of the last 10 iterations). MoCo\'s queue starts as '
            f'{queue} random unit vectors, negatives that no real image resembles, so the '
            f'first losses are low. Each step replaces {batch} of them by real keys; after '
            f'{queue} / {batch} = {queue // batch} steps the queue holds only real keys, and '
            'the untrained encoder maps every image close to every other. The query can then '
            f'hardly tell its key from the {queue} negatives: the loss nears log(1 + {queue}) '
            f'= {chance:.2f}, the value for no discrimination at all. It falls from there as '
            'the encoder learns to tell the images apart.')


def summary(results: List[Dict], figures: Optional[Dict] = None,
            rates: Optional[List[Dict]] = None) -> str:
    """The tables and the comparison the demo prints at the end (markdown)."""
    parts = [run_table(results), knn_comparison(results), pair_rate_table(rates),
             transfer_table(figures)]
    return '\n\n'.join(p for p in parts if p)


def report(results: List[Dict], out_dir: str, pictures: List[str],
           figures: Optional[Dict] = None, rates: Optional[List[Dict]] = None) -> str:
    """Write ``report.md`` and return the summary tables (markdown)."""
    table = summary(results, figures, rates)
    lines = ['# mmccrop demo report', '',
             'MoCo v2, ResNet-18 at 64 px, on the embedded SyntheticObjects data '
             '(configs/demo/). rcrop = RandomResizedCrop, ccrop = ContrastiveCrop.', '',
             table, '']
    if rates:
        lines += ['False-positive pairs: the share of training view pairs in which one view '
                  'holds less than half of the object, where a view holds the share of the '
                  'true object box\'s area inside its crop. ContrastiveCrop\'s argument is '
                  'that random crops make such pairs and its boxes avoid them. The pairs are '
                  'drawn by the training pipeline as configured, one per training image: '
                  'rcrop with RandomResizedCrop, ccrop with the boxes stored in the run\'s '
                  'last checkpoint (those of its last refresh, used in its last epochs), and '
                  'ccrop with the true boxes as the reference. SE: binomial standard error.',
                  '']
    note = loss_note(results)
    if note:
        lines += [note, '']
    for r in results:
        if r['boxes']:
            lines += [f"Box refreshes ({r['mode']}, seed {r['seed']}):", '',
                      '| after epoch | mIoU with true boxes | full-image box | mean area | '
                      'full boxes |', '|---|---|---|---|---|']
            for b in r['boxes']:
                epoch = b.get('epoch', '-')
                lines.append(f"| {epoch} | {b['ccrop/box_miou']:.3f} | "
                             f"{b['ccrop/box_miou_full']:.3f} | {b['ccrop/box_mean_area']:.3f} | "
                             f"{100 * b['ccrop/box_full_frac']:.1f}% |")
            lines.append('')
    lines += [f'![{p}]({p})' for p in pictures]
    if figures:
        baseline = ('; Mask R-CNN also from a random initialisation with the same schedule and '
                    'seed, the baseline that shows what the pretraining adds'
                    if 'det_random' in figures else '')
        text = ('the last ccrop checkpoint, converted with '
                'tools/model_converters/extract_backbone.py and fine-tuned with '
                'configs/demo/mask-rcnn_* and configs/demo/fcn_* on the exported train split; '
                f'evaluated on the held-out val split{baseline}.')
    else:
        text = 'skipped (--skip-transfer).'
    lines += ['', 'Transfer: ' + text, '']
    atomic_write_text(osp.join(out_dir, 'report.md'), '\n'.join(lines))
    return table
