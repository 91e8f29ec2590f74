"""SNCLR loss forms and positiveness maths, against independent references."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmccrop.functional.snclr_loss import (
    attention_positiveness,
    cosine_positiveness,
    snclr_loss_code,
    snclr_loss_paper,
    threshold_positiveness,
)

T = 0.2


def _inputs(b=4, n=8, k=3, d=16, offset=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    query = F.normalize(torch.randn(b, d, generator=g), dim=1)
    keys = F.normalize(torch.randn(n, d, generator=g), dim=1)
    nbrs = F.normalize(torch.randn(n, k, d, generator=g), dim=2)
    w = torch.rand(b, k, generator=g)
    pos = torch.arange(b) + offset  # e.g. rank 1 of a gathered batch
    return query, keys, nbrs, w, pos


@pytest.mark.parametrize('form', ['paper', 'code'])
def test_k_zero_is_plain_infonce(form):
    query, keys, _, _, pos = _inputs()
    nbrs, w = keys.new_zeros(keys.size(0), 0, keys.size(1)), query.new_zeros(query.size(0), 0)
    ref = F.cross_entropy(query @ keys.t() / T, pos)
    if form == 'paper':
        torch.testing.assert_close(snclr_loss_paper(query, keys, nbrs, w, pos, T), ref)
    else:
        torch.testing.assert_close(snclr_loss_code(query, keys, nbrs, w, pos, T), 2 * T * ref)


@pytest.mark.parametrize('form', ['paper', 'code'])
def test_zero_weights_is_infonce_with_neighbours_as_negatives(form):
    query, keys, nbrs, w, pos = _inputs()
    w = torch.zeros_like(w)
    # Independent layout: keys first, then all neighbours; one positive (own key).
    cands = torch.cat([keys, nbrs.reshape(-1, keys.size(1))])
    ref = F.cross_entropy(query @ cands.t() / T, pos)
    fn = snclr_loss_paper if form == 'paper' else snclr_loss_code
    scale = 1.0 if form == 'paper' else 2 * T
    torch.testing.assert_close(fn(query, keys, nbrs, w, pos, T), scale * ref)


def test_paper_form_matches_explicit_sums():
    query, keys, nbrs, w, pos = _inputs(seed=3)
    total = 0.0
    for b in range(query.size(0)):
        q = query[b].double()
        own = [keys[pos[b]]] + list(nbrs[pos[b]])
        weights = [1.0] + w[b].tolist()
        num = sum(wi * math.exp(float(q @ c.double()) / T) for wi, c in zip(weights, own))
        den = sum(math.exp(float(q @ c.double()) / T)
                  for n in range(keys.size(0)) for c in [keys[n]] + list(nbrs[n]))
        total += -math.log(num / den)
    ref = total / query.size(0)
    got = snclr_loss_paper(query, keys, nbrs, w, pos, T)
    assert abs(float(got) - ref) < 1e-4


def test_code_form_matches_dense_soft_target():
    query, keys, nbrs, w, pos = _inputs(seed=4)
    b, (n, k, d) = query.size(0), nbrs.shape
    # Dense target laid out per key: [key, nbr_1..nbr_K], as the authors build it.
    target = torch.zeros(b, n, k + 1)
    target[torch.arange(b), pos, 0] = 1
    target[torch.arange(b), pos, 1:] = w
    cands = torch.cat([keys[:, None], nbrs], 1).reshape(-1, d)
    logp = (query @ cands.t() / T).log_softmax(1)
    ref = (-(logp * target.reshape(b, -1)).sum(1)).mean() * 2 * T
    torch.testing.assert_close(snclr_loss_code(query, keys, nbrs, w, pos, T), ref)


def test_weights_help_and_gradients_are_finite_at_zero():
    query, keys, nbrs, w, pos = _inputs(seed=5)
    # More weight on positives can only raise the paper form's numerator.
    base = snclr_loss_paper(query, keys, nbrs, torch.zeros_like(w), pos, T)
    assert float(snclr_loss_paper(query, keys, nbrs, w, pos, T)) < float(base)
    w = w.clone()
    w[:, 0] = 0  # thresholded-out neighbours
    w.requires_grad_(True)
    q = query.clone().requires_grad_(True)
    for fn in (snclr_loss_paper, snclr_loss_code):
        loss = fn(q, keys, nbrs, w, pos, T)
        gq, gw = torch.autograd.grad(loss, [q, w])
        assert torch.isfinite(loss) and torch.isfinite(gq).all() and torch.isfinite(gw).all()
        assert float(gw.abs().sum()) > 0  # the weights are not detached


def test_loss_input_errors():
    query, keys, nbrs, w, pos = _inputs()
    with pytest.raises(ValueError, match='pos_index'):
        snclr_loss_code(query, keys, nbrs, w, pos + 10, T)
    with pytest.raises(ValueError, match='weights'):
        snclr_loss_paper(query, keys, nbrs, w[:, :2], pos, T)
    with pytest.raises(ValueError, match='temperature'):
        snclr_loss_paper(query, keys, nbrs, w, pos, 0.0)


def test_cosine_positiveness():
    g = torch.Generator().manual_seed(6)
    anchor = torch.randn(5, 8, generator=g, requires_grad=True)
    nbrs = torch.randn(5, 4, 8, generator=g)
    w = cosine_positiveness(anchor, nbrs)
    cos = F.cosine_similarity(anchor[:, None].detach(), nbrs, dim=2)
    torch.testing.assert_close(w.detach(), cos.softmax(1))
    torch.testing.assert_close(w.sum(1), torch.ones(5))
    assert w.requires_grad and not cosine_positiveness(anchor, nbrs, detach=True).requires_grad
    wt = cosine_positiveness(anchor, nbrs, threshold=True)
    keep = w > 0.25
    assert torch.equal(wt == 0, ~keep) and torch.equal(wt[keep], w[keep])
    assert cosine_positiveness(anchor, nbrs[:, :0]).shape == (5, 0)


def test_attention_positiveness_and_threshold():
    g = torch.Generator().manual_seed(7)
    a, n = torch.randn(3, 6, generator=g), torch.randn(3, 4, 6, generator=g)
    gamma = torch.tensor([1.0, 2.0, 4.0, 8.0])
    w = attention_positiveness(a, n, gamma)
    ref = (torch.einsum('bc,bkc->bk', a, n) / math.sqrt(6)).softmax(1) / gamma
    torch.testing.assert_close(w, ref)
    w = torch.tensor([[0.125, 0.25, 0.25, 0.375]])  # exact in binary
    # w <= 1/K is zeroed, 1/K itself included; kept values unchanged.
    assert threshold_positiveness(w).tolist() == [[0.0, 0.0, 0.0, 0.375]]


@pytest.mark.parametrize('fn', [snclr_loss_paper, snclr_loss_code])
def test_half_precision_inputs_give_fp32_loss(fn):
    query, keys, nbrs, w, pos = _inputs(n=64, k=5, seed=8)
    ref = fn(query, keys, nbrs, w, pos, T)
    half = fn(query.bfloat16(), keys.bfloat16(), nbrs.bfloat16(), w.bfloat16(), pos, T)
    assert half.dtype == torch.float32
    # Only the inputs were rounded to bf16: the softmax itself is fp32.
    assert abs(float(half) - float(ref)) < 0.05 * float(ref)
