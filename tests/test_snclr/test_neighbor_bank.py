"""NeighborBank: FIFO writes, exclusion, checkpoint round trip."""
import pytest
import torch
import torch.nn.functional as F

from mmccrop.models.utils.neighbor_bank import NeighborBank
from mmccrop.registry import MODELS


def _keys(n, d=4, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_fifo_with_wrap_around_and_ids():
    bank = MODELS.build(dict(type='NeighborBank', size=10, dim=4))
    assert isinstance(bank, NeighborBank)
    assert set(bank.state_dict()) == {'bank', 'ids', 'ptr'}
    a, b, c = _keys(4, seed=1), _keys(4, seed=2), _keys(4, seed=3)
    bank.enqueue(a, torch.arange(4))
    bank.enqueue(b, torch.arange(4, 8))
    assert int(bank.ptr) == 8
    bank.enqueue(c, torch.arange(8, 12))  # rows 8, 9, then 0, 1
    assert int(bank.ptr) == 2
    torch.testing.assert_close(bank.bank[8:10], F.normalize(c[:2], dim=1))
    torch.testing.assert_close(bank.bank[0:2], F.normalize(c[2:], dim=1))
    torch.testing.assert_close(bank.bank[2:4], F.normalize(a[2:], dim=1))
    assert bank.ids.tolist() == [10, 11, 2, 3, 4, 5, 6, 7, 8, 9]
    # More keys than slots: only the newest `size` survive, oldest at ptr.
    d = _keys(13, seed=4)
    bank.enqueue(d, torch.arange(100, 113))
    assert int(bank.ptr) == (2 + 13) % 10
    assert bank.ids[int(bank.ptr)].item() == 103  # oldest survivor
    assert sorted(bank.ids.tolist()) == list(range(103, 113))
    torch.testing.assert_close(bank.bank[bank.ids == 112][0], F.normalize(d[12], dim=0))


def test_search_returns_bank_rows_and_excludes_own_ids():
    bank = NeighborBank(size=8, dim=4, exclude_self=True)
    keys = _keys(8, seed=5)
    bank.enqueue(keys, torch.arange(8))
    sim, idx, nbrs = bank.search(keys[:3] * 5.0, k=2, query_ids=torch.arange(3))
    assert nbrs.shape == (3, 2, 4)
    torch.testing.assert_close(nbrs, bank.bank[idx])
    assert not bool((bank.ids[idx] == torch.arange(3)[:, None]).any())
    # Without ids (or with exclude_self=False) a stored key is its own top-1.
    _, idx_plain, _ = bank.search(keys[:3], k=2)
    assert idx_plain[:, 0].tolist() == [0, 1, 2]
    keep = NeighborBank(size=8, dim=4, exclude_self=False)
    keep.load_state_dict(bank.state_dict())
    assert keep.search(keys[:3], 2, torch.arange(3))[1][:, 0].tolist() == [0, 1, 2]
    assert bank.search(keys[:3], 0)[2].shape == (3, 0, 4)


def test_bad_arguments():
    with pytest.raises(ValueError, match='size'):
        NeighborBank(size=0, dim=4)
    bank = NeighborBank(size=8, dim=4)
    with pytest.raises(ValueError, match=r'\(B, 4\)'):
        bank.enqueue(torch.randn(2, 5))
    with pytest.raises(ValueError, match='ids'):
        bank.enqueue(torch.randn(2, 4), torch.arange(3))


def test_save_load_continue_bit_for_bit(tmp_path):
    torch.manual_seed(0)
    a = NeighborBank(size=16, dim=8, chunk_size=5)
    for step in range(3):
        a.enqueue(_keys(6, 8, seed=step), torch.arange(6) + 6 * step)
    path = tmp_path / 'bank.pth'
    torch.save(a.state_dict(), path)

    b = NeighborBank(size=16, dim=8, chunk_size=5, seed=1)  # another initial bank
    assert not torch.equal(a.bank, b.bank) and not torch.equal(a.ids, b.ids)
    b.load_state_dict(torch.load(path, weights_only=True))
    for step in range(3, 6):  # continue both identically
        q, ids = _keys(6, 8, seed=step), torch.arange(6) + 6 * step
        ra, rb = a.search(q, 3, ids), b.search(q, 3, ids)
        for x, y in zip(ra, rb):
            assert torch.equal(x, y)
        a.enqueue(q, ids)
        b.enqueue(q, ids)
    for name in ('bank', 'ids', 'ptr'):
        assert torch.equal(getattr(a, name), getattr(b, name)), name


def test_initial_bank_is_seeded_not_global_rng():
    torch.manual_seed(1)
    a = NeighborBank(size=32, dim=8)
    torch.manual_seed(2)
    b = NeighborBank(size=32, dim=8)
    assert torch.equal(a.bank, b.bank)  # ranks start identical whatever their RNG
    torch.testing.assert_close(a.bank.norm(dim=1), torch.ones(32))
    assert not torch.equal(a.bank, NeighborBank(size=32, dim=8, seed=3).bank)
    idx = torch.tensor([[3, 1], [0, 31]])
    assert a.rows(idx).shape == (2, 2, 8) and torch.equal(a.rows(idx)[1, 1], a.bank[31])


def test_local_scope_in_one_process_and_its_checkpoint_entries():
    local = MODELS.build(dict(type='NeighborBank', size=6, dim=4, scope='local'))
    assert local.scope == 'local' and "scope='local'" in repr(local)
    local.enqueue(_keys(4, seed=1), torch.arange(4))  # own keys, no gather needed
    assert int(local.ptr) == 4 and local.ids.tolist()[:4] == [0, 1, 2, 3]
    # One process: the state dict is the plain one, as for a global bank.
    assert set(local.state_dict()) == {'bank', 'ids', 'ptr'}
    with pytest.raises(ValueError, match="scope 'local'"):
        local.enqueue(_keys(2, seed=2), gather=True)
    with pytest.raises(ValueError, match='scope'):
        NeighborBank(size=6, dim=4, scope='rank')


def test_loading_per_rank_banks_of_a_multi_rank_checkpoint():
    # A 2-rank local checkpoint: `bank` is rank 0's, `rank_*` hold both.
    ranks = [NeighborBank(size=6, dim=4, scope='local', seed=s) for s in (0, 1)]
    for r, bank in enumerate(ranks):
        bank.enqueue(_keys(3 + r, seed=10 + r), torch.arange(3 + r) + 10 * r)
    state = dict(ranks[0].state_dict())
    state['rank_banks'] = torch.stack([b.bank for b in ranks])
    state['rank_ids'] = torch.stack([b.ids for b in ranks])
    state['rank_ptrs'] = torch.cat([b.ptr for b in ranks])

    # One process resumes rank 0's bank (with a warning that it is not exact).
    single = NeighborBank(size=6, dim=4, scope='local', seed=5)
    assert single.load_state_dict(dict(state), strict=True) is not None
    for name in ('bank', 'ids', 'ptr'):
        assert torch.equal(getattr(single, name), getattr(ranks[0], name)), name
    # A global bank takes the plain `bank` entry; the per-rank ones are consumed.
    glob = NeighborBank(size=6, dim=4, seed=5)
    glob.load_state_dict(dict(state), strict=True)
    assert torch.equal(glob.bank, ranks[0].bank) and torch.equal(glob.ids, ranks[0].ids)
