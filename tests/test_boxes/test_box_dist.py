"""Box refresh on a real 2-process gloo group equals the 1-process result."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD = 2
N = 7  # not divisible by the world size: one padding row on rank 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _localize(batch_size: int):
    from mmccrop.datasets.boxed_dataset import BoxedDataset
    from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook

    from ._tiny import BoxTestImages, BoxTestNet

    torch.manual_seed(0)  # same weights in every process
    model = BoxTestNet()
    dataset = BoxedDataset(dataset=BoxTestImages(num=N))
    hook = BoxRefreshHook(threshold=0.2, eval_size=32)
    boxes, degenerate = hook.localize(model, dataset, batch_size=batch_size)
    dataset.update_boxes(boxes)
    return boxes, degenerate, dataset.boxes.clone()


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    try:
        torch.save(_localize(batch_size=1), os.path.join(out_dir, f'rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


@pytest.mark.dist
@pytest.mark.slow
def test_gathered_boxes_equal_single_process_boxes(tmp_path):
    # batch size 1 everywhere: identical per-image arithmetic in every process.
    ref_boxes, ref_degenerate, _ = _localize(batch_size=1)
    assert (ref_boxes != torch.tensor([0., 0., 1., 1.])).any(1).sum() >= 3  # real boxes

    # fork: the children need not re-import torch and mmccrop (CPU only, no CUDA state).
    mp.start_processes(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True,
                       start_method='fork')
    for rank in range(WORLD):
        boxes, degenerate, store = torch.load(os.path.join(tmp_path, f'rank{rank}.pth'))
        # Every rank holds all N boxes, in dataset order, equal to 1 process.
        assert boxes.shape == (N, 4)
        assert torch.equal(boxes, ref_boxes)
        assert torch.equal(degenerate, ref_degenerate)
        assert torch.equal(store, ref_boxes)
