"""Train (pretrain) a model with an mmengine Runner.

Examples:
    python tools/train.py configs/selfsup/mocov2/mocov2_resnet18_1xb512-coslr-500e_cifar10.py
    bash tools/dist_train.sh CONFIG 8 --amp
    mim train mmccrop CONFIG --launcher pytorch --gpus 8
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmccrop: train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint; with no value, from the latest one in work_dir')
    parser.add_argument('--amp', action='store_true', help='mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate linearly from auto_scale_lr.base_batch_size to the '
        'total batch (GPUs x train_dataloader.batch_size)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, as key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    # torch.distributed.launch passes --local_rank, torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args: argparse.Namespace) -> Config:
    """Merge the command-line options into the config."""
    # Imports mmccrop first, so that `_base_ = 'mmccrop::...'` resolves.
    from mmccrop.utils.config import load_config
    cfg = load_config(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # work_dir: command line > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP is already enabled in the config.')
        else:
            if optim_wrapper != 'OptimWrapper':
                raise ValueError(f'--amp needs optim_wrapper.type="OptimWrapper", '
                                 f'got "{optim_wrapper}" in {args.config}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if getattr(args, 'auto_scale_lr', False):  # Namespaces built by hand may lack it
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise ValueError(f'--auto-scale-lr needs auto_scale_lr.base_batch_size in '
                             f'{args.config} (the total batch its learning rate is for)')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if cfg.get('resume', False) and cfg.get('load_from', None) is None:
        # mmengine would read work_dir/last_checkpoint, an absolute path: in a
        # copied or moved work dir, that is the original's checkpoint.
        from mmccrop.utils.last_checkpoint import find_resume_checkpoint
        found, copied = find_resume_checkpoint(cfg.work_dir)
        if found is not None:
            cfg.load_from = found
        if copied:
            print(copied)
    return cfg


def init_cpu_dist(cfg: Config) -> None:
    """Start the process group for a CPU-only ``--launcher pytorch`` run.

    mmengine 0.10's pytorch launcher calls ``torch.cuda.set_device``
    unconditionally, which fails without a GPU; the Runner skips its own
    initialisation when the group already exists.  Its default DDP wrapper
    also passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU
    modules, so the wrapper config gets ``device_ids=None``.
    """
    import torch
    import torch.distributed as dist
    if cfg.launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend', 'gloo')
    if backend != 'gloo':
        raise RuntimeError(f'No GPU found, and dist backend {backend!r} needs one; for CPU '
                           'runs use gloo (MMCCROP_DIST_BACKEND=gloo bash tools/dist_train.sh)')
    dist.init_process_group(backend='gloo')  # rank/world/master from torchrun's env
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper


def main() -> None:
    args = parse_args()
    import mmccrop  # noqa: F401  (version checks, safe checkpoint globals)
    from mmccrop.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = build_config(args)
    init_cpu_dist(cfg)
    if 'runner_type' in cfg:
        from mmccrop.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
