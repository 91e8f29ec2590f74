import math
import statistics

import pytest

from mmccrop.functional.stats import accuracy_standard_error, paired_difference


def test_accuracy_standard_error_is_the_binomial_one():
    assert accuracy_standard_error(50.0, 100) == pytest.approx(5.0)
    # the demo's kNN: about 31 % on 500 queries
    assert accuracy_standard_error(31.0, 500) == pytest.approx(2.068, abs=1e-3)
    assert accuracy_standard_error(0.0, 10) == 0.0
    assert accuracy_standard_error(100.0, 10) == 0.0
    # four times the samples halve it
    quarter = accuracy_standard_error(20.0, 400)
    assert quarter == pytest.approx(accuracy_standard_error(20.0, 100) / 2)


@pytest.mark.parametrize('acc,n,match', [(-1.0, 10, 'accuracy'), (100.5, 10, 'accuracy'),
                                         (50.0, 0, 'num_samples')])
def test_accuracy_standard_error_rejects_bad_input(acc, n, match):
    with pytest.raises(ValueError, match=match):
        accuracy_standard_error(acc, n)


def test_paired_difference_mean_and_standard_error():
    mean, se = paired_difference([1.0, 2.0, 3.0], [2.0, 2.0, 5.0])  # diffs 1, 0, 2
    assert mean == pytest.approx(1.0)
    assert se == pytest.approx(1.0 / math.sqrt(3))
    base = [30.8, 31.2, 31.6, 31.2, 31.4]
    treat = [30.4, 32.2, 31.6, 31.0, 30.6]
    diffs = [t - b for b, t in zip(base, treat)]
    mean, se = paired_difference(base, treat)
    assert mean == pytest.approx(statistics.mean(diffs))
    assert se == pytest.approx(statistics.stdev(diffs) / math.sqrt(5))
    # a constant offset has no spread, whatever the seeds' own spread
    assert paired_difference([10.0, 40.0, 70.0], [11.0, 41.0, 71.0]) == pytest.approx((1.0, 0.0))


def test_paired_difference_single_pair_has_no_standard_error():
    mean, se = paired_difference([30.0], [31.5])
    assert mean == pytest.approx(1.5) and math.isnan(se)


def test_paired_difference_rejects_unpaired_or_empty_input():
    with pytest.raises(ValueError, match='got 2 and 3'):
        paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match='at least one pair'):
        paired_difference([], [])
