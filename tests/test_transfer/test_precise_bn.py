"""Precise BN statistics (detectron2's TEST.PRECISE_BN) as a function and as a Runner hook."""
from __future__ import annotations

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

from mmccrop.functional.precise_bn import precise_bn_stats, training_bn_layers

pytestmark = pytest.mark.usefixtures('one_thread')


def test_statistics_are_the_average_of_batch_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.BatchNorm1d(3), nn.BatchNorm1d(3))
    net[1].eval()  # frozen: not recomputed
    frozen_mean = net[1].running_mean.clone()
    batches = [torch.randn(5, 3) * (i + 1) + i for i in range(4)]
    net.train()
    net[1].eval()
    layers = training_bn_layers(net)
    assert layers == [net[0]]
    net[0].num_batches_tracked.fill_(7)
    done = precise_bn_stats(layers, net, iter(batches), num_iters=3)
    assert done == 3
    used = batches[:3]
    assert torch.allclose(net[0].running_mean, torch.stack([b.mean(0) for b in used]).mean(0))
    assert torch.allclose(net[0].running_var,
                          torch.stack([b.var(0, unbiased=True) for b in used]).mean(0))
    assert net[0].momentum == 0.1 and net[0].num_batches_tracked.item() == 7
    assert torch.equal(net[1].running_mean, frozen_mean)
    # fewer batches than asked: averages those
    assert precise_bn_stats(layers, net, iter(batches[:2]), num_iters=10) == 2
    two = torch.stack([b.mean(0) for b in batches[:2]]).mean(0)
    assert torch.allclose(net[0].running_mean, two)
    with pytest.raises(ValueError, match='num_iters'):
        precise_bn_stats(layers, net, iter(batches), num_iters=0)


class _Numbers(Dataset):
    """Item i is (i, 2 i): the batches' statistics are known in closed form."""

    def __len__(self):
        return 20

    def __getitem__(self, i):
        return dict(inputs=torch.tensor([float(i), 2.0 * i]))


class _BNModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(2)
        self.scale = nn.Parameter(torch.ones(2))
        self.modes = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.modes.append((mode, torch.is_grad_enabled()))
        out = self.bn(inputs) * self.scale
        return {'loss': (out ** 2).mean()} if mode == 'loss' else out


def test_hook_runs_after_the_last_iteration_before_the_checkpoint(tmp_path):
    model = _BNModel()
    runner = Runner(
        model=model, work_dir=str(tmp_path),
        train_dataloader=dict(dataset=_Numbers(), batch_size=2, num_workers=0,
                              sampler=dict(type='InfiniteSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=3),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False)),
        custom_hooks=[dict(type='mmccrop.PreciseBNHook', num_iters=2)],
        default_scope='mmccrop', experiment_name='precise_bn_hook')
    runner.train()
    # training took items 0-5; the hook continued with 6-9, without gradients
    assert model.modes[-2:] == [('loss', False), ('loss', False)]
    assert [m for m in model.modes if m[1]] == [('loss', True)] * 3
    batches = [torch.tensor([[6., 12.], [7., 14.]]), torch.tensor([[8., 16.], [9., 18.]])]
    mean = torch.stack([b.mean(0) for b in batches]).mean(0)
    var = torch.stack([b.var(0) for b in batches]).mean(0)
    assert torch.allclose(model.bn.running_mean, mean)
    assert torch.allclose(model.bn.running_var, var)
    saved = torch.load(tmp_path / 'iter_3.pth', weights_only=False)['state_dict']
    assert torch.allclose(saved['bn.running_mean'], mean)
    assert torch.allclose(saved['bn.running_var'], var)


def test_hook_rejects_bad_values():
    from mmccrop.engine.hooks import PreciseBNHook
    with pytest.raises(ValueError, match='num_iters'):
        PreciseBNHook(num_iters=0)
    with pytest.raises(ValueError, match='interval'):
        PreciseBNHook(interval=0)
