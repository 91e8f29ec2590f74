from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmccrop.engine.feature_extraction import extract_features
from mmccrop.engine.hooks import KNNEvalHook
from mmccrop.models.data_preprocessors import SelfSupDataPreprocessor
from mmccrop.registry import DATASETS


@pytest.fixture(autouse=True)
def _scope():
    # A Runner sets default_scope='mmccrop'; these tests drive the hook without one.
    with DefaultScope.overwrite_default_scope('mmccrop'):
        yield


@DATASETS.register_module(force=True)
class _ColourClasses(BaseDataset):
    """Class c is a flat image of colour c (plus noise): trivially separable."""

    COLOURS = np.array([[250, 10, 10], [10, 250, 10], [10, 10, 250]], np.float32)

    def __init__(self, n=30, seed=0, **kw):
        self.n, self.seed = n, seed
        super().__init__(serialize_data=False, **kw)

    def load_data_list(self):
        rng = np.random.default_rng(self.seed)
        out = []
        for i in range(self.n):
            label = i % 3
            img = self.COLOURS[label] + rng.normal(0, 5, (8, 8, 3))
            out.append(dict(img=np.clip(img, 0, 255).astype(np.uint8), gt_label=label,
                            sample_idx=i))
        return out


class _MeanColour(BaseModel):
    """extract_feat returns the image itself: pooled, it is the mean colour."""

    def __init__(self):
        super().__init__(data_preprocessor=SelfSupDataPreprocessor())
        self.calls = []

    def extract_feat(self, x):
        self.calls.append(self.training)
        return (x,)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.extract_feat(inputs)


def _loader(seed, n):
    return dict(batch_size=7, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'),
                dataset=dict(type='_ColourClasses', n=n, seed=seed,
                             pipeline=[dict(type='PackSelfSupInputs')]))


def _fake_runner(model, epoch=0):
    return SimpleNamespace(model=model, build_dataloader=Runner.build_dataloader,
                           message_hub=MessageHub.get_instance('knn_test'),
                           logger=MMLogger.get_instance('knn_test'), epoch=epoch,
                           max_epochs=10, train_loop=SimpleNamespace(max_epochs=10), seed=0)


def test_hook_scores_separable_data_and_restores_train_mode():
    model = _MeanColour().train()
    hook = KNNEvalHook(_loader(0, 30), _loader(1, 12), k=5)
    assert hook.num_queries is None
    runner = _fake_runner(model, epoch=3)
    top1 = hook.evaluate(runner)
    assert top1 == pytest.approx(100.0)
    assert runner.message_hub.get_scalar('knn/top1').current() == pytest.approx(100.0)
    assert hook.history == {3: pytest.approx(100.0)}
    assert hook.num_queries == 12
    assert model.calls and not any(model.calls), 'features must be extracted in eval mode'
    assert model.training


def test_hook_runs_on_its_schedule():
    model = _MeanColour()
    hook = KNNEvalHook(_loader(0, 9), _loader(1, 6), interval=2, k=3)
    ran = []
    hook.evaluate = lambda runner: ran.append(runner.epoch)
    for epoch in range(10):  # after_train_epoch sees runner.epoch = finished epochs - 1
        hook.after_train_epoch(_fake_runner(model, epoch=epoch))
    assert ran == [1, 3, 5, 7, 9]


def test_due_names_the_epochs_the_pass_runs_after_and_the_demo_line_agrees():
    from mmccrop.demo.progress_hook import StageProgressHook
    hook = KNNEvalHook(_loader(0, 9), _loader(1, 6), interval=3, k=3)
    notes = []
    line = SimpleNamespace(update=lambda note=None, **kw: notes.append(note))
    due = []
    for epoch in range(10):
        runner = SimpleNamespace(**vars(_fake_runner(None, epoch=epoch)), hooks=[hook])
        if hook.due(runner):
            due.append(epoch)
        StageProgressHook(line).after_train_epoch(runner)
    assert due == [2, 5, 8, 9]  # every third epoch, and the last
    assert notes == [f'after epoch {e + 1}: kNN' for e in due]


@pytest.mark.parametrize('kw,name', [(dict(interval=0), 'interval'), (dict(k=0), 'k'),
                                     (dict(temperature=0.0), 'temperature')])
def test_bad_values_name_the_key(kw, name):
    with pytest.raises(ValueError, match=name):
        KNNEvalHook(_loader(0, 3), _loader(0, 3), **kw)


def test_features_are_l2_normalised_pooled_maps():
    model = _MeanColour()
    loader = Runner.build_dataloader(_loader(0, 6))
    feats, labels = extract_features(model, loader)
    assert feats.shape == (6, 3)
    assert torch.allclose(feats.norm(dim=1), torch.ones(6))
    assert labels.tolist() == [0, 1, 2, 0, 1, 2]
