"""`mim train mmccrop <config basename>` runs a real (tiny) pretraining iteration."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

MIM = osp.join(osp.dirname(sys.executable), 'mim')


@pytest.mark.slow
def test_mim_train_by_config_basename(tmp_path):
    if not osp.isfile(MIM):
        pytest.skip('mim is not installed in this environment')
    work_dir = tmp_path / 'work'
    cmd = [
        MIM, 'train', 'mmccrop', 'mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py',
        '--work-dir', str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=4', 'train_dataloader.dataset.num_images=4',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'model.queue_len=16', 'custom_hooks=[]', 'default_hooks.logger.interval=1',
        'randomness.seed=0'
    ]
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env,
                       cwd=str(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    # mim resolved the basename inside mmccrop/.mim/configs ...
    assert 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py' in out
    # ... ran our tools/train.py for exactly one iteration, and saved it.
    assert 'Epoch(train) [1][1/1]' in out
    ckpt = torch.load(work_dir / 'epoch_1.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 1
    assert any(k.startswith('backbone.') for k in ckpt['state_dict'])
