"""KNNTestLoop through a Runner, and the shipped kNN configs."""
import glob
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import Runner

from mmccrop.registry import MODELS

from .test_knn_hook import _ColourClasses  # noqa: F401  (registers the dataset)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@MODELS.register_module(force=True)
class _IdentityBackbone(nn.Module):
    """The image is its own feature map: pooled, the mean colour."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return (x * self.scale,)


def _loader(seed, n):
    return dict(batch_size=5, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'),
                dataset=dict(type='_ColourClasses', n=n, seed=seed,
                             pipeline=[dict(type='PackSelfSupInputs')]))


def test_knn_loop_scores_through_the_evaluator(tmp_path):
    runner = Runner(
        model=dict(type='FeatureExtractor', backbone=dict(type='_IdentityBackbone')),
        work_dir=str(tmp_path),
        test_dataloader=_loader(1, 12),
        test_evaluator=dict(type='Accuracy', topk=(1, 2)),
        test_cfg=dict(type='KNNTestLoop', bank_dataloader=_loader(0, 30), k=5),
        default_scope='mmccrop',
        experiment_name='knn_loop_test')
    metrics = runner.test()
    assert metrics['accuracy/top1'] == pytest.approx(100.0)
    assert metrics['accuracy/top2'] == pytest.approx(100.0)


def test_feature_extractor_has_no_loss():
    model = MODELS.build(dict(type='FeatureExtractor', backbone=dict(type='_IdentityBackbone')))
    with pytest.raises(RuntimeError, match='evaluation'):
        model.loss([torch.zeros(1, 3, 4, 4)] * 2)


def test_knn_loop_bad_values():
    from mmccrop.engine.runner import KNNTestLoop
    with pytest.raises(ValueError, match='k must'):
        KNNTestLoop(None, None, None, None, k=0)
    with pytest.raises(ValueError, match='temperature'):
        KNNTestLoop(None, None, None, None, temperature=-1)


@pytest.mark.parametrize(
    'path', sorted(glob.glob(osp.join(ROOT, 'configs/benchmarks/classification/*/*knn*.py'))))
def test_knn_configs_build(path):
    cfg = Config.fromfile(path)
    assert cfg.test_cfg.type == 'KNNTestLoop' and cfg.test_cfg.k == 200
    assert cfg.test_cfg.temperature == 0.07
    model = MODELS.build(cfg.model)
    # keys match a pretraining checkpoint's online backbone
    assert all(k.startswith(('backbone.', 'data_preprocessor.')) for k in model.state_dict())
    assert cfg.test_dataloader.sampler.shuffle is False


def test_knn_configs_exist_for_cifar_and_imagenet():
    names = {osp.basename(p) for p in
             glob.glob(osp.join(ROOT, 'configs/benchmarks/classification/*/*knn*.py'))}
    assert {'resnet18-knn-k200_1xb512_cifar10.py', 'resnet18-knn-k200_1xb512_cifar100.py',
            'resnet50-knn-k200_8xb64_in1k.py'} <= names
