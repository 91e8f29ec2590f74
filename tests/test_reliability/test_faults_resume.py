"""Faults around resuming and initialising from checkpoints, and what the user sees.

- ``load_from`` (initialise, not resume) does not import the checkpoint's
  boxes, which belong to another run's images: on a dataset of another size
  it trains, and the boxes start at ``init_box``.  A resume restores them.
- Resuming on a dataset that gained or lost images: a ``ValueError`` that
  names both sizes and the way forward, ``BoxRefreshHook(resume_boxes=...)``;
  ``'relocalize'`` localises every image again with the resumed model,
  ``'reset'`` starts from ``init_box``; each says what it did.
- A copied or moved work dir resumes from its own checkpoint, not from the
  original's absolute path in ``last_checkpoint`` (Runner with
  ``AtomicCheckpointHook``, and ``tools/train.py --resume``).
"""
import os
import os.path as osp
import shutil
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from test_boxes._tiny import BoxTestNet  # tests/ is on sys.path

from mmccrop.datasets import BoxedDataset
from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook

from ._common import ROOT, box_runner_cfg, run_log, write_square_images
from .test_atomic_checkpoint import _runner

FULL = torch.tensor([[0., 0., 1., 1.]])
pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def first_run(tmp_path_factory):
    """10 images, 2 epochs: epoch_1.pth holds the boxes refreshed after epoch 1."""
    tmp = tmp_path_factory.mktemp('first_run')
    write_square_images(tmp / 'data', 10)
    Runner(**box_runner_cfg(tmp / 'w', tmp / 'data', max_epochs=2, log_level='WARNING')).train()
    boxes = torch.load(tmp / 'w' / 'epoch_1.pth', weights_only=True)['ccrop_boxes']['boxes']
    assert not torch.equal(boxes, FULL.expand(10, 4))
    return tmp


def _data(tmp_path, first_run, drop=0):
    """A copy of the first run's images, without the last ``drop`` ones."""
    shutil.copytree(first_run / 'data', tmp_path / 'data')
    for name in sorted(os.listdir(tmp_path / 'data' / 'train' / 'c0'))[len(os.listdir(
            tmp_path / 'data' / 'train' / 'c0')) - drop:]:
        os.remove(tmp_path / 'data' / 'train' / 'c0' / name)
    return tmp_path / 'data'


def _boxes(runner):
    return runner.train_dataloader.dataset.boxes


def test_load_from_initialises_weights_but_not_boxes(tmp_path, first_run):
    ckpt = str(first_run / 'w' / 'epoch_1.pth')
    saved = torch.load(ckpt, weights_only=True)['ccrop_boxes']['boxes']
    # Another dataset size: used to crash ("saved boxes (10, 4), this dataset needs (6, 4)").
    six = Runner(**box_runner_cfg(tmp_path / 'six', _data(tmp_path, first_run, drop=4), 1,
                                  load_from=ckpt, resume=False))
    six.train()
    assert torch.equal(_boxes(six), FULL.expand(6, 4))
    assert 'boxes in the checkpoint are not imported' in run_log(six)
    # The same size: used to train on the other run's boxes without a word.
    same = Runner(**box_runner_cfg(tmp_path / 'same', first_run / 'data', 1, load_from=ckpt,
                                   resume=False))
    same.train()
    assert torch.equal(_boxes(same), FULL.expand(10, 4))
    # A resume restores them (epoch 2 is the last: no refresh after it).
    resumed = Runner(**box_runner_cfg(tmp_path / 'resumed', first_run / 'data', 2,
                                      load_from=ckpt, resume=True))
    resumed.train()
    assert torch.equal(_boxes(resumed), saved)


def test_resume_on_a_shrunk_dataset_points_at_resume_boxes(tmp_path, first_run):
    ckpt = str(first_run / 'w' / 'epoch_1.pth')
    cfg = box_runner_cfg(tmp_path / 'w', _data(tmp_path, first_run, drop=1), 2, load_from=ckpt,
                         resume=True)
    # Built from a Config as tools/train.py does, so the message can name the hook's place.
    runner = Runner.from_cfg(Config(cfg))
    with pytest.raises(ValueError, match=r"(?s)holds 10 boxes, but the dataset now has 9 "
                                         r".*'relocalize'.*'reset'.*--cfg-options "
                                         r'custom_hooks\.0\.resume_boxes=relocalize'):
        runner.train()


@pytest.mark.parametrize('mode', ['relocalize', 'reset'])
def test_resume_boxes_says_what_it_did(tmp_path, first_run, mode):
    ckpt = str(first_run / 'w' / 'epoch_1.pth')
    runner = Runner(**box_runner_cfg(tmp_path / 'w', _data(tmp_path, first_run, drop=1), 2,
                                     hook=dict(resume_boxes=mode), load_from=ckpt, resume=True))
    runner.train()
    log = run_log(runner)
    assert f"the checkpoint's 10 boxes are not used (resume_boxes='{mode}'); the dataset " \
           'has 9 samples' in log
    boxes = _boxes(runner)
    if mode == 'relocalize':  # epoch 1 had refreshed the boxes: so does the resume
        assert 'refreshed the boxes on resume' in log
        # ... with the resumed weights, on the 9 images there are now.
        model = BoxTestNet()
        model.load_state_dict(torch.load(ckpt, weights_only=True)['state_dict'])
        hook = next(h for h in runner.hooks if isinstance(h, BoxRefreshHook))
        dataset = BoxedDataset(dict(type='ImageFolder', data_root=str(tmp_path / 'data'),
                                    data_prefix='train'))
        expected, _ = hook.localize(model, dataset, batch_size=4)
        assert torch.equal(boxes, expected) and (boxes != FULL).any(1).all()
    else:
        assert 'the boxes start at init_box (0.0, 0.0, 1.0, 1.0)' in log
        assert torch.equal(boxes, FULL.expand(9, 4))


def test_moved_work_dir_resumes_its_own_checkpoint(tmp_path):
    original, moved = tmp_path / 'original', tmp_path / 'moved'
    _runner(original, 'AtomicCheckpointHook', 2).train()
    assert (original / 'last_checkpoint').read_text() == str(original / 'epoch_2.pth')
    shutil.move(original, moved)  # used to fail: the original's epoch_2.pth is gone
    # (another experiment name: mmengine would reuse the first run's logger and visualizer,
    # which write into the moved folder's old path, if built in the same second)
    resumed = _runner(moved, 'AtomicCheckpointHook', 3, resume=True, experiment_name='resumed')
    resumed.train()
    assert resumed.iter == 6
    assert (moved / 'last_checkpoint').read_text() == str(moved / 'epoch_3.pth')


def test_train_tool_resumes_a_copied_work_dir_from_the_copy(tmp_path):
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    try:
        import train as train_tool
    finally:
        sys.path.remove(osp.join(ROOT, 'tools'))
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    original.mkdir()
    (original / 'epoch_4.pth').write_bytes(b'weights')
    (original / 'last_checkpoint').write_text(str(original / 'epoch_4.pth'))
    shutil.copytree(original, copy)
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text("optim_wrapper = dict(type='OptimWrapper')\n")
    args = train_tool.argparse.Namespace(config=str(cfg_file), work_dir=str(copy),
                                         resume='auto', amp=False, cfg_options=None,
                                         launcher='none')
    cfg = train_tool.build_config(args)
    assert cfg.resume is True and cfg.load_from == str(copy / 'epoch_4.pth')
    # Checkpoints kept elsewhere (another out_dir) are still found where written.
    os.remove(copy / 'epoch_4.pth')
    assert train_tool.build_config(args).load_from == str(original / 'epoch_4.pth')
    # A config that resumes by itself gets the same treatment.
    cfg_file.write_text("optim_wrapper = dict(type='OptimWrapper')\nresume = True\n")
    args.resume = None
    assert train_tool.build_config(args).load_from == str(original / 'epoch_4.pth')
