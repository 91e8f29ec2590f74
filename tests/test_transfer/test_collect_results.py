"""tools/benchmarks/collect_results.py and the statistics it rests on."""
from __future__ import annotations

import importlib.util
import json
import math
import os.path as osp
import statistics

import pytest

from mmccrop.functional.stats import mean_std, paired_difference, t_critical_95, welch_difference

from ._fixtures import ROOT

SPEC = importlib.util.spec_from_file_location(
    'collect_results', osp.join(ROOT, 'tools', 'benchmarks', 'collect_results.py'))
tool = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(tool)


def test_mean_std_is_the_sample_one():
    values = [57.0, 57.4, 56.8, 57.2, 57.1]
    mean, std = mean_std(values)
    assert mean == pytest.approx(statistics.mean(values))
    assert std == pytest.approx(statistics.stdev(values))
    assert math.isnan(mean_std([3.0])[1])
    with pytest.raises(ValueError, match='at least one'):
        mean_std([])


def test_welch_difference():
    base, treat = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0, 8.0]
    diff, se, df = welch_difference(base, treat)
    vb, vt = statistics.variance(base) / 3, statistics.variance(treat) / 4
    assert diff == pytest.approx(5.0 - 2.0)
    assert se == pytest.approx(math.sqrt(vb + vt))
    assert df == pytest.approx((vb + vt) ** 2 / (vb ** 2 / 2 + vt ** 2 / 3))
    assert welch_difference([1.0, 1.0], [2.0, 2.0]) == (1.0, 0.0, math.inf)
    with pytest.raises(ValueError, match='at least two'):
        welch_difference([1.0], [1.0, 2.0])


def test_t_critical_values():
    # Student's t, two-sided 95 %: tables and scipy.stats.t.ppf(0.975, df)
    for df, t in ((1, 12.706), (4, 2.776), (9, 2.262), (30, 2.042), (40, 2.0211),
                  (120, 1.9799)):
        assert t_critical_95(df) == pytest.approx(t, abs=2e-4)
    assert t_critical_95(4.7) == t_critical_95(4)  # rounded down: the wider interval
    assert t_critical_95(math.inf) == pytest.approx(1.96, abs=1e-3)
    with pytest.raises(ValueError, match='df'):
        t_critical_95(0)


def _run(root, name, final, stamp='20250101_120000', test=None):
    """A work dir with a validation mid-way, the final one, and optionally a later test."""
    logs = root / name / stamp / 'vis_data'
    logs.mkdir(parents=True)
    lines = [dict(lr=0.02, loss=1.5, loss_cls=0.5, step=50),
             {'pascal_voc/mAP': final - 0.1, 'pascal_voc/AP50': 0.7, 'data_time': 0.1,
              'time': 0.3, 'step': 4000},
             dict(lr=0.002, loss=0.5, step=23950),
             {'pascal_voc/mAP': final, 'pascal_voc/AP50': 0.8, 'data_time': 0.1,
              'time': 0.3, 'step': 24000}]
    (logs / 'scalars.json').write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    if test is not None:
        later = root / name / '20250102_090000'
        later.mkdir()
        (later / '20250102_090000.json').write_text(
            json.dumps({'pascal_voc/mAP': test, 'pascal_voc/AP50': 0.9, 'time': 0.2}))
    return root / name


def test_paired_comparison_over_shared_seeds(tmp_path, capsys):
    ccrop = [0.575, 0.571, 0.578, 0.570]
    rcrop = [0.572, 0.570, 0.574, 0.569, 0.560]
    for s, v in enumerate(ccrop):
        _run(tmp_path / 'ccrop', f'seed{s}', v)
    for s, v in enumerate(rcrop):
        _run(tmp_path / 'rcrop', f'seed{s}', v)
    out = tmp_path / 'summary.json'
    assert tool.main([str(tmp_path / 'ccrop'), '--vs', str(tmp_path / 'rcrop'), '--name',
                      'ccrop', '--vs-name', 'rcrop', '--metrics', 'pascal_voc/mAP',
                      '--out', str(out)]) == 0
    summary = json.loads(out.read_text())['pascal_voc/mAP']
    assert summary['ccrop']['mean'] == pytest.approx(statistics.mean(ccrop))
    assert summary['rcrop']['std'] == pytest.approx(statistics.stdev(rcrop))
    d = summary['difference']
    assert d['kind'] == 'paired' and d['seeds'] == [0, 1, 2, 3]  # rcrop's seed 4 is unpaired
    mean, se = paired_difference(rcrop[:4], ccrop)
    assert d['difference'] == pytest.approx(mean) and d['se'] == pytest.approx(se)
    assert d['ci95'] == pytest.approx([mean - 3.182 * se, mean + 3.182 * se])
    text = capsys.readouterr().out
    assert 'ccrop - rcrop: +0.0023 (paired, 4 run(s)' in text
    assert 'ccrop: mean 0.5735' in text


def test_latest_evaluation_wins_and_unpaired_runs(tmp_path, capsys):
    _run(tmp_path / 'a', 'run1', 0.50, test=0.55)  # a later mim test of the same run
    _run(tmp_path / 'a', 'run2', 0.52)
    _run(tmp_path / 'b', 'x', 0.40)
    _run(tmp_path / 'b', 'y', 0.44)
    runs = tool.collect([str(tmp_path / 'a')])
    assert [r.metrics['pascal_voc/mAP'] for r in runs] == [0.55, 0.52]
    assert runs[0].source.startswith('test') and runs[1].source == 'val 20250101_120000 step 24000'
    assert tool.main([str(tmp_path / 'a'), '--vs', str(tmp_path / 'b')]) == 0
    text = capsys.readouterr().out
    assert 'unpaired (Welch)' in text
    assert 'pascal_voc/AP50' in text and 'data_time' not in text and '\nstep' not in text
    # a single run (no spread) says so
    assert tool.main([str(tmp_path / 'a' / 'run2'), '--vs', str(tmp_path / 'b' / 'x'),
                      '--metrics', 'pascal_voc/mAP']) == 0
    assert 'run several seeds' in capsys.readouterr().out


def test_errors_name_the_folder_and_the_metric(tmp_path, capsys):
    (tmp_path / 'empty' / 'sub').mkdir(parents=True)
    assert tool.main([str(tmp_path / 'empty')]) == 1
    assert f'no evaluation found under {tmp_path / "empty"}' in capsys.readouterr().err
    run = _run(tmp_path, 'r', 0.5)
    assert tool.main([str(run), '--metrics', 'coco/bbox_mAP']) == 1
    err = capsys.readouterr().err
    assert str(run) in err and 'coco/bbox_mAP' in err and 'pascal_voc/mAP' in err
