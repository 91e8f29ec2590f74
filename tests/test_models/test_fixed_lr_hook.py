"""FixedLrHook keeps the predictor lr constant under a cosine schedule."""
from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmengine.optim import CosineAnnealingLR, build_optim_wrapper

from mmccrop.models.utils import FixedLrHook
from mmccrop.registry import HOOKS


class _Toy(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(4, 4)
        self.head = nn.Module()
        self.head.predictor = nn.Linear(4, 4)


def _runner(paramwise: bool):
    model = _Toy()
    cfg = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
    if paramwise:
        cfg['paramwise_cfg'] = dict(custom_keys={'predictor': dict(lr_mult=1.0)})
    return SimpleNamespace(model=model, optim_wrapper=build_optim_wrapper(model, cfg))


def test_predictor_lr_stays_fixed_while_rest_decays():
    runner = _runner(paramwise=True)
    sched = CosineAnnealingLR(runner.optim_wrapper, T_max=10, by_epoch=False)
    hook = HOOKS.build(dict(type='FixedLrHook', keys='predictor'))
    assert isinstance(hook, FixedLrHook)
    hook.before_train(runner)
    groups = runner.optim_wrapper.optimizer.param_groups
    pred_ids = {id(p) for p in runner.model.head.predictor.parameters()}
    for _ in range(5):
        hook.before_train_iter(runner, 0)
        for g in groups:
            if id(g['params'][0]) in pred_ids:
                assert g['lr'] == pytest.approx(0.1)
        sched.step()
    hook.before_train_iter(runner, 0)
    other = [g['lr'] for g in groups if id(g['params'][0]) not in pred_ids]
    fixed = [g['lr'] for g in groups if id(g['params'][0]) in pred_ids]
    assert len(fixed) == 2 and all(lr == pytest.approx(0.1) for lr in fixed)
    assert all(lr < 0.06 for lr in other)  # cos(pi/2) -> half of 0.1


def test_shared_param_group_is_a_clear_error():
    runner = _runner(paramwise=False)
    with pytest.raises(ValueError, match='paramwise_cfg'):
        FixedLrHook().before_train(runner)
    with pytest.raises(ValueError, match='no trainable parameter'):
        FixedLrHook(keys='nothing_matches').before_train(_runner(paramwise=True))
