"""The demo's kNN comparison paragraph, from known figures (no training)."""
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools'))
import demo  # noqa: E402


def _run(mode, seed, knn, queries=500):
    return dict(mode=mode, seed=seed, minutes=1.0, knn_final=knn, knn_queries=queries,
                boxes=[], losses=[])


def test_one_seed_gives_the_difference_and_the_sampling_noise():
    text = demo.knn_comparison([_run('rcrop', 0, 30.8), _run('ccrop', 0, 30.4)])
    assert '-0.40 (seed 0)' in text
    assert 'on 500 queries' in text and 'about 2.1 points' in text  # sqrt(.306 * .694 / 500)
    assert '--seeds' in text and 'paired standard error' not in text


def test_several_seeds_give_the_paired_estimate():
    runs = [_run('rcrop', 0, 30.0), _run('ccrop', 0, 31.0), _run('rcrop', 1, 32.0),
            _run('ccrop', 1, 32.0), _run('rcrop', 2, 31.0), _run('ccrop', 2, 33.0)]
    text = demo.knn_comparison(runs)
    # differences 1, 0, 2: mean 1, SE 1/sqrt(3)
    assert '+1.00 (seed 0), +0.00 (seed 1), +2.00 (seed 2)' in text
    assert 'mean +1.00, paired standard error 0.58 over 3 seeds' in text
    assert '--seeds' not in text


def test_unpaired_runs_are_left_out():
    assert demo.knn_comparison([_run('ccrop', 0, 30.0)]) == ''
    text = demo.knn_comparison([_run('rcrop', 0, 30.0), _run('ccrop', 0, 31.0),
                                _run('ccrop', 1, 99.0)])
    assert '(seed 1)' not in text and '+1.00 (seed 0)' in text


def test_report_carries_the_comparison(tmp_path):
    table = demo.report([_run('rcrop', 0, 30.8), _run('ccrop', 0, 30.4)], str(tmp_path), [])
    assert 'ccrop - rcrop: -0.40 (seed 0)' in table
    assert 'ccrop - rcrop: -0.40 (seed 0)' in (tmp_path / 'report.md').read_text()


@pytest.mark.parametrize('queries', [None, 0])
def test_unknown_query_count_leaves_out_the_noise_line(queries):
    text = demo.knn_comparison([_run('rcrop', 0, 30.0, queries), _run('ccrop', 0, 30.5, queries)])
    assert text == 'kNN top-1, ccrop - rcrop: +0.50 (seed 0) points.'
