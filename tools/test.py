"""Evaluate a checkpoint with an mmengine Runner (e.g. a linear-probe config).

Example:
    python tools/test.py CONFIG CHECKPOINT --work-dir work_dirs/eval
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmccrop: test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='directory for the evaluation logs')
    parser.add_argument('--out', help='dump the metrics to this file (.json/.pkl/.yaml)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, as key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    import mmccrop  # noqa: F401  (version checks, safe checkpoint globals)
    from mmccrop.utils import register_all_modules
    from mmccrop.utils.config import load_config
    register_all_modules(init_default_scope=False)

    cfg = load_config(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint

    if 'runner_type' in cfg:
        from mmccrop.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.out:
        import mmengine

        from mmccrop.utils.fileio import atomic_dump
        atomic_dump(metrics, args.out)
        mmengine.print_log(f'metrics written to {args.out}', logger='current')


if __name__ == '__main__':
    main()
