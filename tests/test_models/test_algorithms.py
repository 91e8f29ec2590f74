"""SimCLR / MoCoV2 / BYOL / SimSiam on CPU: CIFAR ResNet-18, 32 px, batch 4."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from mmccrop.models.algorithms import BYOL, BaseMomentumAlgorithm, MoCoV2, SimCLR, SimSiam
from mmccrop.registry import MODELS
from mmccrop.structures.data_sample import SelfSupDataSample

# ResNet-18 depth at a small width (16 -> 128 channels) keeps CPU steps cheap.
BACKBONE = dict(type='CIFARResNet', depth=18, base_channels=16, out_indices=(3, ),
                norm_eval=False, zero_init_residual=False)
C = 128  # channels of the last stage


def mocov2_cfg(**kw):
    cfg = dict(
        type='MoCoV2', backbone=BACKBONE, queue_len=4096, feat_dim=128, momentum=0.99,
        neck=dict(type='MoCoV2Neck', in_channels=C, hid_channels=256, out_channels=128),
        head=dict(type='ContrastiveHead', loss=dict(type='InfoNCELoss', temperature=0.2)))
    cfg.update(kw)
    return cfg


def simclr_cfg():
    return dict(
        type='SimCLR', backbone=BACKBONE,
        neck=dict(type='NonLinearNeck', in_channels=C, hid_channels=256, out_channels=128),
        head=dict(type='ContrastiveHead', loss=dict(type='NTXentLoss', temperature=0.5)))


def byol_cfg():
    return dict(
        type='BYOL', backbone=BACKBONE, base_momentum=0.99,
        neck=dict(type='NonLinearNeck', in_channels=C, hid_channels=256, out_channels=128,
                  with_last_bn=False),
        head=dict(type='LatentPredictHead',
                  predictor=dict(type='NonLinearNeck', in_channels=128, hid_channels=256,
                                 out_channels=128, with_last_bn=False, with_avg_pool=False),
                  loss=dict(type='CosineSimilarityLoss', shift=2., scale=2.)))


def simsiam_cfg():
    return dict(
        type='SimSiam', backbone=dict(BACKBONE, zero_init_residual=True),
        neck=dict(type='NonLinearNeck', in_channels=C, hid_channels=256, out_channels=256,
                  num_layers=3, with_last_bn_affine=False),
        head=dict(type='LatentPredictHead',
                  predictor=dict(type='NonLinearNeck', in_channels=256, hid_channels=64,
                                 out_channels=256, with_last_bn=False, with_avg_pool=False),
                  loss=dict(type='CosineSimilarityLoss')))


CFGS = dict(mocov2=mocov2_cfg, simclr=simclr_cfg, byol=byol_cfg, simsiam=simsiam_cfg)


def build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def views(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, 32, 32, generator=g) for _ in range(2)]


@pytest.mark.parametrize('name', list(CFGS))
def test_loss_finite_and_decreasing_on_fixed_batch(name):
    model = build(CFGS[name]())
    model.train()
    optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05,
                            momentum=0.9)
    inputs = views()
    # On a fixed batch MoCo's queue would fill with keys of these very images
    # (false negatives); keep the initial random negatives so the objective is fixed.
    queue0 = model.queue.clone() if isinstance(model, MoCoV2) else None
    losses = []
    for _ in range(20):
        if queue0 is not None:
            model.queue.copy_(queue0)
        loss = model.loss(inputs)['loss']
        assert torch.isfinite(loss), f'{name}: loss is {loss}'
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first, f'{name}: loss did not decrease: {losses}'


@pytest.mark.parametrize('name', ['mocov2', 'byol'])
def test_momentum_encoder_is_a_frozen_copy_at_start(name):
    model = build(CFGS[name]())
    assert isinstance(model, BaseMomentumAlgorithm)
    online = {**{f'backbone.{k}': v for k, v in model.backbone.state_dict().items()},
              **{f'neck.{k}': v for k, v in model.neck.state_dict().items()}}
    target = model.momentum_encoder.state_dict()
    assert online.keys() == target.keys()
    for k, v in online.items():
        assert torch.equal(v, target[k]), k
        if v.is_floating_point() and v.numel() > 1:
            assert v.data_ptr() != target[k].data_ptr(), f'{k} shares storage'
    assert not any(p.requires_grad for p in model.momentum_encoder.parameters())
    # Checkpoints hold the momentum encoder.
    keys = model.state_dict().keys()
    assert 'momentum_encoder.backbone.conv1.weight' in keys
    assert 'momentum_encoder.neck.mlp.0.weight' in keys


def test_init_weights_recopies_after_reinitialisation():
    model = MODELS.build(mocov2_cfg())
    with torch.no_grad():
        model.backbone.conv1.weight.add_(1.0)
    model.init_weights()  # mmengine re-initialises both encoders, then they are re-synced
    torch.testing.assert_close(model.momentum_encoder.backbone.conv1.weight,
                               model.backbone.conv1.weight, rtol=0, atol=0)


@pytest.mark.parametrize('name', ['mocov2', 'byol'])
def test_momentum_update_follows_ema_rule(name):
    model = build(CFGS[name]())
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(torch.randn_like(p))
    before = copy.deepcopy(model.momentum_encoder.state_dict(keep_vars=False))
    online = dict(model.backbone.named_parameters(prefix='backbone'))
    model.momentum_update(0.9)
    for k, p in online.items():
        expected = 0.9 * before[k] + 0.1 * p.detach()
        torch.testing.assert_close(model.momentum_encoder.state_dict()[k], expected)


def test_mocov2_loss_updates_key_encoder_with_its_momentum():
    model = build(mocov2_cfg())
    model.train()
    with torch.no_grad():
        model.backbone.conv1.weight.mul_(2.0)
    t_before = model.momentum_encoder.backbone.conv1.weight.clone()
    online = model.backbone.conv1.weight.detach().clone()
    model.loss(views())
    torch.testing.assert_close(model.momentum_encoder.backbone.conv1.weight,
                               0.99 * t_before + 0.01 * online)
    assert model.momentum == 0.99


def test_byol_momentum_constant_as_the_authors_or_cosine_as_the_paper():
    hub = MessageHub.get_instance('test_byol_momentum_schedules')
    hub.update_info('max_iters', 100)
    # ContrastiveCrop's authors (and our BYOL configs): m = 0.996 throughout.
    constant = build(dict(byol_cfg(), base_momentum=0.996, momentum_schedule='constant'))
    # The BYOL paper's schedule (the class default): 0.996 -> 1 on a cosine.
    cosine = build(dict(byol_cfg(), base_momentum=0.996))
    assert isinstance(cosine, BYOL) and cosine.momentum_schedule == 'cosine'
    for it, expected in [(0, 0.996), (50, 0.998), (100, 1.0)]:
        hub.update_info('iter', it)
        assert cosine.get_momentum() == pytest.approx(expected)
        assert constant.get_momentum() == 0.996
    cosine.momentum_override = 0.5
    assert cosine.get_momentum() == 0.5
    with pytest.raises(ValueError, match='momentum_schedule'):
        build(dict(byol_cfg(), momentum_schedule='linear'))


def test_queue_pointer_advances_and_wraps():
    model = build(mocov2_cfg(queue_len=10))
    assert isinstance(model, MoCoV2)
    assert model.queue.shape == (10, 128) and model.queue_ptr.item() == 0
    keys = [torch.nn.functional.normalize(torch.randn(4, 128), dim=1) for _ in range(3)]
    model._dequeue_and_enqueue(keys[0])
    assert model.queue_ptr.item() == 4
    model._dequeue_and_enqueue(keys[1])
    assert model.queue_ptr.item() == 8
    model._dequeue_and_enqueue(keys[2])  # rows 8, 9, then wraps to 0, 1
    assert model.queue_ptr.item() == 2
    torch.testing.assert_close(model.queue[8:10], keys[2][:2])
    torch.testing.assert_close(model.queue[0:2], keys[2][2:])
    torch.testing.assert_close(model.queue[2:8], torch.cat(keys[:2])[2:])


def test_queue_smaller_than_batch_keeps_last_keys():
    model = build(mocov2_cfg(queue_len=3))
    keys = torch.nn.functional.normalize(torch.randn(4, 128), dim=1)
    model._dequeue_and_enqueue(keys)
    # FIFO writes of 4 keys into 3 slots from 0: slot 0 ends with key 3.
    assert model.queue_ptr.item() == 1
    torch.testing.assert_close(model.queue, keys[[3, 1, 2]])


def test_mocov2_loss_enqueues_keys_and_queue_is_checkpointed():
    model = build(mocov2_cfg(queue_len=6))
    model.train()
    model.loss(views())
    assert model.queue_ptr.item() == 4
    model.loss(views(seed=1))
    assert model.queue_ptr.item() == 2
    state = model.state_dict()
    assert state['queue_ptr'].item() == 2 and state['queue'].shape == (6, 128)
    torch.testing.assert_close(state['queue'].norm(dim=1), torch.ones(6))
    clone = MODELS.build(mocov2_cfg(queue_len=6))
    clone.load_state_dict(state)
    torch.testing.assert_close(clone.queue, model.queue, rtol=0, atol=0)


def test_forward_modes_and_predict_feature():
    model = build(simclr_cfg())
    assert isinstance(model, SimCLR)
    model.eval()
    inputs = views()
    feats = model(inputs, mode='tensor')
    assert isinstance(feats, tuple) and feats[-1].shape == (4, C, 4, 4)
    samples = model(inputs, [SelfSupDataSample() for _ in range(4)], mode='predict')
    assert len(samples) == 4 and samples[0].pred_feature.shape == (C, )
    torch.testing.assert_close(samples[1].pred_feature, feats[-1][1].mean(dim=(1, 2)))
    model.train()
    losses = model(inputs, mode='loss')
    assert set(losses) == {'loss'} and losses['loss'].dim() == 0
    with pytest.raises(ValueError, match='mode'):
        model(inputs, mode='bogus')
    with pytest.raises(ValueError, match='views'):
        model.loss([inputs[0]])


def test_train_step_through_data_preprocessor():
    model = build(simsiam_cfg())
    assert isinstance(model, SimSiam)
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    g = torch.Generator().manual_seed(0)
    imgs = [[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=g)
             for _ in range(4)] for _ in range(2)]
    data = dict(inputs=imgs, data_samples=[SelfSupDataSample() for _ in range(4)])
    before = model.backbone.conv1.weight.detach().clone()
    log_vars = model.train_step(data, optim)
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(before, model.backbone.conv1.weight)


def test_cifar_resnet_stem_and_keys_match_mmdet_resnet():
    full = dict(BACKBONE, base_channels=64)
    cifar = MODELS.build(full)
    std = MODELS.build(dict(full, type='mmdet.ResNet'))
    assert cifar.state_dict().keys() == std.state_dict().keys()
    assert cifar.conv1.weight.shape == (64, 3, 3, 3)
    assert std.conv1.weight.shape == (64, 3, 7, 7)
    assert {'conv1.weight', 'bn1.weight', 'layer1.0.conv1.weight'} <= set(cifar.state_dict())
    assert cifar(torch.randn(2, 3, 32, 32))[-1].shape == (2, 512, 4, 4)
    with pytest.raises(ValueError, match='deep_stem'):
        MODELS.build(dict(full, deep_stem=True))
