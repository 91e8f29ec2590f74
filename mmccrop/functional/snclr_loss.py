"""SNCLR losses and positiveness, as pure functions (no mmengine/mmcv).

Notation for one direction (view 1 queries against view 2 keys):

* ``query``: ``(B, D)`` online predictor outputs of the local samples (z1).
* ``keys``: ``(N, D)`` momentum projections of the other view, gathered from
  all ranks (y2 and the y2 of the other samples); ``N >= B``.
* ``neighbors``: ``(N, K, D)`` the K bank neighbours of every key, gathered
  in the same order.
* ``weights``: ``(B, K)`` positiveness w of each local sample's own K
  neighbours (``w_0 = 1`` for the key itself is implicit).
* ``pos_index``: ``(B,)`` row of each local sample's own key in ``keys``.
  Masks are built per sample from these global indices, so the losses work
  for any rank, world size and uneven batch.

Every key and neighbour is a candidate: candidate ``n * (K + 1)`` is key
``n`` and candidates ``n * (K + 1) + 1 .. n * (K + 1) + K`` its neighbours.
Inputs are expected to be L2-normalised.

Two loss forms:

* :func:`snclr_loss_paper`: InfoNCE with weighted positives inside the log
  (Ge et al. 2023, Eq. 2)::

      L_b = -log( sum_{i=0..K} w_i exp(z.NN(y2_b)_i / T)
                  / sum_{n, j} exp(z.NN(y2_n)_j / T) )

* :func:`snclr_loss_code`: the authors' released code, a soft-target
  cross-entropy with target 1 at the own key plus ``w`` over its K neighbours
  against the log-softmax over all candidates, scaled by ``2T``.

With ``K == 0`` both reduce to InfoNCE over the keys (the code form times
``2T``).  With all ``w == 0`` both reduce to InfoNCE with a single positive
(the own key) and every other key and every neighbour as negatives.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_shapes(query: Tensor, keys: Tensor, neighbors: Tensor, weights: Tensor,
                  pos_index: Tensor, temperature: float) -> None:
    if query.dim() != 2 or keys.dim() != 2:
        raise ValueError(f'query and keys must be (B, D) and (N, D), got '
                         f'{tuple(query.shape)} and {tuple(keys.shape)}')
    b, d = query.shape
    n = keys.size(0)
    if keys.size(1) != d:
        raise ValueError(f'keys have {keys.size(1)} channels, query has {d}')
    if neighbors.dim() != 3 or neighbors.size(0) != n or neighbors.size(2) != d:
        raise ValueError(f'neighbors must be (N={n}, K, D={d}), got {tuple(neighbors.shape)}')
    k = neighbors.size(1)
    if weights.shape != (b, k):
        raise ValueError(f'weights must be (B={b}, K={k}), got {tuple(weights.shape)}')
    if pos_index.shape != (b,) or pos_index.dtype not in (torch.int32, torch.int64):
        raise ValueError(f'pos_index must be an int tensor of shape ({b},), got '
                         f'{pos_index.dtype} {tuple(pos_index.shape)}')
    if b and (int(pos_index.min()) < 0 or int(pos_index.max()) >= n):
        raise ValueError(f'pos_index must lie in [0, {n}), got '
                         f'[{int(pos_index.min())}, {int(pos_index.max())}]')
    if not temperature > 0:
        raise ValueError(f'temperature must be > 0, got {temperature!r}')


def _candidate_logits(query: Tensor, keys: Tensor, neighbors: Tensor, pos_index: Tensor,
                      temperature: float) -> Tuple[Tensor, Tensor]:
    """Logits over all ``N * (K + 1)`` candidates and each sample's own columns.

    Returns:
        ``(logits, own_cols)``: ``(B, N * (K + 1))`` logits and ``(B, K + 1)``
        column indices of each sample's key followed by its K neighbours.
    """
    n, k1 = keys.size(0), neighbors.size(1) + 1
    candidates = torch.cat([keys[:, None], neighbors], dim=1).reshape(n * k1, -1)
    # The product may run in half precision (autocast); the softmax over
    # N * (K + 1) candidates runs in fp32.
    logits = (query @ candidates.to(query.dtype).t()).float() / temperature
    own_cols = pos_index.long()[:, None] * k1 + torch.arange(k1, device=query.device)
    return logits, own_cols


def _with_self_weight(weights: Tensor) -> Tensor:
    """Prepend ``w_0 = 1`` (the sample's own key) to the neighbour weights."""
    return torch.cat([weights.new_ones(weights.size(0), 1), weights], dim=1)


def snclr_loss_paper(query: Tensor, keys: Tensor, neighbors: Tensor, weights: Tensor,
                     pos_index: Tensor, temperature: float) -> Tensor:
    """Paper form: InfoNCE with the neighbours of y2 as weighted positives.

    The numerator is ``sum_i w_i exp(l_i)`` over the own key (``w_0 = 1``)
    and its K neighbours; the denominator sums ``exp`` over all keys and all
    their neighbours (unweighted), so the neighbours of other samples are
    negatives.  Zero weights are exact: the term drops from the numerator
    with a finite gradient.

    Args:
        query, keys, neighbors, weights, pos_index: See the module docstring.
        temperature: Softmax temperature T.

    Returns:
        Scalar loss, averaged over the B local samples.
    """
    _check_shapes(query, keys, neighbors, weights, pos_index, temperature)
    logits, own_cols = _candidate_logits(query, keys, neighbors, pos_index, temperature)
    w = _with_self_weight(weights.to(logits.dtype))
    # log(w) with log(0) = -inf but a zero (not NaN) gradient at w = 0.
    log_w = torch.where(w > 0, w.clamp_min(torch.finfo(w.dtype).tiny).log(),
                        torch.full_like(w, float('-inf')))
    log_num = torch.logsumexp(logits.gather(1, own_cols) + log_w, dim=1)
    log_den = torch.logsumexp(logits, dim=1)
    return (log_den - log_num).mean()


def snclr_loss_code(query: Tensor, keys: Tensor, neighbors: Tensor, weights: Tensor,
                    pos_index: Tensor, temperature: float) -> Tensor:
    """Authors' code form: soft-target cross-entropy, scaled by ``2T``.

    Target: 1 at the sample's own key and ``w`` over its K neighbours (the
    target is not renormalised), against the log-softmax over all keys and
    their neighbours.

    Args:
        query, keys, neighbors, weights, pos_index: See the module docstring.
        temperature: Softmax temperature T.

    Returns:
        Scalar loss, averaged over the B local samples.
    """
    _check_shapes(query, keys, neighbors, weights, pos_index, temperature)
    logits, own_cols = _candidate_logits(query, keys, neighbors, pos_index, temperature)
    log_prob = logits.log_softmax(dim=1).gather(1, own_cols)
    target = _with_self_weight(weights.to(logits.dtype))
    return -(target * log_prob).sum(dim=1).mean() * (2 * temperature)


def threshold_positiveness(weights: Tensor) -> Tensor:
    """Zero every weight ``<= 1/K`` (the authors' ``threshold`` option).

    The mask is a constant, so the kept weights keep their gradient.
    """
    k = weights.size(-1)
    if k == 0:
        return weights
    return weights * (weights > 1.0 / k).to(weights.dtype)


def cosine_positiveness(anchor: Tensor, neighbors: Tensor, threshold: bool = False,
                        detach: bool = False) -> Tensor:
    """Code-form positiveness: softmax over K of cos(anchor, neighbour).

    Parameter-free and without a temperature, as in the authors' code; the
    gradient flows into ``anchor`` unless ``detach``.

    Args:
        anchor: ``(B, D)`` online projections (before the predictor).
        neighbors: ``(B, K, D)`` the sample's bank neighbours.
        threshold: Zero weights ``<= 1/K``.
        detach: Return weights without gradient.

    Returns:
        ``(B, K)`` weights (each row sums to 1 before thresholding).
    """
    if neighbors.dim() != 3 or anchor.dim() != 2 or neighbors.shape[::2] != anchor.shape:
        raise ValueError(f'anchor must be (B, D) and neighbors (B, K, D), got '
                         f'{tuple(anchor.shape)} and {tuple(neighbors.shape)}')
    if neighbors.size(1) == 0:
        return anchor.new_zeros(anchor.size(0), 0)
    anchor = F.normalize(anchor, dim=1)
    neighbors = F.normalize(neighbors.to(anchor.dtype), dim=2)
    w = torch.einsum('bd,bkd->bk', anchor, neighbors).softmax(dim=1)
    if threshold:
        w = threshold_positiveness(w)
    return w.detach() if detach else w


def attention_positiveness(anchor_proj: Tensor, neighbor_proj: Tensor, gamma: Tensor,
                           scale: Optional[float] = None, threshold: bool = False,
                           detach: bool = False) -> Tensor:
    """Paper-form positiveness: ``w_i = softmax_i(f1(y1) . f2(NN_i)) / gamma_i``.

    Args:
        anchor_proj: ``(B, C)`` f1(y1).
        neighbor_proj: ``(B, K, C)`` f2 of each neighbour.
        gamma: Scale, a scalar or ``(K,)`` tensor (one per neighbour rank).
        scale: Multiplies the dot products before the softmax (``None``:
            ``C ** -0.5`` as in scaled dot-product attention).
        threshold: Zero weights ``<= 1/K`` (tested on the softmax, before
            dividing by gamma, so that the cut means the same for any gamma).
        detach: Return weights without gradient.

    Returns:
        ``(B, K)`` weights.
    """
    if (neighbor_proj.dim() != 3 or anchor_proj.dim() != 2
            or neighbor_proj.shape[::2] != anchor_proj.shape):
        raise ValueError(f'anchor_proj must be (B, C) and neighbor_proj (B, K, C), got '
                         f'{tuple(anchor_proj.shape)} and {tuple(neighbor_proj.shape)}')
    k = neighbor_proj.size(1)
    if k == 0:
        return anchor_proj.new_zeros(anchor_proj.size(0), 0)
    if scale is None:
        scale = anchor_proj.size(1) ** -0.5
    attn = (torch.einsum('bc,bkc->bk', anchor_proj, neighbor_proj) * scale).softmax(dim=1)
    if threshold:
        attn = threshold_positiveness(attn)
    w = attn / gamma
    return w.detach() if detach else w
