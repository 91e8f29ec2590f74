"""FIFO candidate-neighbour bank for SNCLR."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from mmccrop.functional.dist import concat_all_gather, get_dist_info, stack_on_rank0
from mmccrop.functional.neighbors import topk_cosine_neighbors
from mmccrop.registry import MODELS

SCOPES = ('global', 'local')
# State-dict entries holding every rank's bank (scope 'local', several ranks).
_RANK_KEYS = ('rank_banks', 'rank_ids', 'rank_ptrs')


@MODELS.register_module()
class NeighborBank(BaseModule):
    """FIFO bank of L2-normalised momentum projections, searched for top-K.

    The bank, the write pointer and the sample ids of the entries are
    persistent buffers, so checkpoints hold them and a resumed run continues
    bit for bit.  The bank starts as random unit vectors (so a search works
    from the first step) with id ``-1`` ("no sample"), drawn from a private
    generator seeded with ``seed``: the same on every rank whatever the global
    random state.

    Typical use per step: :meth:`search` the current keys (the bank as it
    was *before* this step), then :meth:`enqueue` them.

    Two scopes:

    - ``'global'``: ``enqueue`` gathers the keys of all ranks, so every rank
      holds the same bank of the newest ``size`` keys of the global batch;
      ranks can exchange neighbour *indices* and read the rows locally
      (:meth:`rows`).  With ``G`` ranks of batch ``B`` it reaches back
      ``size / (G * B)`` steps.
    - ``'local'``: each rank enqueues only its own keys into its own bank
      (SNCLR's released code), so the bank reaches back ``size / B`` steps
      and the ranks' banks differ: neighbours must be exchanged as vectors.
      It needs DDP's ``broadcast_buffers=False`` (mmengine's default), or
      rank 0's bank would overwrite the others.  For checkpoints, rank 0's
      ``state_dict()`` then also holds every rank's bank (``rank_banks``,
      ``rank_ids``, ``rank_ptrs``, stacked in rank order), and loading gives
      each rank its own: resuming on the same number of ranks continues
      exactly.  Collecting them is a collective, but mmengine's
      ``Runner.save_checkpoint`` runs on rank 0 only, so every rank first
      calls :meth:`collect_rank_state` (``AtomicCheckpointHook`` does it
      before each save, see :func:`rank_states_collected`); without it,
      ``state_dict()`` never blocks and holds rank 0's bank only (a resume
      from it warns).  The checkpoint grows by ``G`` banks (``G * size * dim * 4``
      bytes).

    Args:
        size: Number of entries.
        dim: Feature dimension.
        chunk_size: Rows per chunk in the search (``None``: the whole bank in
            one matrix product).  Exact for any value; bounds the memory of
            the ``(B, chunk)`` similarity block.
        exclude_self: In :meth:`search`, skip entries whose id equals the
            query's id (a sample's own stale projection from an earlier
            epoch, which would otherwise be its nearest "neighbour").
        seed: Seed of the initial random bank.
        scope: ``'global'`` (default) or ``'local'``, see above.
        init_cfg: Unused (no learnable weights); kept for BaseModule.
    """

    #: State-dict entries that loading accepts but ``state_dict()`` holds only
    #: after :meth:`collect_rank_state` (see StrictResumeHook).
    optional_state_keys = _RANK_KEYS

    def __init__(self,
                 size: int = 65536,
                 dim: int = 256,
                 chunk_size: Optional[int] = None,
                 exclude_self: bool = True,
                 seed: int = 0,
                 scope: str = 'global',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if scope not in SCOPES:
            raise ValueError(f'NeighborBank: scope must be one of {SCOPES}, got {scope!r}')
        if not isinstance(size, int) or size < 1:
            raise ValueError(f'NeighborBank: size must be a positive int, got {size!r}')
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f'NeighborBank: dim must be a positive int, got {dim!r}')
        if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
            raise ValueError(f'NeighborBank: chunk_size must be a positive int or None, '
                             f'got {chunk_size!r}')
        self.size, self.dim, self.scope = size, dim, scope
        self.chunk_size = chunk_size
        self.exclude_self = exclude_self
        init = torch.randn(size, dim, generator=torch.Generator().manual_seed(seed))
        self.register_buffer('bank', F.normalize(init, dim=1))
        self.register_buffer('ids', torch.full((size,), -1, dtype=torch.long))
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long))
        self._rank_state: Optional[dict] = None  # collect_rank_state()'s stack, rank 0

    def _check_keys(self, name: str, feats: Tensor) -> None:
        if feats.dim() != 2 or feats.size(1) != self.dim:
            raise ValueError(f'NeighborBank: {name} must be (B, {self.dim}), '
                             f'got {tuple(feats.shape)}')

    @torch.no_grad()
    def search(self, query: Tensor, k: int,
               query_ids: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Top-``k`` cosine neighbours of ``query`` in the bank.

        Args:
            query: ``(B, dim)`` features (normalised here).
            k: Number of neighbours (``0`` gives empty results).
            query_ids: ``(B,)`` sample ids, used when ``exclude_self``.

        Returns:
            ``(similarity (B, k), index (B, k), neighbours (B, k, dim))``, the
            neighbours being the (unit-norm) bank rows, in the query's dtype.
        """
        self._check_keys('query', query)
        out_dtype = query.dtype
        # Cast to the bank's dtype (under autocast the product may still run in half).
        query = F.normalize(query.detach().to(self.bank.dtype), dim=1)
        use_ids = self.exclude_self and query_ids is not None
        sim, idx = topk_cosine_neighbors(
            query, self.bank, k, chunk_size=self.chunk_size,
            query_ids=query_ids.to(self.ids.device).long() if use_ids else None,
            bank_ids=self.ids if use_ids else None, normalized=True)
        return sim, idx, self.rows(idx, out_dtype)

    @torch.no_grad()
    def rows(self, index: Tensor, dtype: Optional[torch.dtype] = None) -> Tensor:
        """Bank rows at ``index`` (any shape), shaped ``index.shape + (dim,)``."""
        out = self.bank[index.reshape(-1)].reshape(*index.shape, self.dim)
        return out if dtype is None else out.to(dtype)

    @torch.no_grad()
    def enqueue(self, keys: Tensor, ids: Optional[Tensor] = None,
                gather: Optional[bool] = None) -> None:
        """Write ``keys`` (normalised here) at the pointer, oldest out first.

        Args:
            keys: ``(B, dim)`` momentum projections of this rank.
            ids: ``(B,)`` their sample ids (``None``: ``-1``, unknown).
            gather: Gather ``keys``/``ids`` of all ranks first (rank order;
                every rank must pass the same batch size, as with
                ``drop_last=True``).  ``None``: gather in scope
                ``'global'``, not in ``'local'``.  Pass ``False`` when
                already gathered.  ``True`` is an error in scope ``'local'``.
        """
        if gather is None:
            gather = self.scope == 'global'
        elif gather and self.scope == 'local':
            raise ValueError("NeighborBank: scope 'local' enqueues this rank's keys only; "
                             'gather=True contradicts it')
        self._check_keys('keys', keys)
        if ids is None:
            ids = torch.full((keys.size(0),), -1, dtype=torch.long, device=keys.device)
        elif ids.shape != (keys.size(0),):
            raise ValueError(f'NeighborBank: ids must have shape ({keys.size(0)},), '
                             f'got {tuple(ids.shape)}')
        keys = F.normalize(keys.detach().float(), dim=1)
        ids = ids.to(keys.device).long()
        if gather:
            keys, ids = concat_all_gather(keys), concat_all_gather(ids)
        num = keys.size(0)
        if num == 0:
            return
        start = int(self.ptr)
        if num > self.size:  # only the newest `size` keys survive
            keys, ids = keys[num - self.size:], ids[num - self.size:]
            start = (start + num - self.size) % self.size
        rows = (start + torch.arange(keys.size(0), device=self.bank.device)) % self.size
        self.bank[rows] = keys.to(self.bank.device, self.bank.dtype)
        self.ids[rows] = ids.to(self.ids.device)
        self.ptr[0] = (int(self.ptr) + num) % self.size

    def collect_rank_state(self) -> None:
        """Gather every rank's local bank for rank 0's next ``state_dict()``.

        A collective: every rank must call it (a no-op for scope 'global'
        and single processes).  The stack stays on rank 0 until the next
        ``state_dict()`` or :meth:`release_rank_state`.
        """
        rank, world = get_dist_info()
        if self.scope != 'local' or world == 1:
            return
        banks = stack_on_rank0(self.bank)
        ids = concat_all_gather(self.ids[None]).cpu()
        ptrs = concat_all_gather(self.ptr).cpu()
        self._rank_state = dict(rank_banks=banks, rank_ids=ids, rank_ptrs=ptrs) \
            if rank == 0 else None

    def release_rank_state(self) -> None:
        """Drop what :meth:`collect_rank_state` gathered (rank 0's memory)."""
        self._rank_state = None

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        rank, world = get_dist_info()
        if self.scope != 'local' or world == 1 or rank != 0:
            return
        state, self._rank_state = self._rank_state, None
        if state is not None:  # else rank 0's bank only: loading it says so
            destination.update({prefix + k: v for k, v in state.items()})

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        peers = {k: state_dict.pop(prefix + k) for k in _RANK_KEYS if prefix + k in state_dict}
        rank, world = get_dist_info()
        if self.scope == 'local' and len(peers) == len(_RANK_KEYS):
            saved_world = peers['rank_ptrs'].numel()
            src = rank % saved_world
            if saved_world != world:
                print_log(f'NeighborBank: the checkpoint holds the local banks of '
                          f'{saved_world} ranks, this run has {world}; rank {rank} takes '
                          f'bank {src}, so the run does not continue exactly.',
                          logger='current', level=logging.WARNING)
            state_dict[prefix + 'bank'] = peers['rank_banks'][src]
            state_dict[prefix + 'ids'] = peers['rank_ids'][src]
            state_dict[prefix + 'ptr'] = peers['rank_ptrs'][src:src + 1]
        elif peers:
            print_log(f"NeighborBank: the checkpoint holds per-rank local banks; this "
                      f"{self.scope!r} bank loads the one saved as `bank` (rank 0's).",
                      logger='current', level=logging.WARNING)
        elif self.scope == 'local' and world > 1 and prefix + 'bank' in state_dict:
            print_log('NeighborBank: the checkpoint holds one bank (a global-scope or '
                      'single-process run); every rank starts its local bank from it.',
                      logger='current', level=logging.WARNING)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return (f'size={self.size}, dim={self.dim}, chunk_size={self.chunk_size}, '
                f'exclude_self={self.exclude_self}, scope={self.scope!r}')


@contextmanager
def rank_states_collected(model: torch.nn.Module) -> Iterator[None]:
    """Collect the per-rank state of every :class:`NeighborBank` in ``model``
    for a checkpoint that rank 0 writes inside the block.

    A collective: every rank must enter it, with the same model.  Whatever
    the block did not consume is released on exit.
    """
    banks = [m for m in model.modules() if isinstance(m, NeighborBank)]
    for bank in banks:
        bank.collect_rank_state()
    try:
        yield
    finally:
        for bank in banks:
            bank.release_rank_state()
