"""Cross-rank helpers for contrastive losses (plain ``torch.distributed``).

Every function is a no-op (returns its input) when ``torch.distributed`` is not
initialised or there is one process, so single-process code runs unchanged.
All ranks must pass tensors of the same shape (use ``drop_last=True`` in the
training data loader, as the configs do).
"""
from typing import Optional, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

__all__ = [
    'get_dist_info', 'all_gather_with_grad', 'concat_all_gather', 'stack_on_rank0',
    'batch_shuffle_ddp', 'batch_unshuffle_ddp'
]


def get_dist_info() -> Tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` without an initialised process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class _AllGatherWithGrad(torch.autograd.Function):
    """Concatenate a tensor from all ranks; the backward returns this rank's
    slice of the gradient summed over all ranks, i.e. the exact gradient of the
    sum of every rank's loss with respect to the local input."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # type: ignore[override]
        world = dist.get_world_size()
        out = x.new_empty((world * x.size(0), *x.shape[1:]))
        dist.all_gather_into_tensor(out, x.contiguous())
        ctx.rank, ctx.n = dist.get_rank(), x.size(0)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # type: ignore[override]
        grad = grad.contiguous()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.rank * ctx.n:(ctx.rank + 1) * ctx.n]


def all_gather_with_grad(x: Tensor) -> Tensor:
    """``torch.cat`` of ``x`` over ranks (rank order) with gradient to the local slice.

    With DDP (which averages parameter gradients over ranks) this gives the
    gradient of the mean of all ranks' losses, as one big-batch run would.
    """
    if get_dist_info()[1] == 1:
        return x
    return _AllGatherWithGrad.apply(x)


@torch.no_grad()
def concat_all_gather(x: Tensor) -> Tensor:
    """``torch.cat`` of ``x`` over ranks (rank order), without gradient."""
    if get_dist_info()[1] == 1:
        return x
    out = x.new_empty((dist.get_world_size() * x.size(0), *x.shape[1:]))
    dist.all_gather_into_tensor(out, x.contiguous())
    return out


@torch.no_grad()
def stack_on_rank0(x: Tensor) -> Optional[Tensor]:
    """``(world, *x.shape)`` stack of ``x`` from every rank, in rank 0's CPU memory.

    For per-rank state that one file must hold (e.g. per-rank banks in a
    checkpoint written by rank 0).  One broadcast per rank, so each device
    needs one extra copy of ``x`` at a time rather than ``world`` of them.
    Every rank must call it (it is a collective) with the same shape and
    dtype.  Single process: ``x[None]`` on the CPU.

    Returns:
        The stack on rank 0, ``None`` on the other ranks.
    """
    rank, world = get_dist_info()
    if world == 1:
        return x.detach()[None].cpu()
    out = torch.empty((world, *x.shape), dtype=x.dtype) if rank == 0 else None
    buf = torch.empty_like(x)
    for src in range(world):
        part = x.detach().contiguous() if src == rank else buf
        dist.broadcast(part, src=src)
        if out is not None:
            out[src].copy_(part)
    return out


@torch.no_grad()
def batch_shuffle_ddp(x: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
    """Shuffle a batch across ranks (MoCo's Shuffle-BN).

    Gathers the global batch, draws one permutation on rank 0, broadcasts it,
    and returns this rank's slice of the shuffled batch together with the index
    that undoes it.  Single process: returns ``(x, None)``.
    """
    rank, world = get_dist_info()
    if world == 1:
        return x, None
    gathered = concat_all_gather(x)
    idx_shuffle = torch.randperm(gathered.size(0), device=x.device)
    dist.broadcast(idx_shuffle, src=0)
    idx_unshuffle = torch.argsort(idx_shuffle)
    n = x.size(0)
    return gathered[idx_shuffle[rank * n:(rank + 1) * n]], idx_unshuffle


@torch.no_grad()
def batch_unshuffle_ddp(x: Tensor, idx_unshuffle: Optional[Tensor]) -> Tensor:
    """Undo :func:`batch_shuffle_ddp` on an output computed from the shuffled batch."""
    if idx_unshuffle is None:
        return x
    rank, _ = get_dist_info()
    gathered = concat_all_gather(x)
    n = x.size(0)
    return gathered[idx_unshuffle[rank * n:(rank + 1) * n]]
