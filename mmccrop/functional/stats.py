"""Sampling noise of accuracy figures, to tell a difference from noise (no torch needed)."""
from __future__ import annotations

import math
from typing import Sequence, Tuple


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


def paired_difference(baseline: Sequence[float],
                      treatment: Sequence[float]) -> Tuple[float, float]:
    """Mean of ``treatment - baseline`` over paired runs and its standard error.

    Pairing (same seed, same data) removes the between-seed spread that both
    runs share, so the paired standard error is the right yardstick for
    "is one crop better than the other".

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
    n = len(diffs)
    mean = sum(diffs) / n
    if n == 1:
        return mean, math.nan
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    return mean, math.sqrt(var / n)
