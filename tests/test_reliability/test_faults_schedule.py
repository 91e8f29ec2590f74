"""A ContrastiveCrop schedule that silently is something else, and what the user sees.

At the start of training ``BoxRefreshHook`` logs its schedule (the epochs
that crop with boxes, the refresh epochs; compact over 500 epochs) and warns:

- when no epoch uses a box (``warmup_epochs >= max_epochs``, e.g. a short
  trial of an ImageNet config with warm-up 20): the run is plain
  RandomResizedCrop;
- when ``interval`` asks for refreshes that never come within ``max_epochs``;
- when ``interval=None`` keeps a whole-image ``init_box`` (no object box ever).
"""
import pytest
from mmengine.runner import Runner

from mmccrop.engine.hooks.box_refresh_text import compact_epochs, describe_schedule

from ._common import box_runner_cfg, run_log, write_square_images


@pytest.mark.parametrize('args,text', [
    ((20, 20, 100), 'BoxRefreshHook: 100 epochs; epochs 1-20 crop without boxes (warm-up); '
                    'epochs 21-100 crop with the boxes; the boxes are re-localised after epochs '
                    '20, 40, 60, 80 (every 20, 4 refreshes).'),
    ((100, 100, 500), 'BoxRefreshHook: 500 epochs; epochs 1-100 crop without boxes (warm-up); '
                      'epochs 101-500 crop with the boxes; the boxes are re-localised after '
                      'epochs 100, 200, 300, 400 (every 100, 4 refreshes).'),
    ((0, None, 500, (0.25, 0.25, 0.75, 0.75)),
     'BoxRefreshHook: 500 epochs; epochs 1-500 crop with the boxes; the boxes are never '
     're-localised (interval=None): they stay init_box (0.25, 0.25, 0.75, 0.75).'),
    ((20, 20, 100, (0, 0, 1, 1), 40),
     'BoxRefreshHook: 100 epochs (resuming after epoch 40); epochs 1-20 crop without boxes '
     '(warm-up); epochs 21-100 crop with the boxes; the boxes are re-localised after epochs '
     '20, 40, 60, 80 (every 20, 4 refreshes).'),
])
def test_shipped_schedules_are_described_without_warnings(args, text):
    assert describe_schedule(*args) == (text, [])


def test_long_schedules_stay_one_short_line():
    text, warnings = describe_schedule(1, 1, 500)
    assert 'epochs 2-500 crop with the boxes' in text and 'after epochs 1-499' in text
    assert len(text) < 200 and warnings == []
    text, _ = describe_schedule(10, 7, 500)
    assert 'after epochs 14, 21, 28, ..., 497 (every 7, 70 refreshes)' in text
    assert compact_epochs([1, 2, 3, 7, 9, 10]) == '1-3, 7, 9-10'


@pytest.mark.parametrize('args,warning', [
    ((20, 20, 10), 'warmup_epochs=20 >= max_epochs=10: no epoch crops with a box, so this run '
                   'is plain RandomResizedCrop'),
    ((20, 20, 20), 'warmup_epochs=20 >= max_epochs=20'),
    ((5, 50, 30), 'interval=50 with warmup_epochs=5 and max_epochs=30 never re-localises the '
                  'boxes: epochs 6-30 crop with init_box (0, 0, 1, 1) only'),
    ((20, 20, 21), None),  # one refresh, one epoch with boxes: fine
    ((0, None, 5), 'interval=None and init_box is the whole image'),
])
def test_schedules_that_never_use_a_box_warn(args, warning):
    _, warnings = describe_schedule(*args)
    if warning is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warning in warnings[0]


def test_short_trial_of_a_warmup_20_config_warns_in_the_log(tmp_path, one_thread):
    write_square_images(tmp_path / 'data', 4)
    runner = Runner(**box_runner_cfg(tmp_path / 'w', tmp_path / 'data', max_epochs=1,
                                     hook=dict(warmup_epochs=20, interval=20)))
    runner.train()
    log = run_log(runner)
    assert 'BoxRefreshHook: 1 epoch; epoch 1 crops without boxes (warm-up); the boxes are ' \
           'never re-localised.' in log
    assert 'WARNING - BoxRefreshHook: warmup_epochs=20 >= max_epochs=1' in log
