"""The ccrop dataset configs' shape: BoxedDataset feeding ContrastiveCrop through our datasets."""
import numpy as np
import torch
from _data_formats import write_cifar10

from mmccrop.registry import DATASETS


def _cifar(tmp_path, n=6):
    return write_cifar10(tmp_path, per_batch=1, n_test=n, labels={'test': range(n)}).root


def test_boxes_steer_the_crops_of_a_wrapped_dataset(tmp_path):
    view = [dict(type='ContrastiveCrop', size=8, scale=(0.04, 0.08), alpha=0.6)]
    ds = DATASETS.build(dict(
        type='BoxedDataset', init_box=(0., 0., 1., 1.),
        dataset=dict(type='CIFAR10', data_root=_cifar(tmp_path), split='test', pipeline=[
            dict(type='MultiView', num_views=2, transforms=[view]),
            dict(type='PackSelfSupInputs', meta_keys=['ccrop_box'])])))
    np.random.seed(0)
    # Inactive store: no box reaches the crop (plain RandomResizedCrop).
    sample = ds[2]
    assert sample['data_samples'].sample_idx == 2
    assert sample['data_samples'].ccrop_box is None
    # Active store with a corner box: every crop centre lies in that corner.
    corner = torch.tensor([0.6, 0.0, 1.0, 0.4])
    ds.update_boxes(corner.repeat(len(ds), 1))
    ds.set_active(True)
    centres = []
    for _ in range(30):
        for i in range(len(ds)):
            for x0, y0, x1, y1 in ds[i]['data_samples'].crop_bbox:
                centres.append(((x0 + x1) / 2 / 32, (y0 + y1) / 2 / 32))
    cx, cy = np.array(centres).T
    assert np.all((cx >= 0.6 - 1 / 32) & (cx <= 1.0)) and np.all((cy >= 0.0) & (cy <= 0.4))
