import pytest
import torch
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope

from mmccrop import registry
from mmccrop.utils import register_all_modules

ROOT_NAMES = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS'
]


@pytest.mark.parametrize('name', ROOT_NAMES)
def test_child_of_every_mmengine_root(name):
    import mmengine.registry as root
    ours = getattr(registry, name)
    assert ours.scope == 'mmccrop'
    assert ours.parent is getattr(root, name)
    assert ours._locations, f'{name} has no lazy-import locations'


def test_locations_import_cleanly():
    import importlib
    for name in ROOT_NAMES:
        for loc in getattr(registry, name)._locations:
            importlib.import_module(loc)


def test_register_all_modules_sets_scope():
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmccrop'
    assert registry.MODELS.get('SelfSupDataPreprocessor') is not None


def test_sibling_scopes_by_prefix():
    """A config with default_scope='mmccrop' builds mmdet.* and mmseg.* modules."""
    with DefaultScope.overwrite_default_scope('mmccrop'):
        resnet = registry.MODELS.build(dict(type='mmdet.ResNet', depth=18, out_indices=(3,)))
        resnet.eval()  # mmdet's ResNet.train() returns None, so no chaining
        out = resnet(torch.zeros(1, 3, 32, 32))
        assert out[-1].shape == (1, 512, 1, 1)
        # FCNHead builds its loss by bare name: that must happen in scope mmseg.
        cfg = dict(type='mmseg.FCNHead', in_channels=8, channels=4, num_classes=3,
                   norm_cfg=dict(type='BN'))
        head = registry.MODELS.build(cfg)
        assert type(head).__module__.startswith('mmseg.')
        assert type(head.loss_decode).__module__.startswith('mmseg.')
        assert '_scope_' not in cfg, 'the user config was mutated'
        assert DefaultScope.get_current_instance().scope_name == 'mmccrop'
        mmdet_head = registry.MODELS.build(dict(type='mmdet.RPNHead', in_channels=8,
                                                feat_channels=8))
        assert type(mmdet_head.loss_cls).__module__.startswith('mmdet.')
        # ... and the root registry finds ours by the mmccrop prefix.
        pre = MMENGINE_MODELS.build(dict(type='mmccrop.SelfSupDataPreprocessor'))
        assert type(pre).__name__ == 'SelfSupDataPreprocessor'


def test_unknown_type_names_the_key():
    with DefaultScope.overwrite_default_scope('mmccrop'):
        with pytest.raises(KeyError, match='NoSuchAlgo'):
            registry.MODELS.build(dict(type='NoSuchAlgo'))
