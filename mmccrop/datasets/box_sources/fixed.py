"""One box for every image (SimCCrop's fixed central box)."""
from typing import Any, Sequence

import numpy as np

from mmccrop.functional.box_sources import box_problem
from mmccrop.registry import BOX_SOURCES

from .base import BaseBoxSource, SourceBoxes


@BOX_SOURCES.register_module()
class FixedBox(BaseBoxSource):
    """Every image gets ``box``, a normalised ``(x0, y0, x1, y1)``.

    The same as ``BoxedDataset(init_box=box)``, as a source:
    ``dict(type='FixedBox', box=(0.25, 0.25, 0.75, 0.75))`` with
    ``BoxRefreshHook(warmup_epochs=0, interval=None)`` is SimCCrop.

    Args:
        box: The box, ``0 <= x0 < x1 <= 1`` and ``0 <= y0 < y1 <= 1``.
    """

    def __init__(self, box: Sequence[float] = (0.25, 0.25, 0.75, 0.75)) -> None:
        problem = box_problem(box)
        if problem:
            raise ValueError(f'FixedBox: box {box!r} {problem}')
        self.box = tuple(float(v) for v in box)

    def __call__(self, dataset: Any) -> SourceBoxes:
        n = len(dataset)
        return SourceBoxes(np.tile(np.asarray(self.box, np.float32), (n, 1)),
                           np.zeros(n, dtype=bool))
