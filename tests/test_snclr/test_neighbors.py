"""Top-K cosine neighbour search against brute force."""
import pytest
import torch
import torch.nn.functional as F

from mmccrop.functional.neighbors import topk_cosine_neighbors


def _brute_force(query, bank, k, query_ids=None, bank_ids=None):
    sim = F.normalize(query.double(), dim=1) @ F.normalize(bank.double(), dim=1).t()
    if query_ids is not None:
        sim[query_ids[:, None] == bank_ids[None]] = float('-inf')
    # Full sort instead of topk: an independent reference.
    order = sim.argsort(dim=1, descending=True)[:, :k]
    return sim.gather(1, order), order


@pytest.mark.parametrize('chunk_size', [None, 1000, 97, 5])
def test_topk_matches_brute_force(chunk_size):
    g = torch.Generator().manual_seed(0)
    query, bank = torch.randn(13, 16, generator=g), torch.randn(1000, 16, generator=g)
    sim, idx = topk_cosine_neighbors(query, bank, 7, chunk_size=chunk_size)
    ref_sim, ref_idx = _brute_force(query, bank, 7)
    assert sim.shape == idx.shape == (13, 7)
    assert torch.equal(idx, ref_idx)
    torch.testing.assert_close(sim.double(), ref_sim, atol=1e-5, rtol=0)
    # Sorted, best first.
    assert bool((sim[:, :-1] >= sim[:, 1:]).all())


def test_chunk_smaller_than_k_is_still_exact():
    g = torch.Generator().manual_seed(1)
    query, bank = torch.randn(4, 8, generator=g), torch.randn(50, 8, generator=g)
    _, idx = topk_cosine_neighbors(query, bank, 10, chunk_size=3)
    assert torch.equal(idx, _brute_force(query, bank, 10)[1])


@pytest.mark.parametrize('chunk_size', [None, 64])
def test_exclude_own_stale_entry(chunk_size):
    g = torch.Generator().manual_seed(2)
    bank = torch.randn(300, 8, generator=g)
    bank_ids = torch.arange(300) % 150  # each sample id appears twice
    bank_ids[:10] = -1  # unknown entries never match
    # Queries are near-copies of bank rows 20..24, so without exclusion the
    # own entries are the nearest neighbours.
    query = bank[20:25] + 1e-3 * torch.randn(5, 8, generator=g)
    query_ids = bank_ids[20:25].clone()
    _, plain = topk_cosine_neighbors(query, bank, 3, chunk_size=chunk_size)
    assert torch.equal(plain[:, 0], torch.arange(20, 25))
    sim, idx = topk_cosine_neighbors(query, bank, 3, chunk_size=chunk_size,
                                     query_ids=query_ids, bank_ids=bank_ids)
    assert not bool((bank_ids[idx] == query_ids[:, None]).any())
    ref_sim, ref_idx = _brute_force(query, bank, 3, query_ids, bank_ids)
    assert torch.equal(idx, ref_idx)
    torch.testing.assert_close(sim.double(), ref_sim, atol=1e-5, rtol=0)
    # A negative query id excludes nothing.
    _, idx_unknown = topk_cosine_neighbors(query, bank, 3, query_ids=torch.full((5,), -1),
                                           bank_ids=bank_ids)
    assert torch.equal(idx_unknown, plain)


def test_k_zero_and_errors():
    query, bank = torch.randn(3, 4), torch.randn(10, 4)
    sim, idx = topk_cosine_neighbors(query, bank, 0)
    assert sim.shape == idx.shape == (3, 0) and idx.dtype == torch.long
    with pytest.raises(ValueError, match='k=11'):
        topk_cosine_neighbors(query, bank, 11)
    with pytest.raises(ValueError, match='channels'):
        topk_cosine_neighbors(query, torch.randn(10, 5), 2)
    with pytest.raises(ValueError, match='chunk_size'):
        topk_cosine_neighbors(query, bank, 2, chunk_size=0)
    with pytest.raises(ValueError, match='together'):
        topk_cosine_neighbors(query, bank, 2, query_ids=torch.arange(3))


@pytest.mark.parametrize('margin', [0, 2, 4, 100])
def test_exclusion_is_exact_when_many_stale_copies_rank_first(margin):
    # 6 near-copies of query 0 carry its id: they fill its unmasked top-6, so
    # small margins take the re-search path; query 1 has no stale copy.
    g = torch.Generator().manual_seed(3)
    bank = torch.randn(200, 8, generator=g)
    query = torch.randn(2, 8, generator=g)
    bank[50:56] = query[0] + 1e-3 * torch.randn(6, 8, generator=g)
    bank_ids = torch.arange(200) + 1000
    bank_ids[50:56] = 7
    query_ids = torch.tensor([7, 8])
    sim, idx = topk_cosine_neighbors(query, bank, 4, chunk_size=64, query_ids=query_ids,
                                     bank_ids=bank_ids, exclude_margin=margin)
    ref_sim, ref_idx = _brute_force(query, bank, 4, query_ids, bank_ids)
    assert torch.equal(idx, ref_idx)
    torch.testing.assert_close(sim.double(), ref_sim, atol=1e-5, rtol=0)
    assert not bool(((idx >= 50) & (idx < 56)).any())
