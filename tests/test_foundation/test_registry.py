import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.registry import MODELS as MMENGINE_MODELS

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
        out = resnet(torch.zeros(1, 3, 32, 32))
        assert out[-1].shape == (1, 512, 1, 1)
        head = registry.MODELS.build(
            dict(type='mmseg.FCNHead', in_channels=8, channels=4, num_classes=3,
                 norm_cfg=dict(type='BN')))
        assert type(head).__module__.startswith('mmseg.')
        # ... and the root registry finds ours by the mmccrop prefix.
        pre = MMENGINE_MODELS.build(dict(type='mmccrop.SelfSupDataPreprocessor'))
        assert type(pre).__name__ == 'SelfSupDataPreprocessor'


def test_unknown_type_names_the_key():
    with DefaultScope.overwrite_default_scope('mmccrop'):
        with pytest.raises(KeyError, match='NoSuchAlgo'):
            registry.MODELS.build(dict(type='NoSuchAlgo'))
