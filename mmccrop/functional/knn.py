"""Weighted k-nearest-neighbour classification on frozen features (pure torch)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def knn_classify(train_feats: torch.Tensor,
                 train_labels: torch.Tensor,
                 test_feats: torch.Tensor,
                 num_classes: int,
                 k: int = 200,
                 temperature: float = 0.07,
                 chunk_size: int = 256,
                 return_scores: bool = False) -> torch.Tensor:
    """Predict labels by a similarity-weighted vote of the k nearest neighbours.

    Features are L2-normalised, neighbours are ranked by cosine similarity
    and each votes for its class with weight ``exp(sim / temperature)``
    (Wu et al. 2018, the monitor used by MoCo and ContrastiveCrop).  Test
    features are processed ``chunk_size`` at a time, so memory stays bounded
    by ``chunk_size * len(train_feats)``.

    Args:
        train_feats: (N, D) bank features.
        train_labels: (N,) integer labels in [0, num_classes).
        test_feats: (M, D) query features.
        num_classes: Number of classes.
        k: Neighbours per query (clipped to N).
        temperature: Softmax temperature of the vote weights.
        chunk_size: Queries per chunk.
        return_scores: Return the normalised votes instead of the labels.

    Returns:
        (M,) predicted labels, or (M, num_classes) vote shares summing to 1.
    """
    if train_feats.dim() != 2 or test_feats.dim() != 2:
        raise ValueError('train_feats and test_feats must be 2-D (N, D), got '
                         f'{tuple(train_feats.shape)} and {tuple(test_feats.shape)}')
    if train_feats.size(0) != train_labels.numel():
        raise ValueError(f'train_labels has {train_labels.numel()} entries for '
                         f'{train_feats.size(0)} train features')
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    k = min(k, train_feats.size(0))
    bank = F.normalize(train_feats.float(), dim=1)
    labels = train_labels.long().view(-1).to(bank.device)
    preds = []
    for start in range(0, test_feats.size(0), chunk_size):
        q = F.normalize(test_feats[start:start + chunk_size].float().to(bank.device), dim=1)
        sim, idx = (q @ bank.t()).topk(k, dim=1)
        votes = torch.zeros(q.size(0), num_classes, device=bank.device)
        votes.scatter_add_(1, labels[idx], (sim / temperature).exp())
        preds.append(votes / votes.sum(dim=1, keepdim=True) if return_scores
                     else votes.argmax(dim=1))
    if not preds:
        if return_scores:
            return torch.zeros(0, num_classes, device=bank.device)
        return torch.zeros(0, dtype=torch.long, device=bank.device)
    return torch.cat(preds)


def self_retrieval_top1(queries: torch.Tensor, gallery: torch.Tensor,
                        chunk_size: int = 256) -> float:
    """Fraction of queries whose most cosine-similar gallery row is their own.

    Row ``i`` of ``gallery`` is query ``i``'s counterpart (e.g. the same
    image with its object removed); chance is ``1 / len(gallery)``.

    Args:
        queries: (N, D) features.
        gallery: (N, D) features, paired row by row with ``queries``.
        chunk_size: Queries per chunk (memory ``chunk_size * N``).
    """
    if queries.dim() != 2 or queries.shape != gallery.shape:
        raise ValueError('queries and gallery must be 2-D of the same shape, got '
                         f'{tuple(queries.shape)} and {tuple(gallery.shape)}')
    if queries.size(0) == 0:
        raise ValueError('self_retrieval_top1 needs at least one query')
    bank = F.normalize(gallery.float(), dim=1)
    hits = 0
    for start in range(0, queries.size(0), chunk_size):
        q = F.normalize(queries[start:start + chunk_size].float().to(bank.device), dim=1)
        own = torch.arange(start, start + q.size(0), device=bank.device)
        hits += int(((q @ bank.t()).argmax(dim=1) == own).sum())
    return hits / queries.size(0)
