"""tools/dist_train.sh, 2 CPU processes (gloo): ccrop pretraining with a refresh.

The refreshed boxes equal a 1-process localisation with the same weights.
The backbone uses GroupNorm, so that the weights (synchronised by DDP) are
the whole model state at refresh time: with BN each rank would localise with
its own running statistics.  The 1-process reference localises with the
weights of the epoch-1 checkpoint, which is written after the refresh, from
the same epoch's weights.
"""
import os
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook
from mmccrop.registry import DATASETS, MODELS

from ._common import ROOT, write_config
from .test_exact_resume import _env


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.dist
def test_two_process_refresh_equals_one_process_localisation(tmp_path):
    cfg_path = write_config(tmp_path / 'moco_gn.py', 'moco', max_epochs=2, num_images=16,
                            norm_cfg=dict(type='GN', num_groups=4), threshold=0.5,
                            extra_imports=['_dist_hooks'],
                            extra_hooks=[dict(type='_DumpBoxesHook')])
    work = tmp_path / 'w'
    env = dict(_env(), MMCCROP_DIST_BACKEND='gloo', PORT=str(_free_port()),
               MASTER_ADDR='127.0.0.1', PYTHON=sys.executable)
    run = subprocess.run(['bash', os.path.join(ROOT, 'tools', 'dist_train.sh'), cfg_path, '2',
                          '--work-dir', str(work)], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=240)
    if run.returncode:
        print(run.stderr[-6000:])
    assert run.returncode == 0
    ckpt = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2  # 16 images / (2 ranks x 4) per epoch
    boxes = ckpt['ccrop_boxes']['boxes']
    # Both ranks hold the same, refreshed boxes.
    rank0 = torch.load(work / 'boxes_epoch1_rank0.pt', weights_only=True)
    rank1 = torch.load(work / 'boxes_epoch1_rank1.pt', weights_only=True)
    assert torch.equal(rank0, boxes) and torch.equal(rank1, boxes)
    assert not torch.equal(boxes, torch.tensor([[0., 0., 1., 1.]]).expand(16, 4))

    # 1 process, same weights, every image localised here.
    cfg = Config.fromfile(cfg_path, import_custom_modules=False)  # no test hooks here
    model = MODELS.build(cfg.model)
    model.load_state_dict(ckpt['state_dict'], strict=True)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    hook = BoxRefreshHook(warmup_epochs=1, interval=1, threshold=0.5, eval_size=32)
    single, _ = hook.localize(model, dataset, batch_size=8)
    assert torch.equal(single, boxes)
