"""BoxRefreshHook: schedule, argument checks, localisation, Runner end to end."""
import copy
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmccrop.datasets.boxed_dataset import BoxedDataset
from mmccrop.engine.hooks.box_refresh_hook import BoxRefreshHook, boxes_active, refresh_after
from mmccrop.functional.localization import heatmap_to_boxes
from mmccrop.registry import HOOKS

from ._tiny import BoxTestImages, BoxTestNet, square_image


@pytest.mark.parametrize('warmup,interval,max_epochs,active,refresh', [
    # ImageNet setting, shortened: warm-up 20, every 20, 100 epochs.
    (20, 20, 100, list(range(21, 101)), [20, 40, 60, 80]),
    # Small-dataset setting: 100/100 over 500 epochs.
    (100, 100, 500, list(range(101, 501)), [100, 200, 300, 400]),
    # Refresh after every epoch from the first one; never after the last.
    (1, 1, 3, [2, 3], [1, 2]),
    (0, 1, 3, [1, 2, 3], [1, 2]),
    # Interval not dividing the warm-up: the first refresh waits for a multiple.
    (5, 3, 12, list(range(6, 13)), [6, 9]),
    # A refresh that would fall on the last epoch is skipped.
    (2, 2, 4, [3, 4], [2]),
    # SimCCrop: no warm-up, never refreshed.
    (0, None, 5, [1, 2, 3, 4, 5], []),
    # Warm-up as long as training: boxes never used.
    (3, 1, 3, [], []),
])
def test_schedule(warmup, interval, max_epochs, active, refresh):
    hook = BoxRefreshHook(warmup_epochs=warmup, interval=interval)
    assert hook.schedule(max_epochs) == (active, refresh)
    for e in range(1, max_epochs + 1):
        assert boxes_active(e, warmup) == (e in active)
        assert refresh_after(e, warmup, interval, max_epochs) == (e in refresh)


@pytest.mark.parametrize('kwargs,key', [
    (dict(threshold=0.0), 'threshold'), (dict(threshold=1.0), 'threshold'),
    (dict(threshold=-0.2), 'threshold'), (dict(threshold=1.5), 'threshold'),
    (dict(interval=0), 'interval'), (dict(interval=-3), 'interval'),
    (dict(interval=2.5), 'interval'),
    (dict(warmup_epochs=-1), 'warmup_epochs'), (dict(warmup_epochs=1.5), 'warmup_epochs'),
    (dict(eval_size=0), 'eval_size'), (dict(eval_size=(32, )), 'eval_size'),
    (dict(eval_size=32.0), 'eval_size'),  # was a TypeError before the shared check
    (dict(batch_size=0), 'batch_size'), (dict(num_workers=-1), 'num_workers'),
    (dict(resume_boxes='keep'), 'resume_boxes'),
])
def test_bad_config_values_raise(kwargs, key):
    with pytest.raises(ValueError, match=key):
        BoxRefreshHook(**kwargs)
    with pytest.raises(ValueError, match=key):
        HOOKS.build(dict(type='BoxRefreshHook', **kwargs))


def test_localize_matches_a_manual_pass_and_restores_train_mode():
    torch.manual_seed(0)
    model = BoxTestNet()
    model.train()
    ds = BoxedDataset(dataset=BoxTestImages(num=7))
    hook = BoxRefreshHook(threshold=0.3, eval_size=32)
    boxes, degenerate = hook.localize(model, ds, batch_size=3)
    assert model.training and model.bn.training
    assert boxes.shape == (7, 4) and degenerate.shape == (7, )
    # By hand: BGR->RGB, normalise, eval-mode features, threshold.
    imgs = torch.stack([torch.from_numpy(ds.raw_data_info(i)['img']).permute(2, 0, 1)
                        for i in range(7)]).float()
    model.eval()
    with torch.no_grad():
        x = (imgs[:, [2, 1, 0]] - 120.) / 60.
        feats = model.extract_feat(x)[-1]
    assert torch.equal(boxes, heatmap_to_boxes(feats, 0.3, 32))
    assert (boxes != torch.tensor([0., 0., 1., 1.])).any()
    stats = hook.box_stats(boxes, degenerate, ds.gt_boxes(), ds.boxes)
    assert 0 < stats['box_mean_area'] <= 1 and 0 <= stats['box_miou'] <= 1
    assert stats['box_miou_full'] == pytest.approx(
        float((ds.gt_boxes()[:, 2:] - ds.gt_boxes()[:, :2]).prod(1).mean()), rel=1e-5)


def test_localize_under_cpu_autocast_and_amp_detection():
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    from mmccrop.engine.hooks.box_refresh_hook import _amp_dtype

    torch.manual_seed(0)
    model = BoxTestNet()
    ds = BoxedDataset(dataset=BoxTestImages(num=5))
    hook = BoxRefreshHook(threshold=0.3, eval_size=32)
    fp32, _ = hook.localize(model, ds)
    bf16, degenerate = hook.localize(model, ds, amp_dtype=torch.bfloat16)
    assert bf16.dtype == torch.float32 and not degenerate.any()
    assert (bf16 - fp32).abs().max() <= 4 / 32  # same boxes up to bf16 rounding
    amp = object.__new__(AmpOptimWrapper)
    amp.cast_dtype = torch.bfloat16
    assert _amp_dtype(amp) == torch.bfloat16
    amp.cast_dtype = None
    assert _amp_dtype(amp) is True
    assert _amp_dtype(object.__new__(OptimWrapper)) is False


def test_hook_needs_a_boxed_dataset(tmp_path):
    class FakeRunner:
        class train_dataloader:  # noqa: N801
            dataset = BoxTestImages(num=2)
    with pytest.raises(TypeError, match='BoxedDataset'):
        BoxRefreshHook.boxed_dataset(FakeRunner)


def _runner_cfg(work_dir, max_epochs, name, workers=0, **extra):
    cfg = dict(
        model=dict(type='_BoxTestNet'),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=dict(
            dataset=dict(type='BoxedDataset',
                         dataset=dict(type='_BoxTestImages', num=10,
                                      pipeline=[dict(type='_BoxCropPack', size=32)])),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4, num_workers=workers, persistent_workers=workers > 0,
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        custom_hooks=[dict(type='BoxRefreshHook', warmup_epochs=1, interval=1, threshold=0.2,
                           eval_size=32, batch_size=4, num_workers=0)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        default_scope='mmccrop',
        randomness=dict(seed=0),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='INFO',
    )
    cfg.update(extra)
    return cfg


def _hook(runner):
    return next(h for h in runner.hooks if isinstance(h, BoxRefreshHook))


@pytest.mark.slow
def test_runner_refreshes_logs_saves_and_resumes(tmp_path):
    init = torch.tensor([0., 0., 1., 1.])
    # Two persistent (forked) workers: the refreshed boxes and the activation
    # must reach them without a re-fork.
    runner = Runner(**_runner_cfg(tmp_path, 3, 'boxes_run', workers=2))
    runner.train()
    ds = runner.train_dataloader.dataset
    model = runner.model
    # Epoch 1 is warm-up (no box), epochs 2-3 crop with the boxes.
    n = len(ds)
    assert len(model.seen_boxes) == 3 * n
    assert model.seen_boxes[:n] == [None] * n
    assert all(b is not None for b in model.seen_boxes[n:])
    # Refreshed after epochs 1 and 2 (not 3): the boxes changed, and epoch 3's
    # samples carried exactly the boxes of the last refresh.
    assert ds.active
    assert (ds.boxes != init).any()
    assert sorted(model.seen_boxes[2 * n:]) == sorted(map(tuple, ds.boxes.tolist()))
    # Logged: the log file, the message hub and the visualizer's scalars.
    log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
    assert log.count('BoxRefreshHook: refreshed the boxes after epoch') == 2
    assert 'mean IoU with gt' in log
    hub = runner.message_hub
    assert hub.get_scalar('train/ccrop/box_mean_area').current() == pytest.approx(
        float(((ds.boxes[:, 2:] - ds.boxes[:, :2]).prod(1)).mean()), rel=1e-5)
    assert 0 <= hub.get_scalar('train/ccrop/box_miou').current() <= 1
    scalars = open(osp.join(runner.log_dir, 'vis_data', 'scalars.json')).read()
    assert 'ccrop/box_miou' in scalars
    # Saved: epoch 2's checkpoint holds the boxes refreshed after epoch 2,
    # which are the final ones.
    ckpt2 = torch.load(osp.join(tmp_path, 'epoch_2.pth'), map_location='cpu',
                       weights_only=False)
    assert torch.equal(ckpt2['ccrop_boxes']['boxes'], ds.boxes)
    assert ckpt2['ccrop_boxes']['active'] is True
    # Our entry itself loads under torch.load(weights_only=True).
    torch.save({'ccrop_boxes': ckpt2['ccrop_boxes']}, tmp_path / 'boxes_only.pth')
    safe = torch.load(tmp_path / 'boxes_only.pth', weights_only=True)
    assert torch.equal(safe['ccrop_boxes']['boxes'], ds.boxes)
    ckpt1 = torch.load(osp.join(tmp_path, 'epoch_1.pth'), map_location='cpu',
                       weights_only=False)
    assert not torch.equal(ckpt1['ccrop_boxes']['boxes'], ckpt2['ccrop_boxes']['boxes'])
    assert ckpt1['ccrop_boxes']['active'] is False  # saved at the end of the warm-up

    # Resume from epoch 2: epoch 3 trains on exactly the saved boxes.
    resumed = Runner(**_runner_cfg(tmp_path / 'resume', 3, 'boxes_resume', resume=True,
                                   load_from=osp.join(tmp_path, 'epoch_2.pth')))
    resumed.train()
    rds = resumed.train_dataloader.dataset
    assert resumed.epoch == 3
    assert torch.equal(rds.boxes, ckpt2['ccrop_boxes']['boxes'])
    seen = resumed.model.seen_boxes
    assert len(seen) == n and all(b is not None for b in seen)
    assert torch.equal(torch.tensor(sorted(seen)), torch.tensor(sorted(rds.boxes.tolist())))
    # Resuming a warm-up checkpoint instead leaves training on plain crops.
    again = Runner(**_runner_cfg(tmp_path / 'resume1', 2, 'boxes_resume1', resume=True,
                                 load_from=osp.join(tmp_path, 'epoch_1.pth')))
    hook = _hook(again)
    again.train()
    assert all(b is not None for b in again.model.seen_boxes)  # epoch 2 > warm-up
    assert torch.equal(torch.tensor(sorted(again.model.seen_boxes)),
                       torch.tensor(sorted(ckpt1['ccrop_boxes']['boxes'].tolist())))
    assert hook.last_stats == {}  # no refresh after the last epoch


@pytest.mark.slow
def test_simccrop_schedule_uses_the_fixed_box_from_the_start(tmp_path):
    cfg = _runner_cfg(tmp_path, 2, 'simccrop')
    cfg['train_dataloader'] = copy.deepcopy(cfg['train_dataloader'])
    cfg['train_dataloader']['dataset']['init_box'] = (0.25, 0.25, 0.75, 0.75)
    cfg['custom_hooks'] = [dict(type='BoxRefreshHook', warmup_epochs=0, interval=None)]
    runner = Runner(**cfg)
    runner.train()
    assert set(runner.model.seen_boxes) == {(0.25, 0.25, 0.75, 0.75)}
    assert torch.equal(runner.train_dataloader.dataset.boxes,
                       torch.tensor([[0.25, 0.25, 0.75, 0.75]]).repeat(10, 1))


def test_visualize_boxes_tool_writes_a_png(tmp_path, repo_root):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        'visualize_boxes', osp.join(repo_root, 'tools/analysis/visualize_boxes.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        "model = dict(type='_BoxTestNet')\n"
        "train_dataloader = dict(dataset=dict(type='BoxedDataset', "
        "dataset=dict(type='_BoxTestImages', num=6)))\n"
        "custom_hooks = [dict(type='BoxRefreshHook', threshold=0.3, eval_size=32)]\n")
    torch.manual_seed(0)
    model = BoxTestNet()
    stored = torch.tensor([[0.1, 0.1, 0.6, 0.7]]).repeat(6, 1)
    torch.save(dict(state_dict=model.state_dict(),
                    ccrop_boxes=dict(boxes=stored, active=True)), tmp_path / 'ckpt.pth')
    out = tmp_path / 'vis' / 'boxes.png'
    tool.main([str(cfg), '--checkpoint', str(tmp_path / 'ckpt.pth'), '--num', '3',
               '--device', 'cpu', '--out', str(out)])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert tool.hook_settings(Config.fromfile(str(cfg)), None, None) == (0.3, (32, 32))
    with pytest.raises(SystemExit):
        tool.parse_args([str(cfg), '--threshold', '1.5'])


def _load_tool(repo_root, name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        name, osp.join(repo_root, 'tools/analysis', f'{name}.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def _tool_cfg(tmp_path, num, with_gt=True, extra=''):
    """A config file for the analysis tools: the test net on ``num`` square images."""
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        "model = dict(type='_BoxTestNet')\n"
        "train_dataloader = dict(dataset=dict(type='BoxedDataset', "
        f"dataset=dict(type='_BoxTestImages', num={num}, with_gt={with_gt})))\n" + extra)
    return cfg


def _square_feats(model, num):
    """The eval-mode features and true boxes of the first ``num`` square images."""
    model.eval()
    imgs, gt = zip(*(square_image(i) for i in range(num)))
    batch = torch.stack([torch.from_numpy(i).permute(2, 0, 1) for i in imgs])
    with torch.no_grad():
        feats = model.extract_feat(model.data_preprocessor(
            dict(inputs=batch, data_samples=None), False)['inputs'])[0]
    return feats, torch.from_numpy(np.stack(gt))


def test_box_quality_tool_scores_thresholds_and_eval_sizes(tmp_path, repo_root, capsys):
    from mmccrop.functional.localization import box_iou, heatmap_to_boxes

    tool = _load_tool(repo_root, 'box_quality')
    cfg = _tool_cfg(tmp_path, num=6)
    torch.manual_seed(0)
    model = BoxTestNet()
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'ckpt.pth')
    out = tmp_path / 'bq.json'
    assert tool.main([str(cfg), '--checkpoint', str(tmp_path / 'ckpt.pth'), '--device', 'cpu',
                      '--thresholds', '0.2', '0.6', '--eval-sizes', '32', '48',
                      '--aligns', 'centre', 'corner', '--json', str(out)]) == 0
    import json
    table = json.loads(out.read_text())
    assert [(r['eval_size'], r['align'], r['threshold']) for r in table['rows']] == [
        (s, a, k) for s in (32, 48) for a in ('centre', 'corner') for k in (0.2, 0.6)]
    # the figures are those of heatmap_to_boxes on the model's own features
    feats, gt = _square_feats(model, 6)
    for row in table['rows'][:4]:
        boxes = heatmap_to_boxes(feats, row['threshold'], (32, 32), align=row['align'])
        assert row['miou'] == pytest.approx(float(box_iou(boxes, gt).mean()), abs=1e-6)
    full = torch.tensor([[0., 0., 1., 1.]]).repeat(6, 1)
    assert table['baseline'] == pytest.approx(float(box_iou(full, gt).mean()), abs=1e-6)
    # the brightness-sensitive net finds the squares: better than the full box
    assert table['rows'][1]['miou'] > table['baseline'] + 0.2
    printed = capsys.readouterr().out
    assert 'best: eval size ' in printed and '| 48 | none | all | corner | 0.60 |' in printed
    with pytest.raises(SystemExit):
        tool.parse_args([str(cfg), '--thresholds', '0', '0.5'])


def test_box_quality_tool_compares_backgrounds_and_regions(tmp_path, repo_root):
    from mmccrop.functional.localization import box_iou, heatmap_to_boxes

    tool = _load_tool(repo_root, 'box_quality')
    # the config's hook settings are the defaults of the comparison
    cfg = _tool_cfg(tmp_path, num=6, extra="custom_hooks = [dict(type='BoxRefreshHook', "
                    "align='corner', background='median', region='peak')]\n")
    torch.manual_seed(0)
    model = BoxTestNet()
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'ckpt.pth')
    common = [str(cfg), '--checkpoint', str(tmp_path / 'ckpt.pth'), '--device', 'cpu',
              '--thresholds', '0.5', '--eval-sizes', '32']
    import json
    assert tool.main(common + ['--json', str(tmp_path / 'a.json')]) == 0
    rows = json.loads((tmp_path / 'a.json').read_text())['rows']
    assert [(r['background'], r['region'], r['align']) for r in rows] == [
        ('median', 'peak', 'corner')]
    assert tool.main(common + ['--backgrounds', 'none', 'median', '--regions', 'all', 'peak',
                               '--json', str(tmp_path / 'b.json')]) == 0
    rows = json.loads((tmp_path / 'b.json').read_text())['rows']
    assert [(r['background'], r['region']) for r in rows] == [
        ('none', 'all'), ('none', 'peak'), ('median', 'all'), ('median', 'peak')]
    feats, gt = _square_feats(model, 6)
    for row in rows:
        boxes = heatmap_to_boxes(feats, 0.5, 32, align='corner', background=row['background'],
                                 region=row['region'])
        assert row['miou'] == pytest.approx(float(box_iou(boxes, gt).mean()), abs=1e-6)


def test_analysis_tools_skip_differently_sized_non_backbone_entries(tmp_path, repo_root,
                                                                   capsys):
    # e.g. a MoCo queue trained with another queue_len: only the backbone matters here
    tool = _load_tool(repo_root, 'visualize_boxes')
    cfg = Config(dict(model=dict(type='_BoxTestNet')))
    torch.manual_seed(0)
    model = BoxTestNet()
    state = model.state_dict()
    state['bn.running_mean'] = torch.zeros(3)
    torch.save(dict(state_dict=state), tmp_path / 'ckpt.pth')
    loaded, _ = tool.load_model(cfg, str(tmp_path / 'ckpt.pth'), 'cpu', False)
    assert "not loaded: ['bn.running_mean']" in capsys.readouterr().out
    assert torch.equal(loaded.conv1.weight, model.conv1.weight)
    assert torch.equal(loaded.bn.running_mean, torch.zeros(8))


def test_box_quality_tool_needs_ground_truth(tmp_path, repo_root):
    tool = _load_tool(repo_root, 'box_quality')
    cfg = _tool_cfg(tmp_path, num=4, with_gt=False)
    with pytest.raises(KeyError, match='no gt_bbox'):
        tool.main([str(cfg), '--device', 'cpu', '--eval-sizes', '32'])


def test_refresh_hook_passes_align_and_rejects_unknown_ones():
    with pytest.raises(ValueError, match="BoxRefreshHook: align must be one of"):
        BoxRefreshHook(align='edges')
    torch.manual_seed(0)
    model = BoxTestNet()
    dataset = BoxedDataset(dataset=BoxTestImages(num=6))
    dataset.full_init()
    found = {}
    for align in ('centre', 'corner'):
        hook = BoxRefreshHook(threshold=0.3, eval_size=32, align=align)
        boxes, _ = hook.localize(model, dataset, batch_size=4)
        found[align] = boxes
        feats, _ = _square_feats(model, 6)
        assert torch.equal(boxes, heatmap_to_boxes(feats, 0.3, 32, align=align)), align
    # 'corner' moves the boxes up-left (stride 4 here: by up to 1.5 px)
    assert not torch.equal(found['centre'], found['corner'])
    assert (found['corner'][:, :2] <= found['centre'][:, :2]).all()


def test_refresh_hook_passes_background_and_region_and_rejects_unknown_ones(monkeypatch):
    from mmccrop.engine.localization import localizer as module

    with pytest.raises(ValueError, match="BoxRefreshHook: background must be one of"):
        BoxRefreshHook(background='mean')
    with pytest.raises(ValueError, match="BoxRefreshHook: region must be one of"):
        BoxRefreshHook(region='largest')
    torch.manual_seed(0)
    model = BoxTestNet()
    dataset = BoxedDataset(dataset=BoxTestImages(num=6))
    dataset.full_init()
    feats, _ = _square_feats(model, 6)
    calls = []

    def recording(*args, **kwargs):
        calls.append((kwargs['background'], kwargs['region']))
        return heatmap_to_boxes(*args, **kwargs)

    monkeypatch.setattr(module, 'heatmap_to_boxes', recording)
    for background in ('none', 'median'):
        for region in ('all', 'peak'):
            hook = BoxRefreshHook(threshold=0.3, eval_size=32, align='corner',
                                  background=background, region=region)
            boxes, _ = hook.localize(model, dataset, batch_size=4)
            expected = heatmap_to_boxes(feats, 0.3, 32, align='corner', background=background,
                                        region=region)
            assert torch.equal(boxes, expected), (background, region)
            # two batches of the 6 images, each localised with the hook's options
            assert calls[-2:] == [(background, region)] * 2
