import pytest
import torch
import torch.nn.functional as F

from mmccrop.functional.knn import knn_classify


def _reference(bank, labels, query, num_classes, k, t):
    bank, query = F.normalize(bank, dim=1), F.normalize(query, dim=1)
    out = []
    for q in query:
        sim = bank @ q
        top = sim.topk(k)
        votes = torch.zeros(num_classes)
        for s, i in zip(top.values, top.indices):
            votes[labels[i]] += torch.exp(s / t)
        out.append(int(votes.argmax()))
    return torch.tensor(out)


@pytest.mark.parametrize('chunk', [1, 7, 1000])
def test_matches_per_query_reference(chunk):
    g = torch.Generator().manual_seed(0)
    bank, query = torch.randn(120, 16, generator=g), torch.randn(33, 16, generator=g)
    labels = torch.randint(0, 5, (120,), generator=g)
    got = knn_classify(bank, labels, query, 5, k=10, temperature=0.1, chunk_size=chunk)
    assert torch.equal(got, _reference(bank, labels, query, 5, 10, 0.1))


def test_separable_clusters_are_classified_perfectly():
    g = torch.Generator().manual_seed(1)
    centres = torch.eye(4, 32) * 10
    labels = torch.arange(4).repeat_interleave(25)
    bank = centres[labels] + torch.randn(100, 32, generator=g)
    qlabels = torch.arange(4).repeat(5)
    query = centres[qlabels] + torch.randn(20, 32, generator=g)
    pred = knn_classify(bank, labels, query, 4, k=200)  # k clipped to 100
    assert torch.equal(pred, qlabels)


def test_bad_arguments_are_named():
    bank, labels = torch.randn(4, 3), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match='k must'):
        knn_classify(bank, labels, bank, 2, k=0)
    with pytest.raises(ValueError, match='temperature'):
        knn_classify(bank, labels, bank, 2, temperature=0)
    with pytest.raises(ValueError, match='train_labels'):
        knn_classify(bank, labels[:3], bank, 2)


@pytest.mark.parametrize('chunk', [1, 3, 256])
def test_self_retrieval_top1_counts_own_matches(chunk):
    from mmccrop.functional.knn import self_retrieval_top1
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(8, 32, generator=g)
    assert self_retrieval_top1(feats, 5 * feats, chunk_size=chunk) == 1.0  # scale-free
    assert self_retrieval_top1(feats, feats.roll(1, 0), chunk_size=chunk) == 0.0
    gallery = feats.clone()
    gallery[4:] = gallery[4:].roll(1, 0)  # rows 4-7 now point at each other's query
    assert self_retrieval_top1(feats, gallery, chunk_size=chunk) == 0.5


def test_self_retrieval_top1_rejects_unpaired_inputs():
    from mmccrop.functional.knn import self_retrieval_top1
    with pytest.raises(ValueError, match=r'\(4, 3\) and \(5, 3\)'):
        self_retrieval_top1(torch.zeros(4, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match='at least one'):
        self_retrieval_top1(torch.zeros(0, 3), torch.zeros(0, 3))
