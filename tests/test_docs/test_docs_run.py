"""The docs' cheap commands, run: launchers as dry runs, the converter, --help, a data check.

Every ``bash tools/...sh`` command of the docs runs with ``DRY_RUN=1`` (which every
launcher honours: it prints what it would run and writes nothing), with the reader's
placeholders filled in; the ``tools/train.py`` arguments it would pass must then parse.
"""
import os
import os.path as osp
import shlex
import subprocess
import sys

import pytest
import torch

from ._docs import ROOT, all_commands, is_placeholder, runnable, tool_parser

LAUNCHERS = [c for c in all_commands()
             if c.words[0] == 'bash' and c.words[1].startswith('tools/') and runnable(c.words)]
DEMO_CONFIG = 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py'


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory):
    """A pretraining checkpoint in our layout, of a (small) torchvision-style ResNet."""
    from mmdet.models.backbones import ResNet
    state = {f'backbone.{k}': v for k, v in ResNet(depth=18).state_dict().items()}
    state['queue'] = torch.zeros(8, 4)
    path = tmp_path_factory.mktemp('ckpt') / 'epoch_1.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 1}}, path)
    return str(path)


def _fill(word, checkpoint, tmp_path):
    """A concrete value for a reader's placeholder (or a checkpoint that does not exist)."""
    if '=' in word and not word.startswith('-'):  # key=value: fill the value
        key, _, value = word.partition('=')
        return f'{key}={_fill(value, checkpoint, tmp_path)}'
    if word == 'PARTITION':
        return 'partition'
    if word in ('CONFIG', 'CFG'):
        return DEMO_CONFIG
    if word == 'WORK_DIR':
        return str(tmp_path / 'work')
    if word.endswith('.pth') and not osp.exists(osp.join(ROOT, word)) or word in (
            'CKPT', 'CHECKPOINT', 'PRETRAIN'):
        return checkpoint
    return '1' if is_placeholder(word) else word


@pytest.mark.parametrize('cmd', LAUNCHERS, ids=str)
def test_launcher_dry_run(cmd, tiny_checkpoint, tmp_path):
    words = [_fill(w, tiny_checkpoint, tmp_path) for w in cmd.words]
    env = dict(os.environ, WORK_DIR=str(tmp_path / 'work'))
    env.update(cmd.env, DRY_RUN='1', PYTHON=sys.executable)
    r = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f'{cmd}\n{r.stdout}\n{r.stderr}'
    assert r.stdout.strip(), f'{cmd}: printed nothing'
    assert not (tmp_path / 'work').exists(), f'{cmd}: the dry run wrote files'
    # The training arguments it would pass are tools/train.py's.
    train = tool_parser('tools/train.py')
    for line in r.stdout.splitlines():
        parts = shlex.split(line)
        if any(p.endswith('tools/train.py') for p in parts):
            args = parts[[i for i, p in enumerate(parts) if p.endswith('tools/train.py')][0] + 1:]
            try:
                train.parse_args(args)
            except SystemExit:
                pytest.fail(f'{cmd}: tools/train.py rejects {args}')


def test_readme_converter_command_on_a_tiny_checkpoint(tiny_checkpoint, tmp_path):
    cmd = next(c for c in all_commands() if c.doc == 'README.md'
               and 'tools/model_converters/extract_backbone.py' in c.words)
    out = tmp_path / 'backbone.pth'
    words = [sys.executable, *cmd.words[1:]]
    words[2], words[3] = tiny_checkpoint, str(out)  # IN and OUT
    r = subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    state = torch.load(out, map_location='cpu', weights_only=True)['state_dict']
    assert 'conv1.weight' in state and 'layer4.1.bn2.bias' in state
    assert not any(k.startswith(('backbone.', 'queue')) for k in state)


def test_imagenet200_help():
    r = subprocess.run([sys.executable, 'tools/data/imagenet200.py', '--help'], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert 'data_root' in r.stdout and '--classes' in r.stdout


def test_check_dataset_builds_and_loads_the_demo_data(capsys, one_thread):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'misc'))
    try:
        from check_dataset import main
    finally:
        sys.path.pop(0)
    assert main([osp.join(ROOT, 'configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py'),
                 '--cfg-options', 'train_dataloader.dataset.dataset.num_images=12']) == 0
    out = capsys.readouterr().out
    assert 'train: BoxedDataset, 12 samples, 10 classes' in out
    assert 'sample 0 loads through the pipeline' in out


def test_check_dataset_names_what_is_missing(tmp_path, capsys):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'misc'))
    try:
        from check_dataset import main
    finally:
        sys.path.pop(0)
    config = osp.join(ROOT, 'configs/benchmarks/classification/cifar10/'
                      'resnet18-linear_1xb512-steplr-100e_cifar10.py')
    with pytest.raises(Exception, match=str(tmp_path / 'nowhere')):
        main([config, '--splits', 'train', '--no-load', '--cfg-options',
              f'train_dataloader.dataset.data_root={tmp_path / "nowhere"}'])


def _train_tool():
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    try:
        import train
    finally:
        sys.path.pop(0)
    return train


def test_auto_scale_lr_enables_mmengine_scaling(monkeypatch):
    train = _train_tool()
    config = osp.join(ROOT, 'configs/selfsup/mocov2/'
                      'mocov2_resnet18_4xb128-coslr-500e_cifar10-ccrop.py')
    monkeypatch.setattr(sys, 'argv', ['train.py', config, '--auto-scale-lr'])
    cfg = train.build_config(train.parse_args())
    assert cfg.auto_scale_lr == dict(base_batch_size=512, enable=True)
    monkeypatch.setattr(sys, 'argv', ['train.py', config])
    assert train.build_config(train.parse_args()).auto_scale_lr.enable is False
    # A config without a reference batch says so instead of scaling by a guess.
    monkeypatch.setattr(sys, 'argv', ['train.py', osp.join(ROOT, DEMO_CONFIG), '--auto-scale-lr'])
    with pytest.raises(ValueError, match='auto_scale_lr.base_batch_size'):
        train.build_config(train.parse_args())
