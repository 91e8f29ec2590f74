"""Annotation sources: COCO json, VOC xml and gt_bbox, with the union and largest rules."""
import numpy as np
import pytest
import torch

from mmccrop.datasets.box_sources import AnnotationBoxes
from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.functional.box_sources import combine_boxes, pixel_boxes_to_fractions
from mmccrop.functional.box_stats import box_stats
from mmccrop.functional.localization import box_iou

from ._data import PathImages, coco_file, voc_xml

IMAGES = [('0001.jpg', 200, 100), ('0002.jpg', 50, 40), ('0003.jpg', 10, 10)]
NAMES = ['train2017/0001.jpg', 'train2017/0002.jpg', 'train2017/0003.jpg']


def _dataset(names=NAMES, **kwargs):
    return BoxedDataset(dataset=PathImages(names=names, data_root='data/coco'), **kwargs)


def _coco(tmp_path, extra_images=()):
    objects = [(0, [20, 10, 60, 30], 0),  # image 0: x 0.1-0.4, y 0.1-0.4
               (0, [100, 50, 80, 40], 1),  # a crowd region: x 0.5-0.9, y 0.5-0.9 (largest)
               (1, [5, 4, 10, 20], 0),  # image 1: x 0.1-0.3, y 0.1-0.6
               (1, [44, 0, 10, 40], 0)]  # partly outside: clipped to x 0.88-1 (largest)
    return coco_file(tmp_path / 'instances.json', IMAGES + list(extra_images), objects)


@pytest.mark.parametrize('rule,expected', [
    ('union', [[0.1, 0.1, 0.9, 0.9], [0.1, 0.0, 1.0, 1.0]]),
    ('largest', [[0.5, 0.5, 0.9, 0.9], [0.88, 0.0, 1.0, 1.0]]),
])
def test_coco_boxes_follow_the_rule(tmp_path, rule, expected):
    ann = _coco(tmp_path)
    source = dict(type='AnnotationBoxes', format='coco', ann_file=ann, rule=rule,
                  prefix='train2017', missing='full')
    ds = _dataset(box_source=source)
    # image 3 has no object: missing='full' gives it the whole image
    assert torch.allclose(ds.boxes, torch.tensor(expected + [[0., 0., 1., 1.]]), atol=1e-6)
    with pytest.raises(ValueError, match=r"no box for 1 of 3 images: 'train2017/0003.jpg' "
                                         r"\(sample 2, listed without a box\)"):
        _dataset(box_source=dict(source, missing='error'))
    # the image folder is part of the key: without the prefix nothing matches
    with pytest.raises(ValueError, match=r"3 key\(s\) match no image of the dataset: '0001.jpg' "
                                         r"\(images\[0\] \(id 10\)\), .*e\.g\. "
                                         r"'train2017/0001.jpg'"):
        _dataset(box_source=dict(source, prefix=''))


def test_coco_images_outside_the_dataset_are_an_error_unless_ignored(tmp_path):
    ann = _coco(tmp_path, extra_images=[('0004.jpg', 10, 10)])
    source = dict(type='AnnotationBoxes', format='coco', ann_file=ann, prefix='train2017/',
                  missing='full')
    with pytest.raises(ValueError, match=r"'train2017/0004.jpg' \(images\[3\] \(id 13\)\)"):
        _dataset(box_source=source)
    assert len(_dataset(box_source=dict(source, unknown='ignore'))) == 3


@pytest.mark.parametrize('rule,expected', [
    ('union', [[0.0, 0.0, 0.5, 0.75], [0.2, 0.3, 0.6, 0.8]]),
    ('largest', [[0.0, 0.5, 0.5, 0.75], [0.2, 0.3, 0.6, 0.8]]),
])
def test_voc_boxes_use_one_based_inclusive_pixels_and_follow_the_rule(tmp_path, rule, expected):
    folder = tmp_path / 'Annotations'
    folder.mkdir()
    # 1-based inclusive: xmin 1 .. xmax 50 of a 100 px width is x 0 .. 0.5
    voc_xml(folder, 'a', (100, 40), [(1, 1, 20, 10), (1, 21, 50, 30)])
    voc_xml(folder, 'b', (50, 20), [(11, 7, 30, 16)])
    ds = BoxedDataset(dataset=PathImages(names=['JPEGImages/a.jpg', 'JPEGImages/b.jpg'],
                                         data_root='data/VOC2012'),
                      box_source=dict(type='AnnotationBoxes', format='voc',
                                      ann_file=str(folder), rule=rule, prefix='JPEGImages'))
    assert torch.allclose(ds.boxes, torch.tensor(expected), atol=1e-6)


@pytest.mark.parametrize('fmt,content,message', [
    ('coco', '{"images": [{"id": 1, "file_name": "a.jpg", "width": 10}], "annotations": []}',
     r"images\[0\] \(id 1, 'a.jpg'\): height is not a number: None"),
    ('coco', '{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}], '
     '"annotations": [{"id": 5, "image_id": 2, "bbox": [0, 0, 1, 1]}]}',
     r"annotations\[0\] \(id 5\) refers to image_id 2, which \"images\" does not list"),
    ('coco', '{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}], '
     '"annotations": [{"id": 5, "image_id": 1, "bbox": [5, 0, -2, 1]}]}',
     r"annotations\[0\] \(id 5\): bbox \[5, 0, -2, 1\] is inverted"),
    ('coco', '{"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}, '
     '{"id": 2, "file_name": "a.jpg", "width": 10, "height": 10}], "annotations": []}',
     r"images\[1\] \(id 2, 'a.jpg'\): duplicate file_name \(also images\[0\] \(id 1\)\)"),
    ('coco', '{"categories": []}', r'expected an object with lists "images" and "annotations"'),
    ('voc', '<annotation><size><width>9</width><height>9</height></size></annotation>',
     r"has no <filename>"),
    ('voc', '<annotation><filename>a.jpg</filename><size><width>9</width><height>9</height>'
     '</size><object><name>cat</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>2</xmax>'
     '<ymax>3</ymax></bndbox></object></annotation>',
     r"object 0 \('cat'\): the box is inverted \(xmin 5, ymin 1, xmax 2, ymax 3\)"),
    ('voc', '<annotation><filename>a.jpg</filename>', r'is not XML'),
])
def test_bad_annotation_files_name_the_file_and_the_entry(tmp_path, fmt, content, message):
    if fmt == 'coco':
        path = tmp_path / 'ann.json'
        path.write_text(content)
        where = str(path)
    else:
        (tmp_path / 'Annotations').mkdir()
        path = tmp_path / 'Annotations' / 'a.xml'
        path.write_text(content)
        where = str(tmp_path / 'Annotations')
    with pytest.raises(ValueError, match=f"{fmt.upper()} file '.*{path.name}'.*{message}"):
        AnnotationBoxes(format=fmt, ann_file=where)(_dataset(names=['a.jpg']))


def test_argument_checks_name_the_argument():
    with pytest.raises(ValueError, match=r"AnnotationBoxes: rule must be one of \('union', "
                                         r"'largest'\)"):
        AnnotationBoxes(format='coco', ann_file='x.json', rule='first')
    with pytest.raises(ValueError, match=r"format='voc' needs ann_file"):
        AnnotationBoxes(format='voc')
    with pytest.raises(ValueError, match='AnnotationBoxes: format must be one of'):
        AnnotationBoxes(format='yolo', ann_file='x')
    with pytest.raises(ValueError, match='combine_boxes: no box'):
        combine_boxes(np.zeros((0, 4)))


def test_pixel_boxes_to_fractions_takes_width_then_height_and_clips():
    # A 200 x 100 (width x height) image; the second box runs off its right edge.
    out = pixel_boxes_to_fractions([[20, 10, 100, 50], [150, -5, 260, 100]], 200, 100)
    np.testing.assert_allclose(out, [[0.1, 0.1, 0.5, 0.5], [0.75, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match='image size must be positive'):
        pixel_boxes_to_fractions([[0, 0, 1, 1]], 0, 100)


def test_gt_bbox_with_several_objects_and_samples_without_one():
    gt = [[[0.1, 0.1, 0.3, 0.3], [0.5, 0.4, 0.9, 0.6]], [0.2, 0.2, 0.4, 0.4], None]
    leaf = PathImages(names=['a.jpg', 'b.jpg', 'c.jpg'], gt=gt)
    union = BoxedDataset(dataset=leaf, box_source=dict(type='AnnotationBoxes', format='gt_bbox',
                                                       missing='full'))
    assert torch.allclose(union.boxes, torch.tensor(
        [[0.1, 0.1, 0.9, 0.6], [0.2, 0.2, 0.4, 0.4], [0, 0, 1, 1]]))
    largest = BoxedDataset(dataset=leaf, box_source=dict(
        type='AnnotationBoxes', format='gt_bbox', rule='largest', missing='full'))
    assert torch.allclose(largest.boxes[0], torch.tensor([0.5, 0.4, 0.9, 0.6]))
    with pytest.raises(ValueError, match=r"1 of 3 samples have no gt_bbox, e.g. sample 2"):
        BoxedDataset(dataset=leaf, box_source=dict(type='AnnotationBoxes', format='gt_bbox'))
    bad = PathImages(names=['a.jpg'], gt=[[0.5, 0.1, 0.2, 0.3]])
    with pytest.raises(ValueError, match=r'sample 0: gt_bbox \[0.5, 0.1, 0.2, 0.3\] is inverted'):
        BoxedDataset(dataset=bad, box_source=dict(type='AnnotationBoxes', format='gt_bbox'))


def test_demo_data_annotation_boxes_are_the_true_boxes(caplog):
    """The demo's SyntheticObjects (its generator settings, fewer images): box mIoU 1.0."""
    synthetic = dict(type='SyntheticObjects', num_images=48, img_size=64, num_classes=10,
                     clutter=0.5, seed=0, split='train')
    ds = BoxedDataset(dataset=synthetic,
                      box_source=dict(type='AnnotationBoxes', format='gt_bbox'))
    gt = ds.gt_boxes()
    assert torch.equal(ds.boxes, gt)
    stats = box_stats(ds.boxes, torch.zeros(len(ds), dtype=torch.bool), gt)
    assert stats['box_miou'] == 1.0 and stats['box_miou_full'] < 0.2
    assert float(box_iou(ds.boxes, gt).min()) == 1.0
