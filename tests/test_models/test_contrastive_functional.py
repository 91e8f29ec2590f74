"""Loss maths against direct, loop-based formulas on hand-made tensors."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmccrop.functional.contrastive import cosine_similarity_loss, info_nce, nt_xent
from mmccrop.functional.dist import (
    all_gather_with_grad,
    batch_shuffle_ddp,
    batch_unshuffle_ddp,
    concat_all_gather,
    get_dist_info,
)


def _unit(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(*shape, generator=g, dtype=torch.float64), dim=-1)


def test_info_nce_hand_made_value():
    # Orthonormal vectors: q.k = 1, q.n = 0 -> loss = -log(e^(1/T) / (e^(1/T) + K)).
    q = torch.tensor([[1., 0., 0.]], dtype=torch.float64)
    k = q.clone()
    queue = torch.tensor([[0., 1., 0.], [0., 0., 1.]], dtype=torch.float64)
    t = 0.5
    expected = -math.log(math.exp(2.0) / (math.exp(2.0) + 2))
    assert info_nce(q, k, queue, t).item() == pytest.approx(expected, rel=1e-12)


def test_info_nce_matches_loop_formula():
    q, k, queue, t = _unit(5, 8, seed=1), _unit(5, 8, seed=2), _unit(7, 8, seed=3), 0.2
    total = 0.0
    for i in range(5):
        pos = math.exp(float(q[i] @ k[i]) / t)
        neg = sum(math.exp(float(q[i] @ queue[j]) / t) for j in range(7))
        total += -math.log(pos / (pos + neg))
    assert info_nce(q, k, queue, t).item() == pytest.approx(total / 5, rel=1e-10)


def _nt_xent_loop(z1, z2, t):
    z = torch.cat([z1, z2])
    n2 = z.size(0)
    n = n2 // 2
    total = 0.0
    for i in range(n2):
        pos = (i + n) % n2
        num = math.exp(float(z[i] @ z[pos]) / t)
        den = sum(math.exp(float(z[i] @ z[j]) / t) for j in range(n2) if j != i)
        total += -math.log(num / den)
    return total / n2


def test_nt_xent_matches_loop_formula():
    z1, z2, t = _unit(4, 6, seed=4), _unit(4, 6, seed=5), 0.5
    assert nt_xent(z1, z2, t).item() == pytest.approx(_nt_xent_loop(z1, z2, t), rel=1e-10)


def test_nt_xent_base_temperature_is_the_authors_scaled_loss():
    """ContrastiveCrop's NT-Xent: -(T / base_T) * mean_i log p(positive_i), base_T 0.07."""
    z1 = _unit(4, 6, seed=10).requires_grad_()
    z2 = _unit(4, 6, seed=11).requires_grad_()
    t, base_t = 0.5, 0.07
    expected = (t / base_t) * _nt_xent_loop(z1.detach(), z2.detach(), t)
    scaled = nt_xent(z1, z2, t, base_temperature=base_t)
    assert scaled.item() == pytest.approx(expected, rel=1e-10)
    assert scaled.item() == pytest.approx(7.142857142857 * _nt_xent_loop(z1, z2, t), rel=1e-10)
    # Same minimiser, gradient scaled by exactly T / base_T.
    g_scaled = torch.autograd.grad(scaled, (z1, z2))
    g_plain = torch.autograd.grad(nt_xent(z1, z2, t), (z1, z2))
    for a, b in zip(g_scaled, g_plain):
        torch.testing.assert_close(a, b * (t / base_t), rtol=1e-12, atol=0)
    # The registered loss passes it through; None keeps the plain scale.
    from mmccrop.registry import MODELS
    module = MODELS.build(dict(type='NTXentLoss', temperature=t, base_temperature=base_t))
    assert module(z1, z2).item() == pytest.approx(expected, rel=1e-10)
    plain = MODELS.build(dict(type='NTXentLoss', temperature=t))
    assert plain.base_temperature is None
    assert plain(z1, z2).item() == pytest.approx(_nt_xent_loop(z1, z2, t), rel=1e-10)
    with pytest.raises(ValueError, match='base_temperature'):
        MODELS.build(dict(type='NTXentLoss', temperature=t, base_temperature=0.))


def test_nt_xent_gathered_equals_sum_of_rank_slices():
    """Each rank's loss over gathered keys averages to the single-process loss."""
    z1, z2, t = _unit(6, 5, seed=6), _unit(6, 5, seed=7), 0.3
    full = nt_xent(z1, z2, t)
    per_rank = [nt_xent(z1[r * 2:(r + 1) * 2], z2[r * 2:(r + 1) * 2], t, z1, z2, offset=2 * r)
                for r in range(3)]
    assert torch.stack(per_rank).mean().item() == pytest.approx(full.item(), rel=1e-10)


def test_nt_xent_gradient_is_finite_despite_masked_diagonal():
    z1 = _unit(3, 4, seed=8).requires_grad_()
    z2 = _unit(3, 4, seed=9).requires_grad_()
    nt_xent(z1, z2, 0.5).backward()
    assert torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()
    assert z1.grad.abs().sum() > 0


def test_cosine_similarity_loss_forms():
    p = torch.tensor([[1., 0.], [0., 2.]])
    z = torch.tensor([[3., 0.], [2., 0.]])  # cos = 1 and 0
    assert cosine_similarity_loss(p, z).item() == pytest.approx(-0.5)
    # BYOL: mean of 2 - 2cos = (0 + 2) / 2
    assert cosine_similarity_loss(p, z, shift=2., scale=2.).item() == pytest.approx(1.0)


@pytest.mark.parametrize('call', [
    lambda: info_nce(_unit(2, 3), _unit(2, 3), _unit(4, 3), 0.0),
    lambda: info_nce(_unit(2, 3), _unit(2, 3), _unit(4, 5), 0.2),
    lambda: nt_xent(_unit(2, 3), _unit(3, 3), 0.5),
    lambda: nt_xent(_unit(2, 3), _unit(2, 3), 0.5, _unit(4, 3), _unit(4, 3), offset=3),
    lambda: nt_xent(_unit(2, 3), _unit(2, 3), 0.5, base_temperature=-0.07),
    lambda: cosine_similarity_loss(_unit(2, 3), _unit(2, 4)),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_dist_helpers_are_identity_without_process_group():
    x = torch.randn(4, 3, requires_grad=True)
    assert get_dist_info() == (0, 1)
    assert all_gather_with_grad(x) is x
    assert concat_all_gather(x) is x
    shuffled, idx = batch_shuffle_ddp(x)
    assert shuffled is x and idx is None
    assert batch_unshuffle_ddp(x, None) is x
