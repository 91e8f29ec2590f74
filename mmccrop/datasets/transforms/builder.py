"""Build a list of transforms from configs with mmccrop's registry."""
from typing import Callable, List, Sequence, Union

from mmccrop.registry import TRANSFORMS


def build_transforms(cfgs: Sequence[Union[dict, Callable]]) -> List[Callable]:
    """Build each config with mmccrop's ``TRANSFORMS`` (callables pass through).

    mmengine's ``Compose`` builds with the root registry, which only finds
    mmccrop's transforms once ``default_scope='mmccrop'`` is set; building
    through the child registry works with or without a default scope, and
    still reaches mmcv's transforms (e.g. ``RandomFlip``) through the parent.
    """
    if isinstance(cfgs, dict) or callable(cfgs):
        raise TypeError(f'expected a list of transform configs, got {type(cfgs).__name__}')
    built = []
    for cfg in cfgs:
        if isinstance(cfg, dict):
            built.append(TRANSFORMS.build(cfg))
        elif callable(cfg):
            built.append(cfg)
        else:
            raise TypeError(f'a transform must be a config dict or a callable, got {cfg!r}')
    return built


def apply_transforms(transforms: Sequence[Callable], results: dict):
    """Run ``transforms`` in order; ``None`` from any of them drops the sample."""
    for t in transforms:
        results = t(results)
        if results is None:
            return None
    return results
