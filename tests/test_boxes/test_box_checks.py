"""The pure checks shared by the box store, the refresh hook and the crops."""
import math

import pytest
import torch
from mmengine.dataset import ConcatDataset, RepeatDataset

from mmccrop.datasets import wrapped_samples
from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.datasets.wrapped_samples import InjectedInfo, read_gt_boxes, resolve_leaf
from mmccrop.functional.box_schedule import check_schedule
from mmccrop.functional.crop import check_box
from mmccrop.functional.localization import check_localize_options, invalid_boxes

from ._tiny import BoxTestImages


def test_check_box_allows_a_degenerate_box():
    line = (0.2, 0.5, 0.8, 0.5)
    assert check_box(line) == line  # a crop centre on a line is allowed
    assert check_box((0., 0., 1., 1.)) == (0., 0., 1., 1.)


def test_boxed_dataset_refuses_an_init_box_empty_in_the_float32_store():
    # Non-empty in float64, but x0 == x1 once the store rounds it to float32.
    box = (0.5, 0., 0.5 + 1e-10, 1.)
    assert check_box(box) == box
    with pytest.raises(ValueError, match='init_box .* empty'):
        BoxedDataset(BoxTestImages(num=2), init_box=box)
    ds = BoxedDataset(BoxTestImages(num=2), init_box=[0.25, 0.25, 0.75, 0.75])
    assert ds.init_box == (0.25, 0.25, 0.75, 0.75) and isinstance(ds.init_box, tuple)


def test_invalid_boxes_marks_each_kind_of_bad_row():
    boxes = torch.tensor([[0., 0., 1., 1.], [0., 0., 1., 1.1], [0.5, 0., 0.4, 1.],
                          [0., math.nan, 1., 1.], [0.3, 0.3, 0.3, 0.9], [-0.1, 0., .5, .5]])
    assert invalid_boxes(boxes).tolist() == [False, True, True, True, True, True]
    assert invalid_boxes(torch.zeros(0, 4)).shape == (0, )


@pytest.mark.parametrize('warmup,interval,key', [
    (-1, 5, 'warmup_epochs'), (True, 5, 'warmup_epochs'), (1.0, 5, 'warmup_epochs'),
    (0, 0, 'interval'), (0, False, 'interval'), (0, 2.0, 'interval')])
def test_check_schedule_names_the_bad_argument(warmup, interval, key):
    with pytest.raises(ValueError, match=key):
        check_schedule(warmup, interval)


def test_check_localize_options_returns_typed_values_and_names_bad_ones():
    assert check_localize_options(0.1, 32) == (0.1, (32, 32))
    assert check_localize_options(1 / 2, (24, 48), 'corner', 'median', 'peak') == (0.5, (24, 48))
    for kwargs, key in ((dict(threshold=True), 'threshold'), (dict(threshold=1.0), 'threshold'),
                        (dict(eval_size=32.0), 'eval_size'), (dict(eval_size=(8, True)),
                                                              'eval_size'),
                        (dict(align='edges'), 'align'), (dict(region='largest'), 'region'),
                        (dict(background='mean'), 'background')):
        args = {**dict(threshold=0.1, eval_size=32), **kwargs}
        with pytest.raises(ValueError, match=key):
            check_localize_options(**args)


def test_resolve_leaf_follows_mmengine_wrappers_and_negative_indices():
    a, b = BoxTestImages(num=3), BoxTestImages(num=2)
    concat = ConcatDataset([a, b])
    assert resolve_leaf(concat, 1) == (a, 1)
    assert resolve_leaf(concat, 3) == (b, 0)
    assert resolve_leaf(concat, -1) == (b, 1)
    repeat = RepeatDataset(b, times=3)
    assert resolve_leaf(repeat, 5) == (b, 1)  # the third repeat
    assert resolve_leaf(a, 2) == (a, 2)


def test_injected_info_adds_keys_for_one_sample_and_restores_the_method():
    data = BoxTestImages(num=2)
    with InjectedInfo(data, dict(ccrop_box=(0., 0., .5, .5))):
        assert data.get_data_info(1)['ccrop_box'] == (0., 0., .5, .5)
    assert 'ccrop_box' not in data.get_data_info(1)
    assert 'get_data_info' not in vars(data)  # back to the class's method


class _Infos:
    """Just ``__len__`` and ``get_data_info``, as read_gt_boxes needs."""

    def __init__(self, boxes):
        self.infos = [{} if b is None else dict(gt_bbox=b) for b in boxes]

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, idx):
        return dict(self.infos[idx])


def test_read_gt_boxes_gives_nan_rows_for_missing_boxes_and_logs_their_count(monkeypatch):
    logged = []
    monkeypatch.setattr(wrapped_samples, 'print_log', lambda msg, **kw: logged.append(msg))
    gt = read_gt_boxes(_Infos([(0., 0., .5, .5), None, [[.1, .2, .3, .4]]]))
    assert gt.dtype == torch.float32 and gt.shape == (3, 4)
    assert torch.isnan(gt[1]).all()
    assert torch.equal(gt[[0, 2]], torch.tensor([[0., 0., .5, .5], [.1, .2, .3, .4]]))
    assert logged == ['BoxedDataset: 1 of 3 samples have no gt_bbox']
    assert read_gt_boxes(_Infos([None, (0., 0., 1., 1.)])) is None  # judged by the first
    assert read_gt_boxes(_Infos([])) is None
    # A BoxedDataset is read through raw_data_info, as its leaf gives it.
    boxed = BoxedDataset(BoxTestImages(num=3))
    assert torch.equal(read_gt_boxes(boxed), boxed.gt_boxes())
