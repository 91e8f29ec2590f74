"""Positiveness modules (code and paper variants)."""
import pytest
import torch
import torch.nn.functional as F

from mmccrop.functional.snclr_loss import snclr_loss_paper
from mmccrop.registry import MODELS


def test_cosine_positiveness_module():
    m = MODELS.build(dict(type='CosinePositiveness', threshold=True))
    assert not list(m.parameters())
    anchor, nbrs = torch.randn(4, 8), torch.randn(4, 5, 8)
    w = m(anchor, nbrs)
    plain = F.cosine_similarity(anchor[:, None], nbrs, dim=2).softmax(1)
    torch.testing.assert_close(w, plain * (plain > 0.2))


def _paper_step(m):
    g = torch.Generator().manual_seed(0)
    y1 = torch.randn(4, 8, generator=g, requires_grad=True)
    nbrs = F.normalize(torch.randn(4, 3, 8, generator=g), dim=2)
    z = F.normalize(torch.randn(4, 8, generator=g), dim=1)
    keys = F.normalize(torch.randn(4, 8, generator=g), dim=1)
    w = m(y1, nbrs)
    loss = snclr_loss_paper(z, keys, nbrs, w, torch.arange(4), 0.2)
    if loss.requires_grad:  # not with detached weights: nothing else needs grad here
        loss.backward()
    return w


def test_attention_positiveness_learns_f1_f2_and_gamma_floor():
    m = MODELS.build(dict(type='AttentionPositiveness', in_channels=8, num_neighbors=3,
                          proj_channels=6, gamma=2.0, min_gamma=1.0))
    w = _paper_step(m)
    assert w.shape == (4, 3)
    torch.testing.assert_close(w.sum(1), torch.full((4,), 0.5))  # softmax / gamma
    assert m.f1.weight.grad.abs().sum() > 0 and m.f2.weight.grad.abs().sum() > 0
    # The paper loss always pushes gamma down ...
    assert bool((m.log_gamma.grad > 0).all())
    # ... and the floor holds it at min_gamma.
    with torch.no_grad():
        m.log_gamma.fill_(-3.0)
    torch.testing.assert_close(m.gamma, torch.ones(3))


def test_attention_positiveness_detach_and_errors():
    m = MODELS.build(dict(type='AttentionPositiveness', in_channels=8, num_neighbors=3,
                          detach=True, learnable_gamma=False, gamma=1.0))
    assert 'log_gamma' in dict(m.named_buffers())
    w = _paper_step(m)
    assert not w.requires_grad and m.f1.weight.grad is None
    with pytest.raises(ValueError, match='K=3'):
        m(torch.randn(2, 8), torch.randn(2, 4, 8))
    with pytest.raises(ValueError, match='min_gamma'):
        MODELS.build(dict(type='AttentionPositiveness', in_channels=8, num_neighbors=3,
                          gamma=0.5, min_gamma=1.0))
