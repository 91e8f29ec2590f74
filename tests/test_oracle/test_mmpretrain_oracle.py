"""One training step of MoCo v2, SimCLR, BYOL and SimSiam matches mmpretrain 1.2.0.

An independent implementation as the oracle: the same tiny model is built by
mmccrop from our CIFAR-10 config and by mmpretrain from its shipped config
(``_pair.py`` says what is shared), given the same weights, and run for one
``loss`` + ``backward`` on the same batch in float64.  Compared:

- the loss, exactly up to a constant offset where the definitions differ:
  BYOL's mmpretrain loss is ``2 * (L(p1, t2) + L(p2, t1))`` with
  ``L = -mean cos``, i.e. ``-2 (c1 + c2)``, ours is
  ``(2 - 2 c1) + (2 - 2 c2) = 4 - 2 (c1 + c2)``: ours = theirs + 4, with the
  same gradients;
- the gradient of every online parameter (backbone, projector, predictor);
- the BN statistics of the online network after the step;
- the momentum (EMA) encoder's parameters after its update (MoCo: constant
  m = 0.999; BYOL: the cosine schedule 0.996 -> 1 at iteration 3 of 10, and
  the constant 0.996).  Their buffers are not compared: mmpretrain copies the
  online network's BN statistics into the EMA copy at every step, we keep the
  copy's own (as the MoCo and BYOL reference code does); in train mode BN
  normalises with batch statistics, so the outputs do not depend on them;
- MoCo's queue and pointer after the enqueue.

Settings compared: the CIFAR-10 configs' projector and predictor structure
(SimCLR: Linear-BN-ReLU-Linear with bias; and, as a second case, the
authors' BN-free Linear-ReLU-Linear head, our ``MoCoV2Neck``), temperatures
(0.2 MoCo, 0.5 SimCLR), NT-Xent at the SimCLR paper's scale (mmpretrain has
no ``T / base_T`` factor), MoCo's queue (16 keys here) and momentum.

Tolerances: both sides sum BN statistics over the same samples in a
different order (mmpretrain interleaves SimCLR's two views; MoCo shuffles
its keys), so agreement is to float64 rounding, not bit for bit (measured:
at most 1.2e-13 absolute, 5e-14 relative to a tensor's largest entry;
SimSiam is bit-identical).  SimCLR's
mmpretrain normalisation divides by ``|z| + 1e-10`` where ours divides by
``|z|``: a relative difference of ``1e-10 / |z|``; the test scales the
projector output to ``|z| >= 1e3`` so that it stays below the tolerance.
"""
import copy
import inspect

import pytest
import torch
from mmengine.logging import MessageHub

from . import _pair

RTOL, ATOL = 1e-10, 1e-12
N, SIZE = 4, 16


@pytest.fixture(scope='module', autouse=True)
def _mmpretrain():
    """Imported here, not at collection: it takes seconds, and the suite collects
    this module on every run."""
    try:
        import mmpretrain.models  # noqa: F401
    except Exception as e:  # ImportError, or its version asserts on mmcv / mmengine
        pytest.skip(f'mmpretrain 1.2.0 (a test-only dependency, installed with --no-deps by '
                    f'tools/install.sh) is not importable: {type(e).__name__}: {e}')


def _views(seed=1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(N, 3, SIZE, SIZE, generator=g, dtype=torch.float64) for _ in range(2)]


def _step(model, views):
    model.zero_grad(set_to_none=True)
    loss = model.loss([v.clone() for v in views], None)['loss']
    loss.backward()
    return loss.detach()


def _close(actual, expected, what):
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=ATOL, msg=lambda m: f'{what}: {m}')


def _compare_step(ours, theirs, views, offset=0.0):
    """One step on both; compare loss, gradients, online BN statistics, EMA params."""
    names = _pair.name_map(ours, theirs)
    our_params = dict(ours.named_parameters())
    their_params = dict(theirs.named_parameters())
    their_state = theirs.state_dict()

    loss_ours, loss_theirs = _step(ours, views), _step(theirs, views)
    _close(loss_ours, loss_theirs + offset, 'loss')

    online = [k for k in names if not k.startswith('momentum_encoder.')]
    compared = 0
    for key in online:
        if key in our_params:
            grad = our_params[key].grad
            assert grad is not None and grad.abs().max() > 0, f'{key}: no gradient'
            _close(grad, their_params[names[key]].grad, f'grad of {key}')
            compared += 1
        elif key.endswith(('running_mean', 'running_var')):
            _close(ours.state_dict()[key], their_state[names[key]], key)
    assert compared == sum(1 for k in our_params if not k.startswith('momentum_encoder.'))

    for key in names:
        if key.startswith('momentum_encoder.') and key in our_params:
            assert our_params[key].grad is None, f'{key} got a gradient'
            _close(our_params[key].detach(), their_state[names[key]], f'EMA {key}')
    return loss_ours


def _ema_before(ours):
    return {k: p.detach().clone() for k, p in ours.momentum_encoder.named_parameters()}


def _assert_ema_moved(ours, before, online_before, m):
    """The EMA step is ``t <- m t + (1 - m) o`` with the online weights before the step."""
    for key, p in ours.momentum_encoder.named_parameters():
        expected = m * before[key] + (1 - m) * online_before[key]
        _close(p.detach(), expected, f'EMA law {key}')
        assert not torch.equal(p, before[key]), f'{key} did not move'


def _online(ours):
    return {f'{k}.{n}': p.detach().clone()
            for k in ('backbone', 'neck') for n, p in getattr(ours, k).named_parameters()}


@pytest.fixture(autouse=True)
def _float64():
    """float64 as the default dtype, so that mmpretrain's cosine momentum, which
    it computes from an int64 step counter (``pi * steps / max_iters``), is not
    rounded to float32 (a 1e-10 change of m, and of the gradients through the
    targets, that is not a difference of method)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.fixture
def hub():
    """``iter`` / ``max_iters`` for the schedules, restored afterwards."""
    hub = MessageHub.get_current_instance()
    saved = {k: hub.get_info(k) for k in ('iter', 'max_iters')}
    hub.update_info('iter', 3)
    hub.update_info('max_iters', 10)
    yield hub
    for k, v in saved.items():
        hub.update_info(k, v)


def test_mocov2_step_matches(hub):
    ours, theirs = _pair.build_pair('mocov2')
    theirs.encoder_k.steps.fill_(1)  # its first update is a plain copy
    views = _views()
    before, online_before = _ema_before(ours), _online(ours)
    queue_before = ours.queue.clone()
    _compare_step(ours, theirs, views)
    _assert_ema_moved(ours, before, online_before, 0.999)
    assert ours.queue_ptr.item() == theirs.queue_ptr.item() == N
    _close(ours.queue, theirs.queue.t(), 'queue')
    # This batch's N keys replaced rows 0..N-1 (unit vectors); the rest is untouched.
    assert not torch.equal(ours.queue[:N], queue_before[:N])
    _close(ours.queue[:N].norm(dim=1), torch.ones(N, dtype=torch.float64), 'key norms')
    assert torch.equal(ours.queue[N:], queue_before[N:])


@pytest.mark.parametrize('projector', ['config', 'authors'])
def test_simclr_step_matches(projector):
    ours_cfg = _pair.ours_cfg('simclr')
    # mmpretrain's NT-Xent has no T / base_T scale: compare the plain loss here; the
    # configs' base_temperature is checked by the test below.
    ours_cfg['head']['loss'].pop('base_temperature', None)
    if projector == 'authors':  # Linear(bias) - ReLU - Linear(bias), no BN
        ours_cfg['neck'] = dict(type='MoCoV2Neck', in_channels=8 * _pair.WIDTH,
                                hid_channels=_pair.HID, out_channels=_pair.OUT)
    ours, theirs = _pair.build_pair('simclr', ours_cfg)
    _scale_projector(ours, theirs)
    _compare_step(ours, theirs, _views())


def _scale_projector(ours, theirs, factor=1e4):
    with torch.no_grad():
        for model in (ours, theirs):
            last = [m for m in model.neck.modules() if isinstance(m, torch.nn.Linear)][-1]
            last.weight.mul_(factor)
            if last.bias is not None:
                last.bias.mul_(factor)
    probe = copy.deepcopy(ours)  # a train-mode forward updates BN statistics
    z = probe.neck(probe.backbone(_views()[0]))[0]
    assert z.norm(dim=1).min() > 1e3


def test_simclr_base_temperature_scales_loss_and_gradients():
    from mmccrop.models.losses import NTXentLoss
    if 'base_temperature' not in inspect.signature(NTXentLoss).parameters:
        pytest.skip('NTXentLoss has no base_temperature option in this tree')
    ours_cfg = _pair.ours_cfg('simclr')
    ours_cfg['head']['loss'].update(temperature=0.5, base_temperature=0.07)
    ours, theirs = _pair.build_pair('simclr', ours_cfg)
    _scale_projector(ours, theirs)
    views = _views()
    scale = 0.5 / 0.07
    loss_ours, loss_theirs = _step(ours, views), _step(theirs, views)
    _close(loss_ours, scale * loss_theirs, 'loss')
    for key, kb in _pair.name_map(ours, theirs).items():
        p = dict(ours.named_parameters()).get(key)
        if p is not None:
            _close(p.grad, scale * dict(theirs.named_parameters())[kb].grad, f'grad of {key}')


@pytest.mark.parametrize('schedule', ['cosine', 'constant'])
def test_byol_step_matches(schedule, hub):
    ours_cfg = _pair.ours_cfg('byol')
    ours_cfg.update(momentum_schedule=schedule, base_momentum=0.996, end_momentum=1.0)
    ours, theirs = _pair.build_pair('byol', ours_cfg)
    theirs.target_net.steps.fill_(3)  # mmpretrain's schedule counts its updates
    if schedule == 'constant':
        theirs.target_net.end_momentum = theirs.target_net.momentum
    before, online_before = _ema_before(ours), _online(ours)
    _compare_step(ours, theirs, _views(), offset=4.0)
    m = 0.996 if schedule == 'constant' else \
        1 - 0.004 * (torch.cos(torch.tensor(torch.pi * 3 / 10, dtype=torch.float64)) + 1) / 2
    assert ours.momentum == pytest.approx(float(m), rel=0, abs=1e-15)
    _assert_ema_moved(ours, before, online_before, float(m))


def test_simsiam_step_matches():
    ours, theirs = _pair.build_pair('simsiam')
    _compare_step(ours, theirs, _views())
