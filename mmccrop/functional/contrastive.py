"""Loss maths of Siamese self-supervised methods (pure torch).

All functions take *already L2-normalised* embeddings where a cosine is meant,
except :func:`cosine_similarity_loss`, which normalises itself.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['info_nce', 'nt_xent', 'cosine_similarity_loss']


def info_nce(query: Tensor, key: Tensor, queue: Tensor, temperature: float) -> Tensor:
    """MoCo's InfoNCE loss with a queue of negatives.

    For each query ``q_i`` the positive is ``k_i`` and the negatives are the
    queue rows:  ``-log(exp(q_i.k_i/T) / (exp(q_i.k_i/T) + sum_j exp(q_i.n_j/T)))``,
    averaged over the batch.

    Args:
        query: ``(N, D)`` normalised queries (gradient flows here).
        key: ``(N, D)`` normalised positive keys (normally detached).
        queue: ``(K, D)`` normalised negatives, one per row.
        temperature: Softmax temperature ``T`` (> 0).

    Returns:
        Scalar loss.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    if query.shape != key.shape or queue.dim() != 2 or queue.size(1) != query.size(1):
        raise ValueError(f'info_nce: query {tuple(query.shape)}, key {tuple(key.shape)} and '
                         f'queue {tuple(queue.shape)} do not match (need (N,D), (N,D), (K,D))')
    pos = (query * key).sum(dim=1, keepdim=True)
    neg = query @ queue.t()
    logits = torch.cat([pos, neg], dim=1).div_(temperature)
    # The positive is column 0 for every row.
    target = torch.zeros(logits.size(0), dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits, target)


def nt_xent(z1: Tensor, z2: Tensor, temperature: float,
            all_z1: Optional[Tensor] = None, all_z2: Optional[Tensor] = None,
            offset: int = 0, base_temperature: Optional[float] = None) -> Tensor:
    """SimCLR's NT-Xent loss, with negatives optionally gathered from all ranks.

    The ``2N`` local embeddings ``[z1; z2]`` are the queries; the keys are the
    ``2M`` embeddings ``[all_z1; all_z2]`` (``M = N`` without gathering).  The
    positive of ``z1_i`` is ``z2_i`` and vice versa; each query's own column is
    excluded; every other key is a negative.

    With ``base_temperature`` the loss is multiplied by
    ``temperature / base_temperature``, the scale of the SupContrast code that
    ContrastiveCrop's authors use (``base_temperature=0.07``: at ``T=0.5`` the
    loss and its gradient are 7.14x the plain SimCLR loss).  The minimiser is
    the same; with SGD the step is larger and the weight decay relatively
    weaker, so a learning rate tuned for one scale does not transfer.

    Args:
        z1: ``(N, D)`` normalised embeddings of view 1 on this rank.
        z2: ``(N, D)`` normalised embeddings of view 2 on this rank.
        temperature: Softmax temperature (> 0).
        all_z1: ``(M, D)`` view-1 embeddings of all ranks (``z1`` is the
            slice ``[offset, offset + N)``).  Defaults to ``z1``.
        all_z2: Same for view 2.  Defaults to ``z2``.
        offset: Index of this rank's first sample in ``all_z1``/``all_z2``.
        base_temperature: Scale the loss by ``temperature / base_temperature``
            (> 0); ``None`` (default) leaves the SimCLR paper's scale.

    Returns:
        Scalar loss, the mean over the ``2N`` local queries.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    if base_temperature is not None and not base_temperature > 0:
        raise ValueError(f'base_temperature must be > 0 or None, got {base_temperature}')
    if z1.shape != z2.shape:
        raise ValueError(f'nt_xent: z1 {tuple(z1.shape)} and z2 {tuple(z2.shape)} differ')
    all_z1 = z1 if all_z1 is None else all_z1
    all_z2 = z2 if all_z2 is None else all_z2
    n, m = z1.size(0), all_z1.size(0)
    if all_z1.shape != all_z2.shape or not 0 <= offset <= m - n:
        raise ValueError(f'nt_xent: gathered shapes {tuple(all_z1.shape)}/{tuple(all_z2.shape)} '
                         f'and offset {offset} do not fit a local batch of {n}')
    queries = torch.cat([z1, z2], dim=0)
    keys = torch.cat([all_z1, all_z2], dim=0)
    logits = (queries @ keys.t()).div_(temperature)
    local = torch.arange(n, device=z1.device) + offset
    self_col = torch.cat([local, local + m])
    pos_col = torch.cat([local + m, local])
    rows = torch.arange(2 * n, device=z1.device)
    # A query is never its own negative.
    logits[rows, self_col] = float('-inf')
    loss = F.cross_entropy(logits, pos_col)
    return loss if base_temperature is None else loss * (temperature / base_temperature)


def cosine_similarity_loss(pred: Tensor, target: Tensor, shift: float = 0.,
                           scale: float = 1.) -> Tensor:
    """``shift - scale * mean_i cos(pred_i, target_i)``.

    SimSiam uses ``shift=0, scale=1`` (negative cosine); BYOL's
    ``||p/|p| - z/|z|||^2 = 2 - 2 cos`` is ``shift=2, scale=2``.  The target is
    used as given: detach it (stop-gradient) before calling when needed.
    """
    if pred.shape != target.shape:
        raise ValueError(f'cosine_similarity_loss: pred {tuple(pred.shape)} and target '
                         f'{tuple(target.shape)} differ')
    cos = F.cosine_similarity(pred, target, dim=1)
    return shift - scale * cos.mean()
