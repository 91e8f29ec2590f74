"""The embedded default dataset: procedurally generated object-centric images."""
from typing import Callable, List, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset

from mmccrop.functional.synthetic import SyntheticSpec, class_style, render
from mmccrop.registry import DATASETS


@DATASETS.register_module()
class SyntheticObjects(BaseDataset):
    """One object of ``num_classes`` classes per image on a cluttered background.

    Images are rendered on the fly from ``(seed, split, index)``, so the
    dataset needs no files and is identical in every worker and rank.

    Each sample's data info holds ``img`` (HWC uint8 BGR), ``gt_label``,
    ``gt_bbox`` (normalised xyxy float32) and ``gt_mask`` (H, W uint8), plus
    ``img_shape``/``ori_shape``.

    Args:
        num_images: Number of images in this split.
        img_size: Image side in pixels.
        num_classes: Number of classes (shape/texture/colour combinations).
        scale_range: Object side as a fraction of the image side.
        clutter: Background clutter in [0, 1].
        seed: Generator seed.
        split: 'train', 'val' or 'test' (disjoint random streams).
        pipeline: Transforms applied to each sample.
        test_mode: mmengine's flag.
        lazy_init: mmengine's flag.
    """

    def __init__(self,
                 num_images: int = 2000,
                 img_size: int = 64,
                 num_classes: int = 10,
                 scale_range: Tuple[float, float] = (0.25, 0.55),
                 clutter: float = 0.5,
                 seed: int = 0,
                 split: str = 'train',
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        if num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        self.spec = SyntheticSpec(img_size=img_size, num_classes=num_classes,
                                  scale_range=tuple(scale_range), clutter=clutter, seed=seed)
        self.num_images = num_images
        self.split = split
        classes = tuple('{}-{}'.format(*class_style(c)[:2]) for c in range(num_classes))
        super().__init__(metainfo=dict(classes=classes), pipeline=list(pipeline),
                         test_mode=test_mode, lazy_init=lazy_init, serialize_data=False)

    def load_data_list(self) -> List[dict]:
        # Images are rendered in get_data_info; keep the list light.
        return [dict(sample_idx=i) for i in range(self.num_images)]

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        img, label, box, mask = render(self.spec, info['sample_idx'], self.split)
        info.update(img=img, gt_label=label, gt_bbox=box, gt_mask=mask,
                    img_shape=img.shape[:2], ori_shape=img.shape[:2])
        return info

    def get_gt_bbox(self, idx: int):
        """The ground-truth box of sample ``idx`` (normalised xyxy)."""
        return self.get_data_info(idx)['gt_bbox']

    def get_cat_ids(self, idx: int) -> List[int]:
        return [int(self.get_data_info(idx)['gt_label'])]

    def __repr__(self) -> str:  # BaseDataset has none worth printing
        return f'{type(self).__name__}(num_images={self.num_images}, split={self.split!r}, ' \
               f'{self.spec})'


