"""Cross-rank helpers on a real 2-process gloo group."""
import os
import socket
import tempfile

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from mmccrop.functional.contrastive import nt_xent
from mmccrop.functional.dist import (
    all_gather_with_grad,
    batch_shuffle_ddp,
    batch_unshuffle_ddp,
    concat_all_gather,
)

WORLD, N, D = 2, 3, 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _data():
    g = torch.Generator().manual_seed(0)
    z1 = F.normalize(torch.randn(WORLD * N, D, generator=g, dtype=torch.float64), dim=1)
    z2 = F.normalize(torch.randn(WORLD * N, D, generator=g, dtype=torch.float64), dim=1)
    return z1, z2


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        z1_all, z2_all = _data()
        sl = slice(rank * N, (rank + 1) * N)
        z1 = z1_all[sl].clone().requires_grad_()
        z2 = z2_all[sl].clone().requires_grad_()
        g1, g2 = all_gather_with_grad(z1), all_gather_with_grad(z2)
        loss = nt_xent(z1, z2, 0.5, g1, g2, offset=rank * N)
        loss.backward()

        x = torch.arange(N * 2, dtype=torch.float64).reshape(N, 2) + 100 * rank
        shuffled, idx = batch_shuffle_ddp(x)
        restored = batch_unshuffle_ddp(shuffled * 2, idx)
        torch.save(dict(loss=loss.detach(), grad1=z1.grad, grad2=z2.grad,
                        gathered=concat_all_gather(x), shuffled=shuffled,
                        restored=restored, x=x),
                   os.path.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


@pytest.mark.dist
def test_gather_shuffle_and_grad_on_two_ranks():
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_worker, args=(_free_port(), tmp), nprocs=WORLD, join=True)
        res = [torch.load(os.path.join(tmp, f'rank{r}.pth')) for r in range(WORLD)]

    # Reference: one process holding the global batch.
    z1, z2 = _data()
    z1.requires_grad_()
    z2.requires_grad_()
    ref = nt_xent(z1, z2, 0.5)
    ref.backward()
    # Mean of rank losses = global loss; local grads = W * global grads (DDP then
    # divides by W when averaging parameter gradients).
    assert torch.stack([r['loss'] for r in res]).mean().item() == pytest.approx(ref.item())
    for rank, r in enumerate(res):
        sl = slice(rank * N, (rank + 1) * N)
        torch.testing.assert_close(r['grad1'], WORLD * z1.grad[sl])
        torch.testing.assert_close(r['grad2'], WORLD * z2.grad[sl])

    xs = torch.cat([r['x'] for r in res])
    for r in res:
        torch.testing.assert_close(r['gathered'], xs)  # rank order
        torch.testing.assert_close(r['restored'], r['x'] * 2)  # unshuffle undoes shuffle
    # The shuffled slices partition the global batch.
    shuffled = torch.cat([r['shuffled'] for r in res])
    assert sorted(shuffled[:, 0].tolist()) == sorted(xs[:, 0].tolist())


def _moco_worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        from mmccrop.registry import MODELS
        torch.manual_seed(0)  # same initial weights and queue on both ranks
        model = MODELS.build(dict(
            type='MoCoV2', queue_len=10, feat_dim=8, momentum=0.9, shuffle_bn=True,
            backbone=dict(type='CIFARResNet', depth=18, base_channels=8, out_indices=(3, ),
                          norm_eval=False),
            neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=16, out_channels=8),
            head=dict(type='ContrastiveHead', loss=dict(type='InfoNCELoss', temperature=0.2))))
        model.init_weights()
        model.train()
        g = torch.Generator().manual_seed(rank)
        views = [torch.randn(N, 3, 16, 16, generator=g) for _ in range(2)]
        loss = model.loss(views)['loss']
        loss.backward()
        torch.save(dict(queue=model.queue, ptr=model.queue_ptr, loss=loss.detach()),
                   os.path.join(out_dir, f'moco{rank}.pth'))
    finally:
        dist.destroy_process_group()


@pytest.mark.dist
def test_mocov2_enqueues_keys_of_all_ranks():
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_moco_worker, args=(_free_port(), tmp), nprocs=WORLD, join=True)
        res = [torch.load(os.path.join(tmp, f'moco{r}.pth')) for r in range(WORLD)]
    for r in res:
        assert r['ptr'].item() == WORLD * N  # both ranks' keys went in
        assert torch.isfinite(r['loss'])
    torch.testing.assert_close(res[0]['queue'], res[1]['queue'], rtol=0, atol=0)
    # The written rows are unit keys, different for the two ranks' images.
    keys = res[0]['queue'][:WORLD * N]
    torch.testing.assert_close(keys.norm(dim=1), torch.ones(WORLD * N))
    assert not torch.allclose(keys[:N], keys[N:])
