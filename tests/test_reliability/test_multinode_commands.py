"""Dry runs of the multi-node launch commands not covered by test_foundation/test_tools.py:
the elastic rendezvous, node ranks across nodes, multi-node slurm, and that each
generated torchrun command parses with torchrun's own argument parser."""
import os
import os.path as osp
import subprocess

import pytest

from ._common import ROOT


def _dry(args, **env):
    out = subprocess.run(['bash', *args], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, DRY_RUN='1', **env), check=True)
    return out.stdout.split()


def _torchrun_args(cmd):
    """Parse a generated command with torchrun's parser (what it would really do)."""
    from torch.distributed.run import get_args_parser
    assert cmd[1:3] == ['-m', 'torch.distributed.run']
    return get_args_parser().parse_args(cmd[3:])


def test_rendezvous_command_is_the_same_on_every_node():
    env = dict(NNODES='2:4', RDZV_ENDPOINT='10.0.0.1:29400', RDZV_ID='job42')
    cmds = [_dry(['tools/dist_train.sh', 'cfg.py', '8'], NODE_RANK=str(i), **env)
            for i in range(2)]
    assert cmds[0] == cmds[1]  # no node rank: the rendezvous assigns them
    args = _torchrun_args(cmds[0])
    assert (args.nnodes, args.nproc_per_node) == ('2:4', '8')
    assert (args.rdzv_backend, args.rdzv_endpoint, args.rdzv_id) == ('c10d', '10.0.0.1:29400',
                                                                     'job42')
    assert args.training_script == osp.join(ROOT, 'tools', 'train.py')
    assert args.training_script_args == ['cfg.py', '--launcher', 'pytorch']


def test_static_master_commands_differ_only_in_node_rank():
    env = dict(NNODES='3', MASTER_ADDR='10.0.0.1', PORT='29600',
               MMCCROP_DIST_BACKEND='gloo')
    parsed = [_torchrun_args(_dry(['tools/dist_train.sh', 'cfg.py', '4', '--resume'],
                                  NODE_RANK=str(i), **env)) for i in range(3)]
    assert [p.node_rank for p in parsed] == [0, 1, 2]
    for p in parsed:
        assert (p.nnodes, p.master_addr, p.master_port) == ('3', '10.0.0.1', 29600)
        assert p.rdzv_endpoint == ''  # static rendezvous through the master
        assert p.training_script_args == ['cfg.py', '--launcher', 'pytorch', '--resume',
                                          '--cfg-options', 'env_cfg.dist_cfg.backend=gloo']


@pytest.mark.parametrize('gpus,per_node', [('16', '8'), ('32', '4')])
def test_slurm_multinode_task_layout(gpus, per_node):
    cmd = _dry(['tools/slurm_train.sh', 'part', 'job', 'cfg.py'], GPUS=gpus,
               GPUS_PER_NODE=per_node, CPUS_PER_TASK='6')
    assert f'--ntasks={gpus}' in cmd and f'--ntasks-per-node={per_node}' in cmd
    assert f'--gres=gpu:{per_node}' in cmd and '--cpus-per-task=6' in cmd
    assert cmd[-3:] == ['cfg.py', '--launcher', 'slurm']  # no --work-dir when not given
