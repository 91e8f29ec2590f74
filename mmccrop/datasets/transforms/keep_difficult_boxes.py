"""Train a VOC detector on its "difficult" objects too, as detectron2 does."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmccrop.registry import TRANSFORMS


@TRANSFORMS.register_module()
class KeepDifficultBoxes(BaseTransform):
    """Make every loaded box ground truth: clear ``gt_ignore_flags``.

    mmdet's VOC loader flags "difficult" objects as ignored, and
    ``PackDetInputs`` then moves them out of ``gt_instances``. With the
    assigners' ``ignore_iof_thr=-1`` nothing looks at ignored boxes, so
    anchors and proposals on those objects train as *background*, although
    the objects exist (and are skipped, not penalised, at test time).
    detectron2, and hence MoCo's VOC protocol, trains on them as ordinary
    boxes. Put this after ``LoadAnnotations`` in a VOC *training* pipeline
    whose dataset has no ``bbox_min_size`` (the other source of the flag),
    and leave the test pipeline alone: VOC evaluation must keep ignoring
    difficult objects.

    Required Keys:

    - gt_ignore_flags (optional: absent means nothing to do)

    Modified Keys:

    - gt_ignore_flags (all False)
    """

    def transform(self, results: dict) -> dict:
        flags = results.get('gt_ignore_flags')
        if flags is not None:
            results['gt_ignore_flags'] = np.zeros_like(flags, dtype=bool)
        return results
