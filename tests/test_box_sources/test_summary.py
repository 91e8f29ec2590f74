"""The line BoxedDataset logs after reading a box source."""
import numpy as np

from mmccrop.datasets.box_sources import FixedBox, SourceBoxes, summary


def test_summary_counts_the_mean_area_and_the_whole_image_boxes():
    boxes = np.float32([[0, 0, 1, 1], [0, 0, .5, .5], [0, 0, 1, 1]])
    result = SourceBoxes(boxes, np.array([False, False, True]), 'a note')
    assert summary(FixedBox(), result) == (
        'BoxedDataset: 3 initial boxes from FixedBox(): mean area 0.750, whole-image boxes 2 '
        "(1 of them for images without a box, missing='full'); a note")
    empty = SourceBoxes(np.zeros((0, 4), np.float32), np.zeros(0, bool))
    assert summary(FixedBox(), empty) == \
        'BoxedDataset: 0 initial boxes from FixedBox(): mean area 0.000, whole-image boxes 0'
