"""BoxedDataset: injection, shared box store across workers, state dicts."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.dataset import ConcatDataset, RepeatDataset
from torch.utils.data import DataLoader

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.registry import DATASETS

from ._tiny import BoxTestImages, RecordBox


def _boxes(n, seed):
    g = torch.Generator().manual_seed(seed)
    lo = torch.rand(n, 2, generator=g) * 0.5
    return torch.cat([lo, lo + 0.1 + torch.rand(n, 2, generator=g) * 0.4], 1)


def _epoch(loader):
    return [s for batch in loader for s in batch]


def test_injects_box_and_index_before_the_pipeline():
    ds = BoxedDataset(dataset=BoxTestImages(num=5, pipeline=[RecordBox()]),
                      init_box=(0.25, 0.25, 0.75, 0.75))
    assert len(ds) == 5 and not ds.active
    assert ds[3] == dict(sample_idx=3, ccrop_box=None, pid=ds[3]['pid'])
    ds.set_active(True)
    assert ds[3]['ccrop_box'] == (0.25, 0.25, 0.75, 0.75)
    new = _boxes(5, 0)
    ds.update_boxes(new)
    for i in range(5):
        assert ds[i]['sample_idx'] == i
        assert torch.allclose(torch.tensor(ds[i]['ccrop_box']), new[i])
    # Indexed partial updates, and the data info the pipeline gets.
    ds.update_boxes(torch.tensor([[0., 0., .5, .5]]), indices=[2])
    assert ds.get_box(2) == (0., 0., .5, .5)
    info = ds.get_data_info(2)
    assert info['ccrop_box'] == (0., 0., .5, .5) and info['img'].shape == (32, 32, 3)
    assert 'ccrop_box' not in ds.raw_data_info(2)
    # The wrapped dataset's method is restored after each sample.
    assert 'get_data_info' not in vars(ds.dataset)


def test_built_from_config_forwards_metainfo_and_attributes():
    ds = DATASETS.build(dict(type='BoxedDataset',
                             dataset=dict(type='_BoxTestImages', num=4,
                                          metainfo=dict(classes=('a', 'b')))))
    assert isinstance(ds, BoxedDataset)
    assert ds.metainfo['classes'] == ('a', 'b')
    assert ds.num == 4 and ds.test_mode is False  # forwarded attributes
    assert ds.boxes.shape == (4, 4) and torch.equal(ds.boxes[0], torch.tensor([0., 0., 1., 1.]))
    assert ds.boxes.is_shared()


def test_gt_boxes_exposed_when_the_dataset_has_them():
    ds = BoxedDataset(dataset=BoxTestImages(num=6))
    gt = ds.gt_boxes()
    assert gt.shape == (6, 4)
    assert np.allclose(gt[4].numpy(), ds.raw_data_info(4)['gt_bbox'])
    assert BoxedDataset(dataset=BoxTestImages(num=3, with_gt=False)).gt_boxes() is None


def test_none_samples_are_refetched_through_the_wrapped_prepare_data():
    ds = BoxedDataset(dataset=BoxTestImages(num=6, none_every=2, pipeline=[RecordBox()]))
    np.random.seed(0)
    seen = {ds[0]['sample_idx'] for _ in range(20)}
    assert seen and all(i % 2 == 1 for i in seen)


def test_resolves_mmengine_dataset_wrappers():
    a = BoxTestImages(num=3, pipeline=[RecordBox()])
    b = BoxTestImages(num=4, pipeline=[RecordBox()])
    ds = BoxedDataset(dataset=ConcatDataset([a, b]))
    assert len(ds) == 7
    ds.set_active(True)
    ds.update_boxes(_boxes(7, 1))
    out = ds[5]
    assert out['sample_idx'] == 5
    assert torch.allclose(torch.tensor(out['ccrop_box']), ds.boxes[5])
    assert np.array_equal(ds.raw_data_info(5)['img'], b.get_data_info(2)['img'])
    rep = BoxedDataset(dataset=RepeatDataset(a, times=2))
    assert len(rep) == 6 and rep[4]['sample_idx'] == 4


def test_state_dict_round_trip_and_validation():
    ds = BoxedDataset(dataset=BoxTestImages(num=4))
    ds.update_boxes(_boxes(4, 2))
    ds.set_active(True)
    state = pickle.loads(pickle.dumps(ds.state_dict()))
    other = BoxedDataset(dataset=BoxTestImages(num=4))
    shared = other.boxes
    other.load_state_dict(state)
    assert torch.equal(other.boxes, ds.boxes) and other.active
    assert other.boxes.data_ptr() == shared.data_ptr()  # written in place
    with pytest.raises(ValueError, match='shape'):
        BoxedDataset(dataset=BoxTestImages(num=3)).load_state_dict(state)
    for bad in ([[0., 0., 1., 1.1]], [[0.5, 0., 0.4, 1.]], [[0., float('nan'), 1., 1.]]):
        with pytest.raises(ValueError, match='invalid boxes'):
            ds.update_boxes(torch.tensor(bad), indices=[0])
    with pytest.raises(ValueError, match='shape'):
        ds.update_boxes(torch.zeros(3, 4))
    with pytest.raises(ValueError, match='init_box'):
        BoxedDataset(dataset=BoxTestImages(num=2), init_box=(0.5, 0.5, 0.4, 1.0))
    with pytest.raises(ValueError, match='init_box'):
        BoxedDataset(dataset=BoxTestImages(num=2), init_box=(0., 0., 1.))


def test_lazy_init_creates_the_store_on_full_init():
    ds = BoxedDataset(dataset=dict(type='_BoxTestImages', num=3, lazy_init=True),
                      lazy_init=True)
    assert ds._boxes is None
    ds.full_init()
    assert ds.boxes.shape == (3, 4) and ds.boxes.is_shared()


@pytest.mark.slow
@pytest.mark.parametrize('context', ['fork', 'spawn'])
def test_store_updates_reach_persistent_workers(context):
    n = 12
    ds = BoxedDataset(dataset=BoxTestImages(num=n, pipeline=[RecordBox()]))
    # One spawned worker is enough to show it (each spawn re-imports mmccrop).
    workers = 2 if context == 'fork' else 1
    loader = DataLoader(ds, batch_size=3, shuffle=True, num_workers=workers,
                        persistent_workers=True, multiprocessing_context=context,
                        collate_fn=list)
    first = _epoch(loader)
    assert sorted(s['sample_idx'] for s in first) == list(range(n))
    assert all(s['ccrop_box'] is None for s in first)
    pids = {s['pid'] for s in first}
    assert len(pids) == workers and torch.multiprocessing.current_process().pid not in pids

    for seed in (3, 4):  # two successive updates, no re-fork
        new = _boxes(n, seed)
        ds.update_boxes(new)
        ds.set_active(True)
        samples = _epoch(loader)
        assert {s['pid'] for s in samples} == pids  # the same persistent workers
        for s in samples:
            assert torch.allclose(torch.tensor(s['ccrop_box']), new[s['sample_idx']])

    ds.set_active(False)
    assert all(s['ccrop_box'] is None for s in _epoch(loader))
    # And a checkpoint restore reaches them too.
    state = dict(boxes=_boxes(n, 5), active=True)
    ds.load_state_dict(state)
    for s in _epoch(loader):
        assert torch.allclose(torch.tensor(s['ccrop_box']), state['boxes'][s['sample_idx']])
    del loader
