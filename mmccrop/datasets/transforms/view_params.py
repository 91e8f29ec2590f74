"""The loader half of the device augmentation path: draw the views' parameters only."""
import functools
from collections.abc import Callable
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import RandomFlip as MMCVRandomFlip

from mmccrop.functional import batch_augment as ba
from mmccrop.registry import TRANSFORMS

from .color_jitter import ColorJitter
from .gaussian_blur import GaussianBlur
from .multi_view import MultiView
from .random_grayscale import RandomGrayscale
from .random_resized_crop import RandomResizedCrop
from .solarize import Solarize


def crop_mode(crop: RandomResizedCrop) -> str:
    """The batched resampling law (``batch_augment_resize.MODES``) of a CPU crop."""
    aa = crop.antialias if crop.backend == 'cv2' else True  # PIL always antialiases
    interp = crop.interpolation
    if aa and interp in ('bilinear', 'bicubic'):
        return f'pil_{interp}'
    if not aa and interp == 'bilinear':
        return 'cv2_bilinear'
    raise ValueError(f'{crop!r}: the device path resizes with PIL\'s antialiased bilinear or '
                     "bicubic, or cv2's plain bilinear; set interpolation='bilinear' (or "
                     "antialias=True) or keep this config on the CPU pipeline")


def _draw(t: object, name: str) -> Callable:
    """``t.<name>`` without mmcv's ``cache_randomness`` wrapper (a copy per call).

    The underlying function is what the CPU transform calls outside
    ``cache_random_params``: the same draws from the same numpy state.
    """
    for cls in type(t).__mro__:
        attr = cls.__dict__.get(name)
        if attr is not None:
            func = getattr(attr, 'func', None)
            return functools.partial(func, t) if func is not None else getattr(t, name)
    raise AttributeError(f'{type(t).__name__} has no {name}')


def _flip_draw(flip: MMCVRandomFlip) -> Callable[[], bool]:
    """``flip._choose_direction() is not None`` for one direction, without its overhead.

    mmcv draws ``np.random.choice([direction, None], p=[prob, 1 - prob])``: one
    ``random_sample()`` against the normalised cumulative probabilities.  This
    draws the same number from the same stream and compares it the same way.
    """
    cdf = np.cumsum([flip.prob, 1.0 - flip.prob])
    cdf /= cdf[-1]
    threshold = float(cdf[0])
    return lambda: bool(np.random.random_sample() < threshold)


def _sampler(draw: Callable, to_slots: Callable) -> Callable:
    """A sampler ``fn(results, height, width)`` for a draw that needs neither."""
    return lambda results, height, width: to_slots(draw())


def plan_view(pipeline: Sequence[Callable], where: str = 'view') -> Tuple[tuple, list]:
    """The view plan of a built CPU view pipeline, and a sampler per op.

    Each sampler is ``fn(results, height, width) -> list of slots`` and calls
    the CPU transform's own random draw, in pipeline order, so the device
    path draws from the same law and, with the same seed, the same values.
    """
    if not pipeline or not isinstance(pipeline[0], RandomResizedCrop):
        raise ValueError(f'{where}: the device path needs the view to start with '
                         f'RandomResizedCrop or ContrastiveCrop, got '
                         f'{[type(t).__name__ for t in pipeline]}')
    crop = pipeline[0]
    records: List[tuple] = [('crop', crop.size[0], crop.size[1], crop_mode(crop))]
    flips: List[MMCVRandomFlip] = []
    samplers: list = [None]  # the crop's sampler is built below, with the flips
    for t in pipeline[1:]:
        if isinstance(t, MMCVRandomFlip):
            if t.direction != 'horizontal' or not isinstance(t.prob, float):
                raise ValueError(f'{where}: the device path flips horizontally with one '
                                 f'float prob, got {t!r}')
            flips.append(t)
            samplers.append(_sampler(_flip_draw(t), lambda flip: (flip, )))
            continue
        if isinstance(t, ColorJitter):
            records.append(('jitter', t.channel_order))
            samplers.append(_sampler(_draw(t, 'sample_params'), ba.jitter_slots))
        elif isinstance(t, RandomGrayscale):
            records.append(('gray', t.channel_order))
            samplers.append(_sampler(_draw(t, 'do_gray'), ba.flag_slots))
        elif isinstance(t, GaussianBlur):
            records.append(('blur', int(t.kernel_size or 0)))
            samplers.append(_sampler(_draw(t, 'sample_sigma'), ba.blur_slots))
        elif isinstance(t, Solarize):
            records.append(('solarize', t.threshold))
            samplers.append(_sampler(_draw(t, 'do_solarize'), ba.flag_slots))
        else:
            raise ValueError(f'{where}: {type(t).__name__} has no device version (supported '
                             'after the crop: RandomFlip, ColorJitter, RandomGrayscale, '
                             'GaussianBlur, Solarize); keep this config on the CPU pipeline')
    draw_crop = _draw(crop, 'sample_params')
    samplers[0] = lambda r, h, w: list(draw_crop(h, w, r))
    return tuple(records), samplers


@TRANSFORMS.register_module()
class MultiViewParams(BaseTransform):
    """Draw the augmentation parameters of each view; leave the image alone.

    The loader half of the device augmentation path (``docs/speed.md``).  It
    takes the arguments of :class:`MultiView` and builds the same CPU view
    pipelines, but instead of running them it calls each transform's random
    draw, in pipeline order: the crop's ``sample_params`` (ContrastiveCrop's
    box and Beta placement included), the flip's direction, ColorJitter's
    order and factors, the greyscale, blur and solarize draws.  So the law of
    every parameter is the CPU transform's own and, from the same numpy
    state, the values are the same.  :class:`DeviceAugmentPreprocessor`
    then makes the views on the model's device.

    Required Keys:

    - img (HWC uint8), or ori_shape when the image is still encoded
      (:class:`LoadImageBytes`)
    - ccrop_box (optional), as :class:`ContrastiveCrop` reads it

    Modified Keys:

    - img_shape: a list with the V views' output ``(h, w)``

    Added Keys:

    - aug_plan (str): ``repr`` of the tuple of the views' plans (see
      :mod:`mmccrop.functional.batch_augment`); a string, which the data
      sample copies and the collate passes through for free
    - aug_params (list[np.ndarray]): one float64 parameter vector per view
    - crop_bbox (list[np.ndarray]): each view's crop, pixel ``(x0, y0, x1, y1)``

    Args:
        transforms: One view pipeline or a list of them, as for
            :class:`MultiView`; each starts with RandomResizedCrop or
            ContrastiveCrop, followed by RandomFlip (horizontal),
            ColorJitter, RandomGrayscale, GaussianBlur or Solarize only.
        num_views: Views per pipeline, as for :class:`MultiView`.

    Raises:
        ValueError: naming the pipeline and transform that has no device
            version, or a crop whose resize the device path cannot match.
    """

    def __init__(self, transforms: Sequence[Union[dict, Callable, Sequence]],
                 num_views: Union[int, Sequence[int]]) -> None:
        super().__init__()
        views = MultiView(transforms, num_views)  # the same argument checks and building
        self.num_views = views.num_views
        self.plans, self.samplers = [], []
        for i, pipeline in enumerate(views.pipelines):
            plan, samplers = plan_view(pipeline, where=f'MultiViewParams pipeline {i}')
            self.plans.append(plan)
            self.samplers.append(samplers)
        self.aug_plan = repr(tuple(p for p, n in zip(self.plans, self.num_views)
                                   for _ in range(n)))

    def transform(self, results: dict) -> Optional[dict]:
        if 'img' in results:
            height, width = results['img'].shape[:2]
        elif 'ori_shape' in results:
            height, width = results['ori_shape'][:2]
        else:
            raise KeyError("MultiViewParams needs results['img'] or results['ori_shape']")
        params, boxes, shapes = [], [], []
        for plan, samplers, n in zip(self.plans, self.samplers, self.num_views):
            for _ in range(n):
                vec: list = []
                flip = False
                for s in samplers:
                    slots = s(results, height, width)
                    if isinstance(slots, tuple):  # a flip: folded into the crop's slot
                        flip ^= slots[0]
                    else:
                        vec.extend(slots)
                top, left, h, w = (int(v) for v in vec[:4])
                vec[:4] = ba.crop_slots(top, left, h, w, flip)
                params.append(np.array(vec, dtype=np.float64))
                boxes.append(np.array([left, top, left + w, top + h], dtype=np.float32))
                shapes.append((plan[0][1], plan[0][2]))
        results['aug_plan'] = self.aug_plan
        results['aug_params'] = params
        results['crop_bbox'] = boxes
        results['img_shape'] = shapes
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(plans={self.plans}, num_views={self.num_views})'

