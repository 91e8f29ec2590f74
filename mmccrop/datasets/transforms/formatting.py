"""Pack the views and annotations of a sample for the model."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmccrop.registry import TRANSFORMS
from mmccrop.structures.data_sample import SelfSupDataSample


def img_to_chw_tensor(img: np.ndarray) -> torch.Tensor:
    """HWC (or HW) ndarray -> contiguous CHW tensor of the same dtype."""
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackSelfSupInputs(BaseTransform):
    """Pack the view images into ``inputs`` and the rest into a data sample.

    ``inputs`` is always a list with one CHW tensor per view (a single image
    gives a list of one), so a collated batch is a list of views, which is
    what ``SelfSupDataPreprocessor`` expects.  Images keep their dtype
    (uint8) and channel order (BGR); the preprocessor converts and normalises.

    The data sample's metainfo always carries ``sample_idx`` and ``crop_bbox``
    (a list with one pixel xyxy box per view, ``None`` for a view without a
    crop) when present, plus the keys in ``meta_keys`` that the results have.
    ``gt_label`` (an int; -1 marks an unlabelled sample, e.g. STL-10's
    ``unlabeled`` split) becomes ``data_sample.gt_label``.

    Required Keys:

    - img: an image or a list of view images (HWC or HW ndarrays)

    Optional Keys:

    - gt_label, sample_idx, crop_bbox and ``meta_keys``

    Added Keys:

    - inputs (list[Tensor])
    - data_samples (:class:`SelfSupDataSample`)

    Args:
        meta_keys: Keys copied into the data sample's metainfo when present.
    """

    ALWAYS_META = ('sample_idx', 'crop_bbox')

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'ori_shape', 'img_shape',
                                             'ccrop_box')) -> None:
        super().__init__()
        if isinstance(meta_keys, str):
            meta_keys = (meta_keys, )
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if 'img' not in results:
            raise KeyError("PackSelfSupInputs needs results['img']")
        imgs = results['img']
        single = not isinstance(imgs, (list, tuple))
        inputs = [img_to_chw_tensor(img) for img in ([imgs] if single else imgs)]
        return dict(inputs=inputs, data_samples=self.pack_data_sample(results, single))

    def pack_data_sample(self, results: dict, single_view: bool = False) -> SelfSupDataSample:
        """A data sample with the ``ALWAYS_META`` / ``meta_keys`` and ``gt_label`` of ``results``.

        Args:
            results: The transform's input.
            single_view: ``results['img']`` is one image, not a list of views:
                its ``crop_bbox`` is wrapped in a list, still one box per view.
        """
        data_sample = SelfSupDataSample()
        meta = {}
        for key in self.ALWAYS_META + self.meta_keys:
            if key in results and key not in meta:
                meta[key] = results[key]
        if single_view and 'crop_bbox' in meta:
            meta['crop_bbox'] = [meta['crop_bbox']]
        data_sample.set_metainfo(meta)
        label = results.get('gt_label')
        if label is not None:
            data_sample.set_gt_label(label)
        return data_sample

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
