import os.path as osp

import numpy as np
import pytest

from mmccrop.datasets.synthetic_export import class_names, export
from mmccrop.functional.synthetic import SyntheticSpec, render

SPEC = SyntheticSpec(img_size=48, num_classes=4, seed=2)


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthetic'))
    roots = export(out, SPEC, {'train': 6, 'val': 3})
    return out, roots


def test_coco_loads_with_pycocotools(exported):
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    _, roots = exported
    coco = COCO(osp.join(roots['coco'], 'annotations', 'instances_train2017.json'))
    assert len(coco.getImgIds()) == 6 and len(coco.getCatIds()) == 4
    for i in range(6):
        ann = coco.loadAnns(coco.getAnnIds(imgIds=[i + 1]))[0]
        _, label, box, mask = render(SPEC, i, 'train')
        assert ann['category_id'] == label + 1
        np.testing.assert_allclose(ann['bbox'], [box[0] * 48, box[1] * 48,
                                                 (box[2] - box[0]) * 48,
                                                 (box[3] - box[1]) * 48], atol=1e-4)
        assert np.array_equal(mask_utils.decode(ann['segmentation']), mask)
        assert osp.isfile(osp.join(roots['coco'], 'train2017',
                                   coco.loadImgs(i + 1)[0]['file_name']))


def test_voc_loads_with_mmseg(exported):
    import mmcv
    from mmseg.datasets import BaseSegDataset
    _, roots = exported
    names = ['background'] + class_names(SPEC)
    # PascalVOCDataset only accepts subsets of VOC's 20 classes; the VOC
    # layout with our own classes is read by mmseg's BaseSegDataset.
    ds = BaseSegDataset(data_root=roots['voc'], ann_file='ImageSets/Segmentation/val.txt',
                        img_suffix='.jpg', seg_map_suffix='.png',
                        data_prefix=dict(img_path='JPEGImages',
                                         seg_map_path='SegmentationClass'),
                        metainfo=dict(classes=names), pipeline=[])
    assert len(ds) == 3
    info = ds.get_data_info(1)
    seg = mmcv.imread(info['seg_map_path'], flag='unchanged', backend='pillow')
    _, label, _, mask = render(SPEC, 1, 'val')
    assert np.array_equal(seg, mask * (label + 1))


def test_imagenet_folder_loads_with_our_image_folder(exported):
    from mmccrop.datasets import ImageFolder
    _, roots = exported
    ds = ImageFolder(data_root=roots['imagenet'], data_prefix='train', ann_file='',
                     pipeline=[])
    assert len(ds) == 6
    names = class_names(SPEC)
    # A folder scan names classes by their (sorted) folders ...
    for i in range(6):
        info = ds.get_data_info(i)
        stem = osp.basename(info['img_path'])
        true = render(SPEC, int(stem[6:12]), 'train')[1]
        assert ds.metainfo['classes'][info['gt_label']] == names[true]
    # ... and the list file keeps the generator's class indices.
    listed = ImageFolder(data_root=roots['imagenet'], data_prefix='train',
                         ann_file='meta/train.txt', pipeline=[])
    for i in range(6):
        info = listed.get_data_info(i)
        true = render(SPEC, int(osp.basename(info['img_path'])[6:12]), 'train')[1]
        assert info['gt_label'] == true


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='formats'):
        export(str(tmp_path), SPEC, {'train': 1}, formats=['kitti'])
    with pytest.raises(ValueError, match='split'):
        export(str(tmp_path), SPEC, {'dev': 1})
