"""Exact top-K cosine neighbour search of queries against a feature bank.

Pure torch: no mmengine/mmcv imports.  The bank is scanned in chunks of rows
so that a large bank (65k-128k entries) never materialises the whole
``(B, N)`` similarity matrix at once; each chunk contributes its own top-k
candidates and a final top-k over the ``n_chunks * k`` candidates is exact
(every global top-k entry is inside its chunk's top-k).
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor


def _check_inputs(query: Tensor, bank: Tensor, k: int, chunk_size: Optional[int],
                  query_ids: Optional[Tensor], bank_ids: Optional[Tensor]) -> None:
    if query.dim() != 2 or bank.dim() != 2:
        raise ValueError(f'query and bank must be 2-D (B, D) and (N, D), got query '
                         f'{tuple(query.shape)} and bank {tuple(bank.shape)}')
    if query.size(1) != bank.size(1):
        raise ValueError(f'query has {query.size(1)} channels but bank has {bank.size(1)}')
    if not isinstance(k, int) or k < 0:
        raise ValueError(f'k must be an int >= 0, got {k!r}')
    if k > bank.size(0):
        raise ValueError(f'k={k} is larger than the bank ({bank.size(0)} entries)')
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f'chunk_size must be a positive int or None, got {chunk_size!r}')
    if (query_ids is None) != (bank_ids is None):
        raise ValueError('query_ids and bank_ids must be given together (to exclude each '
                         "query's own stale bank entry) or not at all")
    if query_ids is not None:
        if query_ids.shape != (query.size(0),):
            raise ValueError(f'query_ids must have shape ({query.size(0)},), got '
                             f'{tuple(query_ids.shape)}')
        if bank_ids.shape != (bank.size(0),):
            raise ValueError(f'bank_ids must have shape ({bank.size(0)},), got '
                             f'{tuple(bank_ids.shape)}')


def _chunked_topk(query: Tensor, bank: Tensor, k: int, chunk: int,
                  query_ids: Optional[Tensor] = None,
                  bank_ids: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Exact top-k of ``query @ bank.T`` (excluded pairs set to -inf), by chunks."""
    best_sim, best_idx = [], []
    for start in range(0, bank.size(0), chunk):
        stop = min(start + chunk, bank.size(0))
        sim = query @ bank[start:stop].t()
        if query_ids is not None:
            same = (query_ids[:, None] == bank_ids[None, start:stop]) & (query_ids[:, None] >= 0)
            sim = sim.masked_fill(same, float('-inf'))
        sim, idx = sim.topk(min(k, stop - start), dim=1)
        best_sim.append(sim)
        best_idx.append(idx + start)
    if len(best_sim) == 1:
        return best_sim[0], best_idx[0]
    sim, pos = torch.cat(best_sim, dim=1).topk(k, dim=1)
    return sim, torch.cat(best_idx, dim=1).gather(1, pos)


@torch.no_grad()
def topk_cosine_neighbors(query: Tensor,
                          bank: Tensor,
                          k: int,
                          chunk_size: Optional[int] = None,
                          query_ids: Optional[Tensor] = None,
                          bank_ids: Optional[Tensor] = None,
                          normalized: bool = False,
                          exclude_margin: int = 4) -> Tuple[Tensor, Tensor]:
    """Top-``k`` cosine neighbours of each query row among the bank rows.

    Args:
        query: ``(B, D)`` query features.
        bank: ``(N, D)`` candidate features.
        k: Number of neighbours, ``0 <= k <= N``.  ``k == 0`` returns empty
            ``(B, 0)`` results.
        chunk_size: Scan the bank in chunks of this many rows (``None``: one
            chunk).  The result is exact for any chunk size.
        query_ids: ``(B,)`` int ids (e.g. dataset ``sample_idx``) of the
            queries.  Together with ``bank_ids`` it excludes, for each query,
            every bank entry carrying the same id: the sample's own stale
            projection from an earlier visit.  Use a negative id for "unknown"
            on either side; negative ids never match.
        bank_ids: ``(N,)`` int ids of the bank entries.
        normalized: Both inputs are already L2-normalised (skips the
            normalisation).
        exclude_margin: With ids, first search ``k + exclude_margin``
            candidates without the id mask and drop the excluded ones; rows
            that lose more than the margin are searched again with the full
            ``(B, N)`` mask.  Exact either way; the margin only saves the
            mask on the common path.

    Returns:
        ``(similarity, index)``, both ``(B, k)``, sorted by decreasing cosine
        similarity; ``index`` points into the rows of ``bank``.  An excluded
        entry can only be returned when fewer than ``k`` entries remain, and
        then its similarity is ``-inf``.
    """
    _check_inputs(query, bank, k, chunk_size, query_ids, bank_ids)
    num_query, num_bank = query.size(0), bank.size(0)
    if k == 0 or num_query == 0:
        return (query.new_zeros(num_query, k),
                torch.zeros(num_query, k, dtype=torch.long, device=query.device))
    if not normalized:
        query = torch.nn.functional.normalize(query, dim=1)
        bank = torch.nn.functional.normalize(bank, dim=1)
    bank = bank.to(query.dtype)
    chunk = num_bank if chunk_size is None else min(chunk_size, num_bank)
    if query_ids is None:
        return _chunked_topk(query, bank, k, chunk)

    # Every entry of the true (masked) top-k is in the unmasked top-(k + m)
    # as long as at most m of those are excluded ones.
    k_try = min(k + max(exclude_margin, 0), num_bank)
    sim, idx = _chunked_topk(query, bank, k_try, chunk)
    excluded = (bank_ids[idx] == query_ids[:, None]) & (query_ids[:, None] >= 0)
    sim, pos = sim.masked_fill(excluded, float('-inf')).topk(k, dim=1)
    idx = idx.gather(1, pos)
    redo = excluded.sum(dim=1) > k_try - k
    if bool(redo.any()):
        rows = redo.nonzero().squeeze(1)
        sim[rows], idx[rows] = _chunked_topk(query[rows], bank, k, chunk, query_ids[rows],
                                             bank_ids)
    return sim, idx
