"""SNCLR on a real 2-process gloo group, for both bank scopes.

One spawn serves every test of this module (the workers run all scenarios):

- ``bank_scope='global'``: the banks and losses equal one process with the
  doubled batch.
- ``bank_scope='local'``: each rank's bank holds only its own keys, the loss
  equals a reference assembled here from two per-rank banks, and a
  checkpoint written by rank 0 resumes both ranks exactly.
"""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

WORLD, N = 2, 3  # per-rank batch
BANK, K = 8, 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _keys(seed, n=WORLD * N, d=8):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def _path(out_dir, name, world, rank):
    return os.path.join(out_dir, f'{name}_world{world}_rank{rank}.pth')


def _build(scope, seed=0):
    from mmccrop.registry import MODELS

    from ._tiny import tiny_snclr_cfg

    torch.manual_seed(seed)
    # GroupNorm/LayerNorm: outputs do not depend on how the batch is split.
    model = MODELS.build(tiny_snclr_cfg('code', topk=K, bank_size=BANK, norm='GN',
                                        bank_scope=scope))
    model.init_weights()
    return model


def _run_global(rank: int, world: int, out_dir: str) -> None:
    """Same steps on any world size: each rank takes its slice of the batch."""
    from mmccrop.models.utils.neighbor_bank import NeighborBank

    from ._tiny import tiny_batch

    n = WORLD * N // world
    sl = slice(rank * n, (rank + 1) * n)
    torch.manual_seed(0)
    bank = NeighborBank(size=10, dim=8)
    for step in range(3):  # 3 x 6 keys through a 10-entry bank: wraps around
        bank.enqueue(_keys(step)[sl], torch.arange(WORLD * N)[sl] + 100 * step)

    model = _build('global')
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
               _path(out_dir, 'global', world, rank))


def _run_local(rank: int, out_dir: str) -> None:
    """Three steps with per-rank banks; a checkpoint after step 2 resumes step 3."""
    from mmccrop.models.utils.neighbor_bank import rank_states_collected

    from ._tiny import tiny_batch

    sl = slice(rank * N, (rank + 1) * N)
    model = _build('local')
    losses, ckpt = [], os.path.join(out_dir, 'local_ckpt.pth')
    for step in range(3):
        views, samples = tiny_batch(n=WORLD * N, seed=step, first_id=10 * step)
        views, samples = [v[sl] for v in views], samples[sl]
        if step == 2:  # resume a fresh model (another init) from the checkpoint
            with rank_states_collected(model):  # the collective, on every rank
                # then rank 0 alone writes, as mmengine's master-only save_checkpoint does
                state = model.state_dict() if rank == 0 else {}
            uncollected = model.state_dict()  # never blocks; rank 0's bank only
            torch.save(dict(bank=model.bank.bank.clone(), ids=model.bank.ids.clone(),
                            ptr=model.bank.ptr.clone(),
                            shapes={k: tuple(state[f'bank.{k}'].shape)
                                    for k in ('rank_banks', 'rank_ids', 'rank_ptrs')
                                    if f'bank.{k}' in state},
                            uncollected=sorted(k for k in uncollected if 'rank_' in k)),
                       _path(out_dir, 'local_at_save', WORLD, rank))
            if rank == 0:
                torch.save(state, ckpt)
            dist.barrier()
            resumed = _build('local', seed=1)
            resumed.load_state_dict(torch.load(ckpt, weights_only=True))
            resumed_loss = resumed(views, samples, mode='loss')['loss'].detach()
            resumed_bank = resumed.bank.bank.clone()
        losses.append(model(views, samples, mode='loss')['loss'].detach())
    torch.save(dict(losses=torch.stack(losses), resumed_loss=resumed_loss,
                    resumed_bank=resumed_bank, bank=model.bank.bank, ids=model.bank.ids,
                    ptr=model.bank.ptr),
               _path(out_dir, 'local', WORLD, rank))


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        _run_global(rank, WORLD, out_dir)
        _run_local(rank, out_dir)
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope='module')
def dist_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('snclr_dist'))
    mp.spawn(_worker, args=(_free_port(), out), nprocs=WORLD, join=True)
    return out


def _load(out_dir, name, world, rank):
    return torch.load(_path(out_dir, name, world, rank), weights_only=True)


@pytest.mark.dist
@pytest.mark.slow
def test_global_bank_two_ranks_equal_one_process_with_doubled_batch(dist_dir, one_thread):
    _run_global(0, 1, dist_dir)
    ref = _load(dist_dir, 'global', 1, 0)
    r0, r1 = _load(dist_dir, 'global', WORLD, 0), _load(dist_dir, 'global', WORLD, 1)

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


def _local_reference():
    """Per-rank losses and banks, assembled from the model's parts and two banks."""
    from mmccrop.functional.snclr_loss import snclr_loss_code
    from mmccrop.models.utils.neighbor_bank import NeighborBank

    from ._tiny import tiny_batch

    model = _build('local')
    banks = [NeighborBank(size=BANK, dim=32, scope='local') for _ in range(WORLD)]
    losses = []
    for step in range(3):
        (x1, x2), _ = tiny_batch(n=WORLD * N, seed=step, first_id=10 * step)
        ids = torch.arange(WORLD * N) + 10 * step
        y1, y2 = model.neck(model.backbone(x1))[0], model.neck(model.backbone(x2))[0]
        z1 = F.normalize(model.predictor(y1)[0], dim=1)
        z2 = F.normalize(model.predictor(y2)[0], dim=1)
        with torch.no_grad():
            model.momentum_update()
            k1 = F.normalize(model.momentum_encoder(x1)[0], dim=1)
            k2 = F.normalize(model.momentum_encoder(x2)[0], dim=1)
        sls = [slice(r * N, (r + 1) * N) for r in range(WORLD)]
        # Each rank searches its own bank; the loss sees every rank's neighbours.
        n1 = [banks[r].search(k1[sl], K, ids[sl])[2] for r, sl in enumerate(sls)]
        n2 = [banks[r].search(k2[sl], K, ids[sl])[2] for r, sl in enumerate(sls)]
        step_losses = []
        for r, sl in enumerate(sls):
            pos = torch.arange(N) + r * N
            w1, w2 = model.positiveness(y1[sl], n2[r]), model.positiveness(y2[sl], n1[r])
            step_losses.append(
                snclr_loss_code(z1[sl], k2, torch.cat(n2), w1, pos, 0.2)
                + snclr_loss_code(z2[sl], k1, torch.cat(n1), w2, pos, 0.2))
        for r, sl in enumerate(sls):
            banks[r].enqueue(k2[sl], ids[sl])
        losses.append(torch.stack(step_losses).detach())
    return torch.stack(losses, dim=1), banks


@pytest.mark.dist
@pytest.mark.slow
def test_local_banks_hold_own_keys_and_loss_matches_per_rank_reference(dist_dir, one_thread):
    res = [_load(dist_dir, 'local', WORLD, r) for r in range(WORLD)]
    ref_losses, ref_banks = _local_reference()
    for r in range(WORLD):
        own = {10 * step + r * N + j for step in range(3) for j in range(N)}
        stored = set(res[r]['ids'][res[r]['ids'] >= 0].tolist())
        assert stored and stored <= own, (r, stored)  # only this rank's samples
        assert torch.equal(res[r]['ids'], ref_banks[r].ids)
        assert torch.equal(res[r]['ptr'], ref_banks[r].ptr)
        torch.testing.assert_close(res[r]['bank'], ref_banks[r].bank, atol=1e-5, rtol=0)
        torch.testing.assert_close(res[r]['losses'], ref_losses[r], atol=1e-5, rtol=1e-5)
    assert not torch.equal(res[0]['bank'], res[1]['bank'])
    # A global bank would hold the keys of both ranks: the scopes really differ.
    assert int(res[0]['ptr']) == (3 * N) % BANK


@pytest.mark.dist
@pytest.mark.slow
def test_local_banks_checkpoint_on_rank0_resumes_every_rank_exactly(dist_dir, one_thread):
    state = torch.load(os.path.join(dist_dir, 'local_ckpt.pth'), weights_only=True)
    saved = [_load(dist_dir, 'local_at_save', WORLD, r) for r in range(WORLD)]
    assert state['bank.rank_banks'].shape == (WORLD, BANK, 32)
    for r in range(WORLD):
        # Rank 0's file holds every rank's bank; only rank 0 builds the state.
        assert torch.equal(state['bank.rank_banks'][r], saved[r]['bank'])
        assert torch.equal(state['bank.rank_ids'][r], saved[r]['ids'])
        assert torch.equal(state['bank.rank_ptrs'][r:r + 1], saved[r]['ptr'])
        assert saved[r]['shapes'] == (dict(rank_banks=(WORLD, BANK, 32), rank_ids=(WORLD, BANK),
                                           rank_ptrs=(WORLD, )) if r == 0 else {})
        assert saved[r]['uncollected'] == []  # a state_dict() outside a collection
        res = _load(dist_dir, 'local', WORLD, r)
        assert torch.equal(res['resumed_loss'], res['losses'][2])
        assert torch.equal(res['resumed_bank'], res['bank'])
    assert torch.equal(state['bank.bank'], saved[0]['bank'])
