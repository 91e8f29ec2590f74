"""The demo's tables and sentences, from known figures (no training)."""
import math

import pytest

from mmccrop import demo


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


def _boxes(*ious):
    return [{'epoch': 4 * (i + 1), 'ccrop/box_miou': v, 'ccrop/box_miou_full': 0.139,
             'ccrop/box_mean_area': 0.2, 'ccrop/box_full_frac': 0.0} for i, v in enumerate(ious)]


def test_transfer_table_sets_the_ccrop_ap_against_the_random_init_baseline():
    figures = {'det': {'coco/bbox_mAP': 0.056, 'coco/bbox_mAP_50': 0.138,
                       'coco/segm_mAP': 0.085, 'minutes': 1.6},
               'det_random': {'coco/bbox_mAP': 0.012, 'coco/bbox_mAP_50': -1.0,
                              'coco/segm_mAP': 0.02, 'minutes': 1.5},
               'seg': {'mIoU': 15.4, 'aAcc': float('nan'), 'minutes': 1.0}}
    rows = demo.transfer_table(figures).splitlines()
    assert rows[2] == '| Mask R-CNN R18-FPN, COCO layout | ccrop | 1.6 | 5.6 | 13.8 | 8.5 | - | - |'
    assert rows[3] == ('| Mask R-CNN R18-FPN, COCO layout | random init (baseline) | 1.5 | 1.2 | - '
                       '| 2.0 | - | - |')
    assert rows[4] == '| FCN R18-D8, VOC layout | ccrop | 1.0 | - | - | - | 15.4 | - |'
    del figures['det_random']
    assert 'baseline' not in demo.transfer_table(figures)
    assert demo.transfer_table(None) == ''


def test_pair_rate_table_gives_rate_noise_and_mean_hold():
    rates = [dict(label='rcrop', rate=37.25, se=1.53, mean_hold=0.7112, pairs=1000),
             dict(label='ccrop, true boxes (reference)', rate=5.0, se=0.69, mean_hold=0.93,
                  pairs=1000)]
    rows = demo.pair_rate_table(rates).splitlines()
    assert 'a view holds < 50 % of the object' in rows[0]
    assert rows[2] == '| rcrop | 37.2 (SE 1.5) | 0.71 | 1000 |'
    assert rows[3] == '| ccrop, true boxes (reference) | 5.0 (SE 0.7) | 0.93 | 1000 |'
    assert demo.pair_rate_table([]) == ''


def test_loss_note_explains_the_rise_with_the_queue_and_chance_level():
    run = dict(_run('rcrop', 0, 30.0), queue_len=512, batch_size=64,
               losses=[(5, 4.5), (10, 5.6), (20, 6.05), (150, 4.8)])
    note = demo.loss_note([run])
    assert '4.50 at iteration 5, 6.05 at iteration 20' in note
    assert '512 / 64 = 8 steps' in note
    assert f'log(1 + 512) = {math.log(513):.2f}' in note and '6.24' in note
    assert demo.loss_note([_run('rcrop', 0, 30.0)]) == ''


def test_report_has_every_table_the_refresh_epochs_and_the_pictures(tmp_path):
    runs = [dict(_run('rcrop', 0, 30.8), queue_len=512, batch_size=64,
                 losses=[(5, 4.5), (20, 6.0)]),
            dict(_run('ccrop', 0, 30.4), boxes=_boxes(0.589, 0.582))]
    rates = [dict(label='rcrop', rate=37.0, se=1.5, mean_hold=0.71, pairs=1000)]
    table = demo.report(runs, str(tmp_path), ['loss_curves.png'], None, rates)
    text = (tmp_path / 'report.md').read_text()
    assert table in text
    assert '| ccrop | 0 | 1.0 | 30.40 | 0.582 | 0.139 |' in table
    assert '| rcrop | 37.0 (SE 1.5) | 0.71 | 1000 |' in table
    assert '| after epoch | mIoU with true boxes |' in text
    assert '| 4 | 0.589 | 0.139 |' in text and '| 8 | 0.582 | 0.139 |' in text
    assert 'Why the loss first rises' in text and 'False-positive pairs:' in text
    assert '![loss_curves.png](loss_curves.png)' in text
    assert 'Transfer: skipped (--skip-transfer).' in text
    assert not [p for p in tmp_path.iterdir() if p.name != 'report.md']  # no temporary file


def test_stage_line_and_table_show_ap_alike():
    from mmccrop.demo.transfer import task_summary
    m = {'coco/bbox_mAP': 0.1234, 'coco/bbox_mAP_50': -1.0}
    assert task_summary('det', m) == 'bbox AP 12.3 (AP50 -), segm AP -'
    assert demo.transfer_table({'det': dict(m, minutes=1.0)}).splitlines()[-1].startswith(
        '| Mask R-CNN R18-FPN, COCO layout | ccrop | 1.0 | 12.3 | - | - |')
