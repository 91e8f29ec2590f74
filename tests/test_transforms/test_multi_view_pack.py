"""MultiView, PackSelfSupInputs and the hand-over to SelfSupDataPreprocessor."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmccrop.datasets.transforms import MultiView, PackSelfSupInputs, PackViewParams
from mmccrop.registry import TRANSFORMS
from mmccrop.structures.data_sample import SelfSupDataSample

CROP = dict(type='ContrastiveCrop', size=16, alpha=0.6)


def _results(seed=0):
    rng = np.random.default_rng(seed)
    return dict(img=rng.integers(0, 256, (60, 80, 3), dtype=np.uint8), img_shape=(60, 80),
                ccrop_box=np.array([0.1, 0.2, 0.8, 0.9], np.float32), sample_idx=4,
                gt_label=2, img_path='a/b.jpg')


def test_two_views_from_one_pipeline_are_independent():
    mv = TRANSFORMS.build(dict(type='MultiView', num_views=2, transforms=[[CROP]]))
    np.random.seed(0)
    out = mv(_results())
    assert len(out['img']) == 2 and len(out['crop_bbox']) == 2
    assert [im.shape for im in out['img']] == [(16, 16, 3)] * 2
    assert out['img_shape'] == [(16, 16), (16, 16)]
    assert not np.array_equal(out['crop_bbox'][0], out['crop_bbox'][1])
    # Keys outside the views keep their values.
    assert out['sample_idx'] == 4 and out['gt_label'] == 2 and out['img_path'] == 'a/b.jpg'


def test_a_flat_list_is_one_pipeline():
    mv = MultiView(transforms=[CROP], num_views=3)
    assert len(mv(_results())['img']) == 3


def test_views_get_deep_copies_including_the_box():
    seen = []

    def mutate(results):
        seen.append(results['ccrop_box'].copy())
        results['ccrop_box'][:] = 0.5  # in-place change must not leak to other views
        results['img'][:] = 0
        return results

    results = _results()
    original_img = results['img'].copy()
    out = MultiView(transforms=[[mutate]], num_views=3)(results)
    for box in seen:
        np.testing.assert_array_equal(box, np.float32([0.1, 0.2, 0.8, 0.9]))
    np.testing.assert_array_equal(results['ccrop_box'], np.float32([0.1, 0.2, 0.8, 0.9]))
    np.testing.assert_array_equal(results['img'], original_img)
    assert out['crop_bbox'] == [None, None, None]  # no view took a crop


def test_asymmetric_pipelines_keep_their_order():
    mark = lambda v: lambda r: {**r, 'img': np.full((2, 2, 3), v, np.uint8)}  # noqa: E731
    out = MultiView(transforms=[[mark(1)], [mark(2)]], num_views=[1, 2])(_results())
    assert [int(im[0, 0, 0]) for im in out['img']] == [1, 2, 2]


def test_a_dropped_view_drops_the_sample():
    assert MultiView(transforms=[[lambda r: None]], num_views=2)(_results()) is None


@pytest.mark.parametrize('kwargs', [
    dict(transforms=[[CROP], [CROP]], num_views=2),
    dict(transforms=[[CROP], [CROP]], num_views=[1]),
    dict(transforms=[[CROP]], num_views=0),
    dict(transforms=[[CROP]], num_views=[1.5]),
])
def test_bad_num_views_raises_naming_it(kwargs):
    with pytest.raises(ValueError, match='num_views'):
        MultiView(**kwargs)


def test_empty_transforms_raise_naming_it():
    with pytest.raises(ValueError, match='transforms'):
        MultiView(transforms=[], num_views=1)


def test_pack_views_and_meta():
    mv = MultiView(transforms=[[CROP]], num_views=2)
    np.random.seed(1)
    packed = PackSelfSupInputs(meta_keys=['img_path'])(mv(_results()))
    inputs, ds = packed['inputs'], packed['data_samples']
    assert isinstance(ds, SelfSupDataSample)
    assert len(inputs) == 2
    assert all(x.shape == (3, 16, 16) and x.dtype == torch.uint8 for x in inputs)
    assert ds.sample_idx == 4 and ds.img_path == 'a/b.jpg'
    assert len(ds.crop_bbox) == 2 and ds.crop_bbox[0].shape == (4, )
    assert ds.gt_label.label.tolist() == [2]
    assert 'ccrop_box' not in ds.metainfo  # not asked for


def test_pack_a_single_image_and_layout():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    flipped = img[:, ::-1]  # a negative-stride view, as mmcv's RandomFlip returns
    packed = PackSelfSupInputs()(dict(img=flipped))
    (x, ) = packed['inputs']
    assert x.shape == (3, 2, 3) and x.is_contiguous()
    assert torch.equal(x, torch.from_numpy(flipped.copy()).permute(2, 0, 1))
    assert packed['data_samples'].gt_label is None
    gray = PackSelfSupInputs()(dict(img=np.zeros((5, 6), np.uint8)))['inputs'][0]
    assert gray.shape == (1, 5, 6)
    # A single cropped view still gives one box per view.
    one = PackSelfSupInputs()(dict(img=np.zeros((4, 4, 3), np.uint8),
                                   crop_bbox=np.float32([1, 2, 3, 4])))
    assert len(one['data_samples'].crop_bbox) == 1


def test_pack_view_params_packs_the_data_sample_as_pack_selfsup_inputs():
    boxes = [np.float32([1, 2, 3, 4]), np.float32([0, 1, 5, 6])]
    results = dict(_results(), crop_bbox=boxes, aug_plan=('crop', 'flip'),
                   aug_params=[[1., 2., 3.], [4.]])
    packed = PackViewParams(meta_keys='img_path')(dict(results))
    plain = PackSelfSupInputs(meta_keys='img_path')(dict(results))['data_samples']
    ds = packed['data_samples']
    assert ds.aug_plan == ('crop', 'flip')
    assert {k: v for k, v in ds.metainfo.items() if k != 'aug_plan'}.keys() == \
        plain.metainfo.keys() == {'sample_idx', 'crop_bbox', 'img_path'}
    assert len(ds.crop_bbox) == 2  # already one box per view: not wrapped
    assert all(np.array_equal(a, b) for a, b in zip(ds.crop_bbox, boxes))
    assert ds.gt_label.label.tolist() == plain.gt_label.label.tolist() == [2]
    params = packed['inputs']['params']
    assert params.dtype == torch.float64 and params[1, 0] == 4 and params[1, 1:].isnan().all()
    assert packed['inputs']['img'].shape == (3, 60, 80)
    assert repr(PackViewParams(meta_keys='img_path')) == "PackViewParams(meta_keys=('img_path',))"
    with pytest.raises(KeyError, match='MultiViewParams'):
        PackViewParams()(dict(img=results['img']))


def test_pipeline_to_preprocessor_end_to_end():
    from mmccrop.models.data_preprocessors.selfsup_preprocessor import SelfSupDataPreprocessor
    pipeline = [
        dict(type='MultiView', num_views=2, transforms=[[
            CROP, dict(type='RandomFlip', prob=0.5),
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1,
                 prob=0.8),
            dict(type='RandomGrayscale', prob=0.2),
            dict(type='GaussianBlur', sigma=(0.1, 2.0), prob=0.5)]]),
        dict(type='PackSelfSupInputs', meta_keys=['img_path']),
    ]
    transforms = [TRANSFORMS.build(t) for t in pipeline]
    batch = []
    for i in range(4):
        r = _results(i)
        r['sample_idx'] = i
        for t in transforms:
            r = t(r)
        batch.append(r)
    data = pseudo_collate(batch)
    pre = SelfSupDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                                  bgr_to_rgb=True)
    out = pre(data)
    assert len(out['inputs']) == 2
    assert all(v.shape == (4, 3, 16, 16) and v.dtype == torch.float32 for v in out['inputs'])
    assert [d.sample_idx for d in out['data_samples']] == [0, 1, 2, 3]
