"""The README's first command, `make demo`, at smoke size: run twice, quiet and --verbose.

The two runs check, between them: every stage and output file, the one-line-
per-stage screen under 100 lines, the full logs in the work dirs (and on
screen with --verbose), and that the same seed prints the same figures.
"""
import os.path as osp
import re
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGES = 8  # rcrop, ccrop, pair rates, pictures, transfer data, det, det baseline, seg
DURATION = re.compile(r'\d+ s\b|\d+\.\d min\b')


def _demo(work_dir, *extra):
    r = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'demo.py'), '--smoke',
                        '--work-dir', str(work_dir), *extra], capture_output=True, text=True,
                       timeout=900, cwd=ROOT)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return r.stdout.replace(str(work_dir), '<work_dir>')


def _without_times(lines):
    """The lines with durations and the tables' minutes columns blanked."""
    out, minutes = [], None
    for line in lines:
        line = DURATION.sub('<t>', line)
        if line.startswith('|'):
            cells = line.strip('|').split('|')
            if 'minutes' in [c.strip() for c in cells]:
                minutes = [c.strip() for c in cells].index('minutes')
            elif minutes is not None and not set(line) <= set('|-'):
                cells[minutes] = '<t>'
                line = '|' + '|'.join(cells) + '|'
        else:
            minutes = None
        out.append(line)
    return out


def _split(row):
    return [c.strip() for c in row.strip('|').split('|')]


def _cells(report, start):
    return _split(next(line for line in report.splitlines() if line.startswith(start)))


@pytest.mark.slow
def test_demo_smoke_prints_one_line_per_stage_and_the_same_figures_twice(tmp_path):
    out_dir = tmp_path / 'quiet'
    quiet = _demo(out_dir).splitlines()
    assert len(quiet) < 100, '\n'.join(quiet)
    stage_lines = [line for line in quiet if re.match(rf'\[\d/{STAGES}\] ', line)]
    assert [int(line[1]) for line in stage_lines] == list(range(1, STAGES + 1)), quiet
    assert not [line for line in quiet if 'mmengine' in line or 'Warning' in line], quiet
    assert 'kNN top-1, ccrop - rcrop:' in '\n'.join(quiet)

    # the Runners' full logs are in their work dirs
    for run in ('rcrop_seed0', 'ccrop_seed0', 'transfer/det', 'transfer/det_random',
                'transfer/seg'):
        log = (out_dir / run / 'console.log').read_text()
        assert 'mmengine - INFO' in log, run
    assert 'BoxRefreshHook: refreshed the boxes after epoch 1' in \
        (out_dir / 'ccrop_seed0' / 'console.log').read_text()
    assert 'source: mmccrop' in (out_dir / 'transfer' / 'prepare.log').read_text()

    report = (out_dir / 'report.md').read_text()
    runs = [line for line in report.splitlines() if line.startswith(('| rcrop | 0 |',
                                                                     '| ccrop | 0 |'))]
    assert len(runs) == 2, report
    ccrop = _cells(report, '| ccrop | 0 |')
    assert 0.0 <= float(ccrop[3]) <= 100.0
    assert 0.0 < float(ccrop[4]) <= 1.0 and 0.0 < float(ccrop[5]) <= 1.0
    assert 'Box refreshes (ccrop, seed 0)' in report and '| 1 |' in report  # after epoch 1
    assert 'queries has a sampling standard error' in report
    assert 'Why the loss first rises' in report
    # the false-positive pair rate of each crop law, from the pipeline as configured
    pairs = {c[0]: c for c in (_split(line) for line in report.splitlines() if '(SE ' in line)}
    assert list(pairs) == ['rcrop', 'ccrop, refreshed boxes (seed 0)',
                           'ccrop, true boxes (reference)'], report
    for cells in pairs.values():
        assert 0.0 <= float(cells[1].split()[0]) <= 100.0 and cells[3] == '16', cells
    for png in ('loss_curves.png', 'box_quality.png', 'box_grid.png', 'crop_pairs.png',
                'sample_0.png'):
        assert (out_dir / png).stat().st_size > 1000, png
    # step 4: the converted ccrop backbone and the random-init baseline, fine-tuned
    for start, init in (('| Mask R-CNN', 'ccrop'), ('| Mask R-CNN', 'random init (baseline)'),
                        ('| FCN', 'ccrop')):
        rows = [c for c in (line for line in report.splitlines() if line.startswith(start))
                if f'| {init} |' in c]
        assert len(rows) == 1, report
        cells = [c.strip() for c in rows[0].strip('|').split('|')]
        # bbox AP, AP50, segm AP, mIoU, aAcc: a number in [0, 100] or '-'
        for cell in cells[3:8]:
            assert cell == '-' or 0.0 <= float(cell) <= 100.0, rows
    assert (out_dir / 'transfer' / 'backbone_ccrop.pth').stat().st_size > 1000
    assert (out_dir / 'transfer' / 'data' / 'coco' / 'annotations' /
            'instances_val2017.json').is_file()

    # --verbose: the Runners' logs on screen, and the same figures as the quiet run
    verbose = _demo(tmp_path / 'verbose', '--verbose').splitlines()
    assert len(verbose) > 200 and any('mmengine - INFO' in line for line in verbose)
    assert not (tmp_path / 'verbose' / 'rcrop_seed0' / 'console.log').exists()
    verbose_lines = set(_without_times(verbose))
    for line in _without_times(stage_lines):
        head, tail = line.split(' ... ', 1)
        assert f'{head}: {tail}' in verbose_lines, line
    table = _without_times(quiet[quiet.index('') + 1:])
    assert table == _without_times(verbose[len(verbose) - len(table):])
