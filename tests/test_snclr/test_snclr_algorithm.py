"""SNCLR algorithm: build, forward modes, training behaviour, checkpoints."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub

from mmccrop.registry import MODELS

from ._tiny import tiny_batch, tiny_snclr_cfg


def _train(model, views, samples, steps, lr=0.05):
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr,
                          momentum=0.9)
    losses = []
    for _ in range(steps):
        out = model(views, samples, mode='loss')
        opt.zero_grad()
        out['loss'].backward()
        opt.step()
        losses.append(float(out['loss'].detach()))
    return losses


@pytest.mark.slow
@pytest.mark.parametrize('loss_form', ['code', 'paper'])
def test_loss_finite_and_decreasing_on_fixed_batch(loss_form):
    torch.manual_seed(0)
    # A bank larger than 20 steps of keys: with a fixed batch and a small bank,
    # every neighbour becomes another sample of the batch (also a negative),
    # and the objective itself changes as the bank refills.
    model = MODELS.build(tiny_snclr_cfg(loss_form, bank_size=256))
    model.init_weights()
    views, samples = tiny_batch()
    losses = _train(model, views, samples, 20)
    assert all(math.isfinite(x) for x in losses)
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5, losses
    assert losses[-1] < losses[0], losses


def test_extract_feat_and_predict_contract():
    torch.manual_seed(0)
    model = MODELS.build(tiny_snclr_cfg())
    views, _ = tiny_batch(n=2)
    feats = model(views, mode='tensor')
    assert isinstance(feats, tuple) and feats[-1].shape == (2, 64, 4, 4)
    assert torch.equal(model.extract_feat(views[0])[-1], feats[-1])


def test_step_searches_before_enqueue_and_enqueues_view2_keys():
    torch.manual_seed(0)
    model = MODELS.build(tiny_snclr_cfg(bank_size=16))
    model.init_weights()
    views, samples = tiny_batch(first_id=40)
    ptr_at_search = []
    search = model.bank.search
    model.bank.search = lambda *a, **k: (ptr_at_search.append(int(model.bank.ptr)),
                                         search(*a, **k))[1]
    out = model(views, samples, mode='loss')
    assert ptr_at_search == [0, 0]  # both views searched the bank before the write
    assert int(model.bank.ptr) == 4 and model.bank.ids[:4].tolist() == [40, 41, 42, 43]
    with torch.no_grad():  # the momentum encoder that made the keys (train-mode BN)
        k2 = F.normalize(model.momentum_encoder(views[1])[0], dim=1)
    torch.testing.assert_close(model.bank.bank[:4], k2)
    assert set(out) >= {'loss', 'nn_cos', 'pos_w', 'momentum'}
    # CosinePositiveness weights sum to 1 per sample.
    torch.testing.assert_close(out['pos_w'], torch.tensor(1.0))


def test_momentum_follows_cosine_schedule_to_one():
    torch.manual_seed(0)
    model = MODELS.build(tiny_snclr_cfg())
    hub = MessageHub.get_instance('test_snclr_momentum')
    views, samples = tiny_batch(n=2)
    for it, expected in ((0, 0.99), (5, 0.995), (10, 1.0)):
        hub.update_info('iter', it)
        hub.update_info('max_iters', 10)
        model(views, samples, mode='loss')
        assert model.momentum == pytest.approx(expected)


def test_topk_zero_runs_and_bad_args():
    torch.manual_seed(0)
    model = MODELS.build(tiny_snclr_cfg(topk=0))
    views, samples = tiny_batch(n=2)
    out = model(views, samples, mode='loss')
    assert torch.isfinite(out['loss']) and 'pos_w' not in out
    with pytest.raises(ValueError, match='loss_form'):
        MODELS.build(tiny_snclr_cfg(loss_form='nope'))
    with pytest.raises(ValueError, match='num_neighbors'):
        cfg = tiny_snclr_cfg('paper', topk=3)
        cfg['positiveness']['num_neighbors'] = 2
        MODELS.build(cfg)


def test_checkpoint_round_trip_continues_bit_for_bit(tmp_path):
    torch.manual_seed(0)
    a = MODELS.build(tiny_snclr_cfg(bank_size=16))
    a.init_weights()
    views, samples = tiny_batch()
    a(views, samples, mode='loss')
    a(*tiny_batch(seed=1, first_id=4), mode='loss')
    assert {'bank.bank', 'bank.ptr', 'bank.ids'} <= set(a.state_dict())
    torch.save(a.state_dict(), tmp_path / 'snclr.pth')

    torch.manual_seed(1)
    b = MODELS.build(tiny_snclr_cfg(bank_size=16))
    b.load_state_dict(torch.load(tmp_path / 'snclr.pth', weights_only=True))
    for seed in (2, 3):
        batch = tiny_batch(seed=seed, first_id=4 * seed)
        assert torch.equal(a(*batch, mode='loss')['loss'], b(*batch, mode='loss')['loss'])
    for name in ('bank', 'ids', 'ptr'):
        assert torch.equal(getattr(a.bank, name), getattr(b.bank, name))


@pytest.mark.parametrize('loss_form', ['code', 'paper'])
def test_autocast_step_keeps_fp32_bank_and_loss(loss_form):
    torch.manual_seed(0)
    model = MODELS.build(tiny_snclr_cfg(loss_form))
    views, samples = tiny_batch()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = model(views, samples, mode='loss')
    out['loss'].backward()
    assert out['loss'].dtype == torch.float32 and torch.isfinite(out['loss'])
    assert model.bank.bank.dtype == torch.float32 and int(model.bank.ptr) == 4
    torch.testing.assert_close(model.bank.bank[:4].norm(dim=1), torch.ones(4))
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(bool(torch.isfinite(g).all()) for g in grads)


def test_bank_scope_default_validation_and_single_process_equivalence():
    torch.manual_seed(0)
    default = MODELS.build(tiny_snclr_cfg(bank_size=16))
    assert default.bank_scope == 'global' and default.bank.scope == 'global'
    with pytest.raises(ValueError, match='bank_scope'):
        MODELS.build(tiny_snclr_cfg(bank_scope='rank'))
    # In one process a rank's own keys are all keys: both scopes train alike.
    results = {}
    for scope in ('global', 'local'):
        torch.manual_seed(0)
        model = MODELS.build(tiny_snclr_cfg(bank_size=16, bank_scope=scope))
        model.init_weights()
        losses = []
        for step in range(2):
            views, samples = tiny_batch(seed=step, first_id=4 * step)
            losses.append(model(views, samples, mode='loss')['loss'].detach())
        results[scope] = (torch.stack(losses), model.bank.bank.clone(), model.bank.ids.clone())
    for a, b in zip(results['global'], results['local']):
        assert torch.equal(a, b)
