import numpy as np
import pytest

from mmccrop.functional.synthetic import SyntheticSpec, render


def test_deterministic_and_splits_differ():
    spec = SyntheticSpec(img_size=48, num_classes=6, seed=3)
    a = render(spec, 5)
    b = render(spec, 5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    c = render(spec, 5, split='val')
    assert not np.array_equal(a[0], c[0])
    d = render(SyntheticSpec(img_size=48, num_classes=6, seed=4), 5)
    assert not np.array_equal(a[0], d[0])


@pytest.mark.parametrize('idx', range(12))
def test_box_and_mask_match_the_object(idx):
    spec = SyntheticSpec(img_size=64, num_classes=10, clutter=1.0)
    img, label, box, mask = render(spec, idx)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert 0 <= label < 10
    ys, xs = np.nonzero(mask)
    assert mask.sum() > 0
    np.testing.assert_allclose(box * 64, [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    lo, hi = spec.scale_range
    side = max(box[2] - box[0], box[3] - box[1])
    assert side <= hi + 1 / 64
    # The object is saturated; the background clutter is not: the object's
    # pixels are far more saturated on average.
    import cv2
    sat = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1].astype(float)
    assert sat[mask > 0].mean() > sat[mask == 0].mean() + 20


def test_labels_cover_all_classes():
    spec = SyntheticSpec(img_size=32, num_classes=5)
    labels = {render(spec, i)[1] for i in range(200)}
    assert labels == set(range(5))


@pytest.mark.parametrize('kw,name', [(dict(img_size=8), 'img_size'),
                                     (dict(num_classes=0), 'num_classes'),
                                     (dict(scale_range=(0.6, 0.2)), 'scale_range'),
                                     (dict(clutter=2.0), 'clutter')])
def test_bad_spec_names_the_argument(kw, name):
    with pytest.raises(ValueError, match=name):
        SyntheticSpec(**kw)


def test_dataset_wrapper():
    from mmccrop.datasets import SyntheticObjects
    ds = SyntheticObjects(num_images=7, img_size=32, num_classes=3, seed=1)
    assert len(ds) == 7
    info = ds.get_data_info(2)
    img, label, box, mask = render(ds.spec, 2)
    assert np.array_equal(info['img'], img) and info['gt_label'] == label
    np.testing.assert_array_equal(info['gt_bbox'], box)
    assert len(ds.metainfo['classes']) == 3
    with pytest.raises(ValueError, match='num_images'):
        SyntheticObjects(num_images=0)


@pytest.mark.parametrize('split', ['train', 'val'])
def test_render_layers_background_is_the_image_without_its_object(split):
    from mmccrop.functional.synthetic import render_layers
    spec = SyntheticSpec(img_size=48)
    for idx in range(6):
        background, img, label, box, mask = render_layers(spec, idx, split)
        ref = render(spec, idx, split)
        assert np.array_equal(img, ref[0]) and label == ref[1]
        assert np.array_equal(box, ref[2]) and np.array_equal(mask, ref[3])
        outside, inside = mask == 0, mask > 0
        assert np.array_equal(background[outside], img[outside])
        # The object is drawn over the background, not blended into it.
        assert (np.abs(background[inside].astype(int) - img[inside]).sum(1) > 0).mean() > 0.5
        img[:] = 0  # separate buffers: the caller may change one
        assert background.any()
