import importlib
import os
import os.path as osp
import subprocess
import sys

import pytest

import mmccrop

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_version():
    assert mmccrop.__version__.count('.') == 2
    assert mmccrop.version_info[:2] == tuple(int(v) for v in mmccrop.__version__.split('.')[:2])


def test_version_check_message_says_how_to_fix(monkeypatch):
    with pytest.raises(ImportError) as err:
        mmccrop._check('mmcv', '2.2.0', mmccrop.MMCV_MIN, mmccrop.MMCV_MAX)
    msg = str(err.value)
    assert 'mmcv==2.2.0' in msg and '<2.2.0' in msg and 'make install' in msg
    mmccrop._check('mmcv', '2.1.0', mmccrop.MMCV_MIN, mmccrop.MMCV_MAX)  # in range: silent


def test_stack_imports_with_compiled_ops():
    ops = importlib.import_module('mmcv.ops')
    # a compiled op really runs (nms is C++ in mmcv._ext)
    import torch
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
    keep = ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)[1]
    assert keep.tolist() == [0, 2]
    importlib.import_module('mmdet.models')
    importlib.import_module('mmseg.models')


def test_mim_folder_reaches_configs_and_tools():
    pkg = osp.dirname(mmccrop.__file__)
    assert osp.isfile(osp.join(pkg, '.mim', 'tools', 'train.py'))
    assert osp.isfile(osp.join(pkg, '.mim', 'configs', 'selfsup', '_base_', 'default_runtime.py'))


def test_mim_locates_the_package():
    """mim finds <location>/mmccrop/.mim even for the editable install."""
    pytest.importorskip('mim')
    from mim.utils import get_installed_path
    path = get_installed_path('mmccrop')
    assert osp.isfile(osp.join(path, '.mim', 'tools', 'train.py')), path


def test_install_is_idempotent_and_fast():
    """A second `make install` must not rebuild anything."""
    if not osp.isfile(osp.join(ROOT, '.venv', '.mmccrop-install-stamp')):
        pytest.skip('not installed through tools/install.sh')
    r = subprocess.run(['bash', 'tools/install.sh'], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, PYTHON=sys.executable))
    assert r.returncode == 0, r.stderr
    assert 'nothing to do' in r.stdout, r.stdout


@pytest.mark.slow
def test_wheel_carries_configs_and_tools_in_mim_folder(tmp_path):
    """setuptools follows the .mim links: a wheel ships configs/ and tools/."""
    import shutil
    import zipfile
    src = tmp_path / 'src'
    src.mkdir()
    for name in ('pyproject.toml', 'README.md'):
        shutil.copy(osp.join(ROOT, name), src / name)
    for name in ('configs', 'tools'):
        shutil.copytree(osp.join(ROOT, name), src / name)
    shutil.copytree(osp.join(ROOT, 'mmccrop'), src / 'mmccrop', symlinks=True,
                    ignore=shutil.ignore_patterns('__pycache__'))
    assert os.path.islink(src / 'mmccrop' / '.mim' / 'configs')
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
                        '--no-build-isolation', '-w', str(tmp_path / 'dist'), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    wheel = next((tmp_path / 'dist').glob('mmccrop-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert 'mmccrop/.mim/tools/train.py' in names
    assert 'mmccrop/.mim/configs/selfsup/_base_/default_runtime.py' in names
    assert 'mmccrop/.mim/configs/demo/mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py' in names
    assert not any(n.startswith('tests/') for n in names)
