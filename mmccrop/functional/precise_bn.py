"""Precise batch-norm statistics: population averages instead of a running EMA.

During training a BN layer's running statistics are an exponential moving
average (momentum 0.1) of the last few batches, taken while the weights
moved. Before testing, detectron2 (``TEST.PRECISE_BN``, on in MoCo's C4
transfer configs) recomputes them with the weights fixed: the plain average,
over a number of training batches, of each batch's mean and (unbiased)
variance. This module does that with PyTorch's own cumulative average
(``momentum=None``), so it needs nothing but the layers and a forward pass.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, List

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def training_bn_layers(model: nn.Module) -> List[_BatchNorm]:
    """The BN layers whose statistics a training forward updates.

    Those in training mode and tracking running statistics (BN, SyncBN, ...);
    frozen ones (``norm_eval=True``) keep their statistics.
    """
    return [m for m in model.modules()
            if isinstance(m, _BatchNorm) and m.training and m.track_running_stats]


@torch.no_grad()
def precise_bn_stats(bn_layers: List[_BatchNorm], forward: Callable[[Any], Any],
                     batches: Iterable[Any], num_iters: int) -> int:
    """Replace the layers' running statistics by their average over ``num_iters`` batches.

    Each layer's ``running_mean`` and ``running_var`` become the arithmetic
    mean, over the batches it saw, of the batch mean and unbiased batch
    variance; ``momentum`` and ``num_batches_tracked`` are restored after.
    The model must be in training mode (BN uses batch statistics); nothing
    else changes (no gradients are taken). Under SyncBN every rank gets the
    same statistics, since each batch's are already reduced across ranks.

    Args:
        bn_layers: The layers to recompute, e.g. :func:`training_bn_layers`.
        forward: Runs the model on one batch (its return value is ignored).
        batches: Training batches; only the first ``num_iters`` are used.
        num_iters: Number of batches (> 0).

    Returns:
        The number of batches run: ``num_iters``, or fewer if ``batches``
        ran out (the statistics then average those).
    """
    if num_iters < 1:
        raise ValueError(f'num_iters must be >= 1, got {num_iters}')
    saved = [(bn.momentum, bn.num_batches_tracked.clone()) for bn in bn_layers]
    for bn in bn_layers:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the batches since the reset
    done = 0
    try:
        for batch in itertools.islice(batches, num_iters):
            forward(batch)
            done += 1
    finally:
        for bn, (momentum, tracked) in zip(bn_layers, saved):
            bn.momentum = momentum
            bn.num_batches_tracked.copy_(tracked)
    return done
