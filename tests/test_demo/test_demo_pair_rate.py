"""The false-positive pair rate sampled from the demo configs' own pipelines."""
import numpy as np
import pytest
import torch

from mmccrop.demo.pair_rate import build_boxed_dataset, sample_pair_coverage, summarize
from mmccrop.demo.settings import DemoOptions, pretrain_config
from mmccrop.functional.view_pairs import false_positive_pair_rate
from mmccrop.utils import register_all_modules

OPTS = DemoOptions(smoke=True)  # 16 training images


@pytest.fixture(scope='module', autouse=True)
def _registered():
    register_all_modules(init_default_scope=False)


def _coverage(mode, boxes, checkpoint=None, seeds=range(4)):
    dataset = build_boxed_dataset(pretrain_config(OPTS, mode, 0), boxes, checkpoint)
    return np.concatenate([sample_pair_coverage(dataset, seed=s) for s in seeds])


def test_one_pair_per_image_seeded_and_the_global_generators_restored():
    dataset = build_boxed_dataset(pretrain_config(OPTS, 'rcrop', 0))
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    seen = []
    cov = sample_pair_coverage(dataset, seed=7, progress=lambda d, t: seen.append((d, t)))
    assert cov.shape == (16, 2) and ((cov >= 0) & (cov <= 1)).all()
    assert seen[-1] == (16, 16) and len(seen) == 16
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.testing.assert_array_equal(cov, sample_pair_coverage(dataset, seed=7))
    assert not np.array_equal(cov, sample_pair_coverage(dataset, seed=8))


def test_true_boxes_make_far_fewer_false_positive_pairs_than_random_crops():
    rcrop = _coverage('rcrop', 'config')
    ccrop_before_boxes = _coverage('ccrop', 'config')  # an inactive store: random crops
    true = _coverage('ccrop', 'true')
    rates = [false_positive_pair_rate(c) for c in (rcrop, ccrop_before_boxes, true)]
    assert rates[0] > 0.2 and rates[1] > 0.2  # random crops often miss half the object
    assert rates[2] < rates[0] - 0.15 and rates[2] < rates[1] - 0.15
    assert true.mean() > rcrop.mean()


def test_stored_boxes_come_from_the_checkpoint(tmp_path):
    dataset = build_boxed_dataset(pretrain_config(OPTS, 'ccrop', 0), 'true')
    torch.save({'ccrop_boxes': dataset.state_dict()}, tmp_path / 'ckpt.pth')
    stored = _coverage('ccrop', 'stored', str(tmp_path / 'ckpt.pth'), seeds=[3])
    np.testing.assert_array_equal(stored, _coverage('ccrop', 'true', seeds=[3]))
    torch.save({'state_dict': {}}, tmp_path / 'plain.pth')
    with pytest.raises(KeyError, match="plain.pth: no 'ccrop_boxes'"):
        build_boxed_dataset(pretrain_config(OPTS, 'ccrop', 0), 'stored',
                            str(tmp_path / 'plain.pth'))


def test_bad_requests_are_named():
    with pytest.raises(TypeError, match="boxes='true' needs a BoxedDataset"):
        build_boxed_dataset(pretrain_config(OPTS, 'rcrop', 0), 'true')
    with pytest.raises(ValueError, match='boxes must be one of'):
        build_boxed_dataset(pretrain_config(OPTS, 'ccrop', 0), 'gt')


def test_summary_gives_percent_and_binomial_noise():
    cov = np.array([[1.0, 0.2]] * 25 + [[0.9, 0.8]] * 75)
    s = summarize(cov)
    assert s['rate'] == pytest.approx(25.0) and s['pairs'] == 100
    assert s['se'] == pytest.approx(100 * np.sqrt(0.25 * 0.75 / 100))
    assert s['mean_hold'] == pytest.approx(cov.mean())
