"""Noise of evaluation figures, to tell a difference from noise (no torch needed).

Two kinds of noise meet in a transfer comparison: the sampling noise of one
figure (:func:`accuracy_standard_error`) and the run-to-run spread of a whole
fine-tuning (:func:`mean_std`).  Comparing two pretrainings, run the same
seeds for both and use :func:`paired_difference`; when the runs cannot be
paired, :func:`welch_difference`.  :func:`t_critical_95` turns a standard
error on few runs into a 95 % interval.
"""
from __future__ import annotations

import math
from typing import Sequence, Tuple

# Two-sided 95 % critical values of Student's t for 1..30 degrees of freedom.
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def accuracy_standard_error(accuracy: float, num_samples: int) -> float:
    """Binomial standard error of an accuracy measured on ``num_samples`` items.

    Args:
        accuracy: Accuracy in percent, in [0, 100].
        num_samples: Number of evaluated items (> 0).

    Returns:
        The standard error in percentage points, ``100 * sqrt(p (1 - p) / n)``.
    """
    if not 0.0 <= accuracy <= 100.0:
        raise ValueError(f'accuracy must be a percentage in [0, 100], got {accuracy}')
    if num_samples < 1:
        raise ValueError(f'num_samples must be >= 1, got {num_samples}')
    p = accuracy / 100.0
    return 100.0 * math.sqrt(p * (1.0 - p) / num_samples)


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``n - 1`` denominator) of some runs.

    The standard deviation is the run-to-run spread of one figure, e.g. VOC
    AP over five fine-tunings of the same backbone; divide it by ``sqrt(n)``
    for the standard error of the mean.

    Args:
        values: One figure per run.

    Returns:
        ``(mean, std)``; ``std`` is ``nan`` for a single run.
    """
    if not values:
        raise ValueError('mean_std needs at least one value, got none')
    n = len(values)
    mean = sum(values) / n
    if n == 1:
        return mean, math.nan
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def paired_difference(baseline: Sequence[float],
                      treatment: Sequence[float]) -> Tuple[float, float]:
    """Mean of ``treatment - baseline`` over paired runs and its standard error.

    Pairing (same seed, same data) removes the between-seed spread that both
    runs share, so the paired standard error is the right yardstick for
    "is one crop better than the other".  Its degrees of freedom are
    ``n - 1``.

    Args:
        baseline: One figure per seed.
        treatment: The figure of the same seeds, in the same order.

    Returns:
        ``(mean, se)``; ``se`` is ``nan`` for a single pair (no spread to estimate).
    """
    if len(baseline) != len(treatment):
        raise ValueError(f'paired_difference needs one treatment figure per baseline figure, '
                         f'got {len(baseline)} and {len(treatment)}')
    if not baseline:
        raise ValueError('paired_difference needs at least one pair, got none')
    diffs = [t - b for b, t in zip(baseline, treatment)]
    mean, std = mean_std(diffs)
    return mean, std / math.sqrt(len(diffs))


def welch_difference(baseline: Sequence[float],
                     treatment: Sequence[float]) -> Tuple[float, float, float]:
    """``mean(treatment) - mean(baseline)`` of unpaired runs, with Welch's error.

    Use it when the two sets of runs share no seeds (or differ in number);
    it keeps the between-seed spread, so it is wider than the paired error.

    Args:
        baseline: One figure per run, at least two.
        treatment: One figure per run, at least two.

    Returns:
        ``(difference, se, df)``: the standard error
        ``sqrt(s_b^2 / n_b + s_t^2 / n_t)`` and the Welch-Satterthwaite
        degrees of freedom (``inf`` when both spreads are zero).
    """
    if len(baseline) < 2 or len(treatment) < 2:
        raise ValueError(f'welch_difference needs at least two runs on each side, got '
                         f'{len(baseline)} and {len(treatment)}')
    mb, sb = mean_std(baseline)
    mt, st = mean_std(treatment)
    vb, vt = sb ** 2 / len(baseline), st ** 2 / len(treatment)
    se = math.sqrt(vb + vt)
    denom = vb ** 2 / (len(baseline) - 1) + vt ** 2 / (len(treatment) - 1)
    df = (vb + vt) ** 2 / denom if denom > 0 else math.inf
    return mt - mb, se, df


def t_critical_95(df: float) -> float:
    """Two-sided 95 % critical value of Student's t with ``df`` degrees of freedom.

    ``mean +- t_critical_95(n - 1) * se`` is the 95 % interval of a mean (or a
    paired difference) of ``n`` runs: 2.78 for five runs, where the normal
    approximation's 1.96 would be far too narrow.

    Args:
        df: Degrees of freedom (> 0; fractional values, as Welch's, are
            rounded down, which errs on the wide side; ``inf`` gives 1.96).

    Returns:
        The critical value (tabulated to 3 decimals up to 30, then the
        Cornish-Fisher expansion around the normal quantile).
    """
    if not df > 0:
        raise ValueError(f'df must be > 0, got {df}')
    if df <= len(_T95):
        return _T95[max(int(df), 1) - 1]
    z = 1.959964
    if math.isinf(df):
        return z
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))
