"""Make several augmented views of one sample."""
import copy
from collections.abc import Callable
from typing import List, Optional, Sequence, Union

from mmcv.transforms import BaseTransform

from mmccrop.registry import TRANSFORMS

from .builder import apply_transforms, build_transforms


@TRANSFORMS.register_module()
class MultiView(BaseTransform):
    """Run one or more view pipelines on independent copies of the results.

    ``MultiView(transforms=[[...], [...]], num_views=[1, 1])`` gives one view
    from each of two pipelines (asymmetric, e.g. BYOL); ``MultiView(
    transforms=[[...]], num_views=2)`` (or a flat list of transforms) gives two
    views from one pipeline.  Every view starts from its own deep copy of the
    input results, ``ccrop_box`` included, so no view sees another's changes.

    Required Keys:

    - img, and whatever the view pipelines need (e.g. ``ccrop_box``)

    Modified Keys:

    - img: a list with the V view images, in pipeline order
    - img_shape: a list with the V view shapes

    Added Keys:

    - crop_bbox: a list with the V crop boxes (``None`` for a view that took
      no crop)
    - any other key named in ``collect_keys``, as a list of V values

    Keys not in ``collect_keys`` keep their value from before the views.

    Args:
        transforms: One pipeline (a list of transform configs) or a list of
            pipelines.
        num_views: Views per pipeline: an int (only with a single pipeline) or
            a list with one int per pipeline.
        collect_keys: Per-view keys gathered into lists.
    """

    def __init__(self,
                 transforms: Sequence[Union[dict, Callable, Sequence[Union[dict, Callable]]]],
                 num_views: Union[int, Sequence[int]],
                 collect_keys: Sequence[str] = ('img', 'img_shape', 'crop_bbox')) -> None:
        super().__init__()
        if not isinstance(transforms, (list, tuple)) or len(transforms) == 0:
            raise ValueError(f'`transforms` must be a non-empty list of pipelines, '
                             f'got {transforms!r}')
        # A flat list of transforms is a single pipeline.
        if all(isinstance(t, (dict, Callable)) for t in transforms):
            transforms = [transforms]
        if isinstance(num_views, int) and not isinstance(num_views, bool):
            if len(transforms) != 1:
                raise ValueError(f'`num_views` must be a list with one int per pipeline when '
                                 f'there are {len(transforms)} pipelines, got {num_views!r}')
            num_views = [num_views]
        num_views = list(num_views)
        if len(num_views) != len(transforms):
            raise ValueError(f'`num_views` must have one entry per pipeline '
                             f'({len(transforms)}), got {num_views!r}')
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                   for n in num_views):
            raise ValueError(f'`num_views` entries must be ints >= 1, got {num_views!r}')
        if 'img' not in collect_keys:
            raise ValueError(f"`collect_keys` must include 'img', got {collect_keys!r}")
        self.pipelines: List[List[Callable]] = [build_transforms(p) for p in transforms]
        self.num_views = num_views
        self.collect_keys = tuple(collect_keys)

    def transform(self, results: dict) -> Optional[dict]:
        collected = {k: [] for k in self.collect_keys}
        for pipeline, n in zip(self.pipelines, self.num_views):
            for _ in range(n):
                view = apply_transforms(pipeline, copy.deepcopy(results))
                if view is None:  # a view pipeline dropped the sample
                    return None
                for key in self.collect_keys:
                    collected[key].append(view.get(key))
        out = dict(results)
        out.update(collected)
        return out

    def __repr__(self) -> str:
        pipes = ', '.join(f'[{", ".join(repr(t) for t in p)}]' for p in self.pipelines)
        return f'{self.__class__.__name__}(transforms=[{pipes}], num_views={self.num_views})'
