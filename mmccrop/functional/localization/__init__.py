"""Semantic-aware localisation: boxes from backbone feature maps.

ContrastiveCrop turns the last backbone feature map of each image into a box:

1. heatmap = sum over channels, min-max normalised per image to ``[0, 1]``;
2. the heatmap is bilinearly upsampled to the eval image size, with one of
   two feature-grid geometries (``align``, see :func:`upsample_heatmaps`):
   ``'centre'`` (the authors' ``F.interpolate(align_corners=False)``) or
   ``'corner'`` (where strided CNNs actually centre their cells);
3. the rows whose maximum is ``> k`` and the columns whose maximum is ``> k``
   are kept, and the box spans the first to the last kept row / column, as
   fractions of the eval image.

:func:`heatmap_to_boxes` computes exactly that for a whole batch without
materialising the upsampled maps (see :func:`kept_spans`), and
:func:`heatmap_to_boxes_reference` is the straightforward per-image version it
is tested and benchmarked against.

Two options go beyond the authors' rule; both default to it:

- ``background='median'`` subtracts each channel's per-image median from the
  feature map (negative parts are dropped) before the channel sum.  Channels
  that fire over the whole image (background colour, texture) otherwise
  dominate the sum on cluttered scenes; their median is their background
  level, so what remains is what stands out locally.
- ``region='peak'`` keeps only the connected (8-neighbour) region of
  upsampled pixels ``> k`` that contains the heatmap maximum, instead of every
  row and column with a pixel ``> k``: one secondary peak anywhere (a
  distractor) no longer stretches the box to it.

Box convention: normalised ``(x0, y0, x1, y1)``, where kept rows ``r0..r1``
of an ``H``-row image give ``y0 = r0 / H`` and ``y1 = (r1 + 1) / H``, so a
heatmap above ``k`` everywhere gives exactly ``(0, 0, 1, 1)``.  (The authors'
code stores ``(y0, x0, y1, x1)`` and uses ``r1 / H``, one pixel less.)

Vision Transformers: :func:`tokens_to_grid` drops the class token and
reshapes the patch tokens to their grid, so the steps above apply to ViT
features too (``align='centre'`` is right for patch embeddings).

No mmengine / mmcv imports here (OpenCV labels the peak regions).

Modules: :mod:`.heatmap` (steps 1-2), :mod:`.spans` (step 3, exact and
peak-region), :mod:`.boxes` (the batch entry point and box area / IoU),
:mod:`.reference` (the per-image version), :mod:`.tokens` (ViT tokens to
feature maps).
"""
from .boxes import FULL_BOX, box_area, box_iou, heatmap_to_boxes, invalid_boxes
from .heatmap import (
    ALIGNS,
    BACKGROUNDS,
    REGIONS,
    check_localize_options,
    normalized_heatmaps,
    upsample_heatmaps,
)
from .reference import heatmap_to_boxes_reference
from .spans import kept_spans, peak_region_spans
from .tokens import infer_grid_size, tokens_to_grid

__all__ = [
    'normalized_heatmaps', 'upsample_heatmaps', 'kept_spans', 'heatmap_to_boxes',
    'heatmap_to_boxes_reference', 'peak_region_spans', 'box_iou', 'box_area', 'invalid_boxes',
    'FULL_BOX', 'ALIGNS', 'BACKGROUNDS', 'REGIONS', 'check_localize_options', 'tokens_to_grid',
    'infer_grid_size'
]
