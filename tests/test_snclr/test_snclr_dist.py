"""SNCLR on a real 2-process gloo group vs 1 process with the doubled batch."""
import os
import socket
import tempfile

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD, N = 2, 3  # per-rank batch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _keys(seed, n=WORLD * N, d=8):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def _run_bank_and_model(rank: int, world: int, out_dir: str) -> None:
    """Same steps on any world size: each rank takes its slice of the batch."""
    from mmccrop.models.utils.neighbor_bank import NeighborBank
    from mmccrop.registry import MODELS

    from ._tiny import tiny_batch, tiny_snclr_cfg

    n = WORLD * N // world
    sl = slice(rank * n, (rank + 1) * n)
    torch.manual_seed(0)
    bank = NeighborBank(size=10, dim=8)
    for step in range(3):  # 3 x 6 keys through a 10-entry bank: wraps around
        bank.enqueue(_keys(step)[sl], torch.arange(WORLD * N)[sl] + 100 * step)

    torch.manual_seed(0)
    # GroupNorm/LayerNorm: outputs do not depend on how the batch is split.
    model = MODELS.build(tiny_snclr_cfg('code', topk=2, bank_size=8, norm='GN'))
    model.init_weights()
    losses = []
    for step in range(2):
        views, samples = tiny_batch(n=WORLD * N, seed=step, first_id=10 * step)
        views = [v[sl] for v in views]
        out = model(views, samples[sl], mode='loss')
        out['loss'].backward()
        losses.append(out['loss'].detach())
    grad = model.backbone.conv1.weight.grad.clone()
    torch.save(dict(bank=bank.bank, ids=bank.ids, ptr=bank.ptr, model_bank=model.bank.bank,
                    model_ids=model.bank.ids, model_ptr=model.bank.ptr,
                    losses=torch.stack(losses), grad=grad),
               os.path.join(out_dir, f'world{world}_rank{rank}.pth'))


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        _run_bank_and_model(rank, WORLD, out_dir)
    finally:
        dist.destroy_process_group()


@pytest.mark.dist
@pytest.mark.slow
def test_two_ranks_fill_the_bank_like_one_process_with_doubled_batch():
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_worker, args=(_free_port(), tmp), nprocs=WORLD, join=True)
        _run_bank_and_model(0, 1, tmp)
        load = lambda name: torch.load(os.path.join(tmp, name), weights_only=True)  # noqa: E731
        ref, r0, r1 = load('world1_rank0.pth'), load('world2_rank0.pth'), load('world2_rank1.pth')

    for res in (r0, r1):
        # Plain bank: identical on both ranks and to the single process.
        for key in ('bank', 'ids', 'ptr'):
            assert torch.equal(res[key], ref[key]), key
        # Model bank: the same set of (id, key) entries in the same slots.
        assert torch.equal(res['model_ids'], ref['model_ids'])
        assert torch.equal(res['model_ptr'], ref['model_ptr'])
        torch.testing.assert_close(res['model_bank'], ref['model_bank'], atol=1e-5, rtol=0)
    assert sorted(ref['model_ids'].tolist())[-6:] == list(range(10, 16))
    # The mean of the two ranks' losses is the 1-process loss (global masks),
    # and the summed gradient (DDP would average it) matches too.
    torch.testing.assert_close((r0['losses'] + r1['losses']) / 2, ref['losses'],
                               atol=1e-5, rtol=1e-5)
    torch.testing.assert_close((r0['grad'] + r1['grad']) / 2, ref['grad'], atol=1e-5, rtol=1e-4)
