"""Pack one image and its views' parameters for the device augmentation path."""
import numpy as np
import torch

from mmccrop.registry import TRANSFORMS

from .formatting import PackSelfSupInputs, img_to_chw_tensor


@TRANSFORMS.register_module()
class PackViewParams(PackSelfSupInputs):
    """Pack the image (once, not once per view) and the view parameters.

    The device path's counterpart of :class:`PackSelfSupInputs`
    (``docs/speed.md``).  ``inputs`` is a dict that ``pseudo_collate`` turns
    into lists over the batch:

    - ``img``: the CHW uint8 image in the loader's channel order, or a 1-D
      uint8 tensor with the JPEG file (:class:`LoadImageBytes`);
    - ``params``: ``(V, P)`` float64, one row per view (rows of different
      lengths padded with NaN).

    The data sample's metainfo carries ``aug_plan`` (the views' plans),
    ``sample_idx`` and ``crop_bbox`` (one pixel box per view) when present,
    and the keys in ``meta_keys``, as :class:`PackSelfSupInputs`; ``gt_label``
    becomes ``data_sample.gt_label``.

    Required Keys:

    - img or img_bytes, aug_plan, aug_params (from :class:`MultiViewParams`)

    Added Keys:

    - inputs (dict), data_samples (:class:`SelfSupDataSample`)

    Args:
        meta_keys: Keys copied into the data sample's metainfo when present.
    """

    ALWAYS_META = PackSelfSupInputs.ALWAYS_META + ('aug_plan', )

    def transform(self, results: dict) -> dict:
        if 'aug_params' not in results or 'aug_plan' not in results:
            raise KeyError('PackViewParams needs aug_params and aug_plan (run MultiViewParams '
                           'before it)')
        if 'img' in results:
            img = img_to_chw_tensor(results['img'])
        elif 'img_bytes' in results:
            img = torch.from_numpy(np.array(results['img_bytes'], dtype=np.uint8))
        else:
            raise KeyError('PackViewParams needs results["img"] or results["img_bytes"]')
        rows = results['aug_params']
        params = np.full((len(rows), max(len(r) for r in rows)), np.nan, dtype=np.float64)
        for i, row in enumerate(rows):
            params[i, :len(row)] = row
        return dict(inputs=dict(img=img, params=torch.from_numpy(params)),
                    data_samples=self.pack_data_sample(results))
