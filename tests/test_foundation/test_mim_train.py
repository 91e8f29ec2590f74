"""A user's config trains through ``tools/train.py`` and ``mim train mmccrop``.

mim and mmengine find mmccrop's configs where the *installed* package lies (its
distribution's location, then ``mmccrop/.mim/``), not where ``import mmccrop`` finds it.
So that these tests check this checkout (and not whatever checkout the environment's
editable link points at), each run gets a site folder that installs this checkout the
way ``make install`` does: a ``mmccrop`` link to the source and a ``dist-info``.
"""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MIM = osp.join(osp.dirname(sys.executable), 'mim')
TINY = [
    'train_cfg.max_epochs=1', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'model.queue_len=16', 'custom_hooks=[]',
    'default_hooks.logger.interval=1', 'randomness.seed=0'
]

# The registry example of docs/customising.md, at ResNet-18's width.
USER_NECK = '''
import torch.nn as nn

from mmccrop.registry import MODELS


@MODELS.register_module()
class MyNeck(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.fc = nn.Linear(in_channels, out_channels)

    def forward(self, x):
        return [self.fc(x[-1].mean((2, 3)))]
'''
USER_CONFIG = '''
_base_ = 'mmccrop::selfsup/mocov2/mocov2_resnet18_4xb128-coslr-500e_cifar10-rcrop.py'
custom_imports = dict(imports=['my_project.my_neck'], allow_failed_imports=False)
model = dict(neck=dict(_delete_=True, type='MyNeck', in_channels=512, out_channels=128))
# The paper's views on this project's own images (here: 8 generated ones).
train_dataloader = dict(
    batch_size=4,
    dataset=dict(_delete_=True, type='SyntheticObjects', num_images=8, img_size=32,
                 pipeline=_base_.train_pipeline))
'''


@pytest.fixture
def user_project(tmp_path):
    """A project folder outside the repository, and the environment to run in it."""
    site = tmp_path / 'site'
    info = site / 'mmccrop-0.1.0.dist-info'
    info.mkdir(parents=True)
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: mmccrop\nVersion: 0.1.0\n')
    os.symlink(osp.join(ROOT, 'mmccrop'), site / 'mmccrop')
    project = tmp_path / 'project'
    (project / 'my_project').mkdir(parents=True)
    (project / 'my_project' / '__init__.py').write_text('')
    (project / 'my_project' / 'my_neck.py').write_text(USER_NECK)
    (project / 'my_config.py').write_text(textwrap.dedent(USER_CONFIG))
    # PYTHONPATH: the installed checkout, then the user's project (custom_imports).
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([str(site), str(project)]))
    return project, env


def _run(cmd, env, cwd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    return out


def _check_trained(work_dir, out, iters):
    assert f'Epoch(train) [1][{iters}/{iters}]' in out
    ckpt = torch.load(work_dir / 'epoch_1.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == iters
    return ckpt['state_dict']


@pytest.mark.slow
def test_user_config_inherits_mmccrop_configs_through_tools_train(user_project):
    project, env = user_project
    work_dir = project / 'work'
    out = _run([sys.executable, osp.join(ROOT, 'tools', 'train.py'), 'my_config.py',
                '--work-dir', str(work_dir), '--cfg-options', *TINY], env, project)
    state = _check_trained(work_dir, out, iters=2)
    # The user's neck replaced the config's projector, on both encoders.
    assert state['neck.fc.weight'].shape == (128, 512)
    assert state['momentum_encoder.neck.fc.weight'].shape == (128, 512)
    # ... and the rest is the paper config's: MoCo v2 with its 0.2 temperature.
    dumped = (work_dir / 'my_config.py').read_text()
    assert 'temperature=0.2' in dumped and "type='MoCoV2'" in dumped


@pytest.mark.slow
def test_user_config_trains_through_mim(user_project):
    if not osp.isfile(MIM):
        pytest.skip('mim is not installed in this environment')
    project, env = user_project
    work_dir = project / 'work'
    out = _run([MIM, 'train', 'mmccrop', 'my_config.py', '--work-dir', str(work_dir),
                '--cfg-options', *TINY], env, project)
    # mim ran this checkout's tools/train.py, through the installed package.
    assert osp.join('mmccrop', '.mim', 'tools', 'train.py') in out
    state = _check_trained(work_dir, out, iters=2)
    assert state['neck.fc.weight'].shape == (128, 512)


@pytest.mark.slow
def test_mim_train_by_config_basename(user_project):
    if not osp.isfile(MIM):
        pytest.skip('mim is not installed in this environment')
    project, env = user_project
    work_dir = project / 'work'
    out = _run([
        MIM, 'train', 'mmccrop', 'mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py',
        '--work-dir', str(work_dir), '--cfg-options', *TINY, 'train_dataloader.batch_size=4',
        'train_dataloader.dataset.num_images=4'
    ], env, project)
    # mim resolved the basename inside mmccrop/.mim/configs ...
    assert osp.join(ROOT, 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py') in out
    # ... and ran our tools/train.py for exactly one iteration, and saved it.
    state = _check_trained(work_dir, out, iters=1)
    assert any(k.startswith('backbone.') for k in state)
