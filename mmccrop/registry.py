"""mmccrop's registries: children of mmengine's roots, scope ``mmccrop``.

Each child lazily imports the sub-package named in ``locations`` the first
time it is asked to build something, so a config with
``default_scope='mmccrop'`` works without importing mmccrop by hand, and a
prefix such as ``mmdet.ResNet`` or ``mmseg.FCNHead`` reaches the sibling
scopes through mmengine's root registries.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS', 'BOX_SOURCES'
]



def _in_prefix_scope(build_func):
    """Wrap a registry's build function so ``type='mmseg.X'`` builds in scope mmseg.

    mmengine resolves a prefixed type in the sibling registry but keeps the
    current default scope, so a module that builds its own children by bare
    name (``FCNHead`` building ``CrossEntropyLoss``) would look them up in
    mmccrop.  Setting ``_scope_`` makes mmengine switch scope for the build.
    """

    def build(cfg, registry, default_args=None):
        obj_type = cfg.get('type') if isinstance(cfg, dict) else None
        if isinstance(obj_type, str) and '.' in obj_type and '_scope_' not in cfg:
            scope = obj_type.split('.', 1)[0]
            if scope != registry.scope:
                cfg = type(cfg)(cfg)  # shallow copy: never mutate the user's config
                cfg['_scope_'] = scope
        # mmengine's runner builder takes no default_args: pass it only when given.
        extra = {} if default_args is None else dict(default_args=default_args)
        return build_func(cfg, registry=registry, **extra)

    return build


def _child(name: str, parent: Registry, locations: list) -> Registry:
    return Registry(name, parent=parent, locations=locations,
                    build_func=_in_prefix_scope(parent.build_func))


_ENGINE = ['mmccrop.engine']
_DATA = ['mmccrop.datasets']
_MODELS = ['mmccrop.models']
_VIS = ['mmccrop.visualization']

RUNNERS = _child('runner', MMENGINE_RUNNERS, _ENGINE)
RUNNER_CONSTRUCTORS = _child('runner constructor', MMENGINE_RUNNER_CONSTRUCTORS, _ENGINE)
LOOPS = _child('loop', MMENGINE_LOOPS, _ENGINE)
HOOKS = _child('hook', MMENGINE_HOOKS, ['mmccrop.engine.hooks'])
STRATEGIES = _child('strategy', MMENGINE_STRATEGIES, _ENGINE)

DATASETS = _child('dataset', MMENGINE_DATASETS, _DATA)
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, _DATA)
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, ['mmccrop.datasets.transforms'])

MODELS = _child('model', MMENGINE_MODELS, _MODELS)
MODEL_WRAPPERS = _child('model wrapper', MMENGINE_MODEL_WRAPPERS, _MODELS)
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS, _MODELS)

OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, _ENGINE)
OPTIM_WRAPPERS = _child('optim wrapper', MMENGINE_OPTIM_WRAPPERS, _ENGINE)
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor', MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, _ENGINE)
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, _ENGINE)

METRICS = _child('metric', MMENGINE_METRICS, ['mmccrop.evaluation'])
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, ['mmccrop.evaluation'])
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, _MODELS)

VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, _VIS)
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, _VIS)
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS, _ENGINE)
INFERENCERS = _child('inferencer', MMENGINE_INFERENCERS, _ENGINE)
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, _DATA)

# Where ContrastiveCrop's initial boxes come from (``BoxedDataset(box_source=...)``).
# mmengine has no such root, so this one is a root of its own, like mmpretrain's
# BATCH_AUGMENTS; its scope is mmccrop.
BOX_SOURCES = Registry('box source', scope='mmccrop',
                       locations=['mmccrop.datasets.box_sources'])
