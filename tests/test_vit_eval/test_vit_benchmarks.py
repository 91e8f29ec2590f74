"""The ViT benchmark configs as shipped: convert, train 2 iterations, evaluate (CPU).

Each config is loaded from its file and changed only in sizes (a 64-dim ViT on
32-64 px), data paths, batch, workers and iterations, through ``--cfg-options``
strings as a CPU user would pass them.  The weights come from a tiny
pretraining checkpoint in our layout, converted by the tool.
"""
from __future__ import annotations

import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ._vit import (
    ROOT,
    TINY_VIT,
    cfg_options,
    classification_cfg,
    load_tool,
    make_vit_checkpoint,
    upernet_cfg,
    vit_state,
    write_ade20k,
    write_imagenet,
)

pytestmark = pytest.mark.slow

IMAGENET = osp.join(ROOT, 'configs/benchmarks/classification/imagenet')
LINEAR = osp.join(IMAGENET, 'vit-small-p16_8xb128-linear-coslr-90e_in1k.py')
LINEAR_BN = osp.join(IMAGENET, 'vit-small-p16_8xb128-linear-coslr-90e_in1k-clsbn.py')
FINETUNE = osp.join(IMAGENET, 'vit-small-p16_8xb128-amp-coslr-150e_in1k.py')
KNN = osp.join(IMAGENET, 'vit-small-p16-knn-k200_8xb64_in1k.py')
UPERNET = osp.join(ROOT, 'configs/benchmarks/mmsegmentation/ade20k/'
                   'upernet_vit-small-p16-ln-mln_8xb2-160k_ade20k-512x512.py')


def _convert(tmp, num_layers, *args):
    online = vit_state(seed=4, num_layers=num_layers)
    ckpt = make_vit_checkpoint('mmccrop', online, vit_state(seed=5, num_layers=num_layers))
    src, out = tmp / f'pretrain_{num_layers}.pth', tmp / f'backbone_{num_layers}.pth'
    torch.save(ckpt, src)
    assert load_tool().main([str(src), str(out), *args]) == 0
    return str(out), torch.load(out, weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('vit')
    backbone, weights = _convert(tmp, 2)
    return dict(imagenet=str(write_imagenet(tmp / 'imagenet')), backbone=backbone,
                weights=weights, tmp=tmp)


def _backbone_tensors(runner):
    return {'backbone.' + k: v for k, v in runner.model.backbone.state_dict().items()}


@pytest.mark.parametrize('config', [LINEAR, LINEAR_BN])
def test_linear_probe_trains_the_head_only(config, data, tmp_path):
    from mmengine.runner import Runner
    sizes = ['model.backbone.frozen_stages=2']
    if config == LINEAR_BN:
        sizes.append('model.neck.input_features=64')
    cfg = classification_cfg(config, data['imagenet'], data['backbone'], tmp_path, 2, *sizes)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2  # 4 images, batch 2, 1 epoch
    # the converted weights went in, and stayed frozen
    after = _backbone_tensors(runner)
    assert list(after) == list(data['weights'])
    assert all(torch.equal(after[k], data['weights'][k]) for k in after)
    head = runner.model.head.layers.head
    assert head.weight.shape == (1000, 64) and head.weight.requires_grad
    assert not any(p.requires_grad for p in runner.model.backbone.parameters())
    top1 = runner.message_hub.get_scalar('val/accuracy/top1').current()
    assert 0 <= top1 <= 100
    # MoCo v3's optimiser and our crash-safe checkpoints, from the shipped config
    group = runner.optim_wrapper.param_groups[0]
    assert group['initial_lr'] == 12.0 and group['momentum'] == 0.9
    assert group['lr'] == pytest.approx(6 * (1 + math.cos(math.pi / 90)))  # cosine, per epoch
    assert osp.isfile(osp.join(tmp_path, 'best_accuracy_top1_epoch_1.pth'))
    if config == LINEAR_BN:
        assert type(runner.model.neck).__name__ == 'ClsBatchNormNeck'
        assert runner.model.neck.bn.affine is False
    else:
        assert runner.model.neck is None


def test_finetune_trains_everything_with_the_deit_recipe(data, tmp_path):
    from mmengine.runner import Runner
    assert Config.fromfile(FINETUNE).optim_wrapper.type == 'AmpOptimWrapper'  # as DeiT
    cfg = classification_cfg(FINETUNE, data['imagenet'], data['backbone'], tmp_path, 2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    model = runner.model
    assert type(runner.train_dataloader.sampler).__name__ == 'RepeatAugSampler'
    assert [type(a).__name__ for a in model.data_preprocessor.batch_augments.augments] == \
        ['Mixup', 'CutMix']
    # stochastic depth rising linearly to 0.1 at the last block, as timm's
    drops = [layer.ffn.dropout_layer.drop_prob for layer in model.backbone.layers]
    assert drops == pytest.approx([0.0, 0.1])
    # lr 1e-3 at batch 1024; after epoch 0 (1e-6), timm's warm-up value for epoch 1
    groups = runner.optim_wrapper.param_groups
    assert {g['initial_lr'] for g in groups} == {1e-3}
    assert {round(g['lr'], 12) for g in groups} == {round(1e-6 + (1e-3 - 1e-6) / 5, 12)}
    # no weight decay on norms, biases and the tokens
    names = dict(model.named_parameters())
    no_decay = {id(p) for g in groups if g['weight_decay'] == 0 for p in g['params']}
    for name in ('backbone.cls_token', 'backbone.pos_embed', 'backbone.ln1.weight',
                 'backbone.layers.0.attn.qkv.bias', 'head.layers.head.bias'):
        assert id(names[name]) in no_decay, name
    assert id(names['backbone.layers.0.attn.qkv.weight']) not in no_decay
    # loaded, then moved by two steps of lr 1e-6 at most
    after = _backbone_tensors(runner)
    moved = max((after[k] - data['weights'][k]).abs().max().item() for k in after)
    assert 0 < moved < 1e-4
    assert 0 <= runner.message_hub.get_scalar('val/accuracy/top1').current() <= 100


def test_knn_scores_the_class_token(data, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(KNN)
    opts = TINY_VIT + ['model.backbone.arch.num_layers=2', 'model.backbone.img_size=32',
                       'model.backbone.patch_size=8', 'test_cfg.k=3']
    for loader in ('test_dataloader', 'test_cfg.bank_dataloader'):
        opts += [f'{loader}.dataset.data_root={data["imagenet"]}', f'{loader}.batch_size=2',
                 f'{loader}.num_workers=0', f'{loader}.dataset.pipeline.1.scale=(1048576,36)',
                 f'{loader}.dataset.pipeline.2.crop_size=32']
    cfg.merge_from_dict(cfg_options(*opts))
    cfg.work_dir, cfg.launcher = str(tmp_path), 'none'
    cfg.load_from = data['backbone']  # what tools/test.py CONFIG CHECKPOINT does
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    assert 0 <= metrics['accuracy/top1'] <= 100
    after = _backbone_tensors(runner)
    assert all(torch.equal(after[k], data['weights'][k]) for k in data['weights'])


def test_upernet_trains_and_scores_miou(data, tmp_path, capsys):
    from mmengine.runner import Runner
    backbone, weights = _convert(data['tmp'], 4, '--img-size', '64', '--force')
    assert 'pos_embed resized (bicubic) from 4x4 to 8x8' in capsys.readouterr().out
    ade = write_ade20k(tmp_path / 'ade')
    cfg = upernet_cfg(UPERNET, str(ade), backbone, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    assert type(runner.model.backbone).__module__.startswith('mmpretrain.')
    # SyncBN in the heads became BN (not distributed)
    assert not any('SyncBatchNorm' in type(m).__name__ for m in runner.model.modules())
    after = _backbone_tensors(runner)
    assert list(after) == list(weights)
    moved = max((after[k] - weights[k]).abs().max().item() for k in after)
    assert moved < 1e-3  # loaded (AdamW warm-up lr ~1e-10)
    miou = runner.message_hub.get_scalar('val/mIoU').current()
    assert 0 <= miou <= 100
