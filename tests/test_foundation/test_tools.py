import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools'))
import train as train_tool  # noqa: E402

TINY_CFG = """
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
"""


def _args(cfg, *extra):
    old = sys.argv
    sys.argv = ['train.py', cfg, *extra]
    try:
        return train_tool.parse_args()
    finally:
        sys.argv = old


@pytest.fixture
def cfg_file(tmp_path):
    p = tmp_path / 'tiny_cfg.py'
    p.write_text(TINY_CFG)
    return str(p)


def test_defaults_work_dir_from_config_name(cfg_file):
    cfg = train_tool.build_config(_args(cfg_file))
    assert cfg.work_dir == osp.join('./work_dirs', 'tiny_cfg')
    assert cfg.launcher == 'none'
    assert cfg.optim_wrapper.type == 'OptimWrapper'


def test_amp_resume_and_cfg_options(cfg_file, tmp_path):
    args = _args(cfg_file, '--amp', '--resume', '--work-dir', str(tmp_path / 'w'),
                 '--cfg-options', 'optim_wrapper.optimizer.lr=0.5', 'train_cfg.max_epochs=3',
                 '--local-rank', '1')
    cfg = train_tool.build_config(args)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.work_dir == str(tmp_path / 'w')
    assert args.local_rank == 1


def test_resume_from_path_and_old_local_rank_flag(cfg_file):
    args = _args(cfg_file, '--resume', 'ckpt.pth', '--local_rank', '3')
    cfg = train_tool.build_config(args)
    assert cfg.resume is True and cfg.load_from == 'ckpt.pth'
    assert args.local_rank == 3


def test_amp_with_custom_wrapper_names_it(tmp_path):
    p = tmp_path / 'c.py'
    p.write_text("optim_wrapper = dict(type='MyWrapper')\n")
    with pytest.raises(ValueError, match='MyWrapper'):
        train_tool.build_config(_args(str(p), '--amp'))


def _dry(cmd, **env):
    out = subprocess.run(['bash', *cmd], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, DRY_RUN='1', **env), check=True)
    return out.stdout.split()


def test_dist_train_dry_run_multinode():
    cmd = _dry(['tools/dist_train.sh', 'cfg.py', '4', '--amp'], NNODES='2', NODE_RANK='1',
               MASTER_ADDR='10.0.0.5', PORT='29999')
    assert cmd[1:3] == ['-m', 'torch.distributed.run']
    for flag in ('--nnodes=2', '--node_rank=1', '--master_addr=10.0.0.5',
                 '--nproc_per_node=4', '--master_port=29999'):
        assert flag in cmd
    i = cmd.index(osp.join(ROOT, 'tools', 'train.py'))
    assert cmd[i + 1:] == ['cfg.py', '--launcher', 'pytorch', '--amp']


def test_dist_train_gloo_backend_override():
    cmd = _dry(['tools/dist_train.sh', 'cfg.py', '2'], MMCCROP_DIST_BACKEND='gloo')
    assert cmd[-2:] == ['--cfg-options', 'env_cfg.dist_cfg.backend=gloo']


def test_gloo_override_joins_the_users_cfg_options():
    cmd = _dry(['tools/dist_train.sh', 'cfg.py', '2', '--cfg-options', 'a=1', '--amp'],
               MMCCROP_DIST_BACKEND='gloo')
    i = cmd.index('--cfg-options')
    assert cmd[i:] == ['--cfg-options', 'env_cfg.dist_cfg.backend=gloo', 'a=1', '--amp']
    assert cmd.count('--cfg-options') == 1


def test_dist_test_dry_run():
    cmd = _dry(['tools/dist_test.sh', 'cfg.py', 'ckpt.pth', '2'], NNODES='3')
    assert '--nnodes=3' in cmd and '--nproc_per_node=2' in cmd
    i = cmd.index(osp.join(ROOT, 'tools', 'test.py'))
    assert cmd[i + 1:] == ['cfg.py', 'ckpt.pth', '--launcher', 'pytorch']


def test_slurm_train_dry_run():
    cmd = _dry(['tools/slurm_train.sh', 'part', 'job', 'cfg.py', 'wd', '--amp'],
               GPUS='16', GPUS_PER_NODE='8', SRUN_ARGS='--qos=high')
    assert cmd[:3] == ['srun', '-p', 'part']
    for flag in ('--job-name=job', '--gres=gpu:8', '--ntasks=16', '--ntasks-per-node=8',
                 '--qos=high'):
        assert flag in cmd
    assert cmd[-6:] == ['cfg.py', '--work-dir', 'wd', '--launcher', 'slurm', '--amp']


def test_launchers_reject_missing_arguments():
    r = subprocess.run(['bash', 'tools/dist_train.sh', 'cfg.py'], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 2 and 'usage' in r.stderr
