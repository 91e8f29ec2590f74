"""The demo's run settings, checked on its configs without training."""
import pytest
from mmengine.config import Config

from mmccrop import demo
from mmccrop.demo.settings import DemoOptions, pretrain_config, pretrain_overrides, view_crop


@pytest.mark.parametrize('mode', ['rcrop', 'ccrop'])
def test_final_knn_only_moves_knn_to_the_last_epoch_and_nothing_else(mode):
    cfg = Config.fromfile(demo.CONFIGS[mode])
    cfg.merge_from_dict({'train_cfg.max_epochs': 7})
    before = [dict(h) for h in cfg.custom_hooks]
    assert any(h['type'] == 'KNNEvalHook' and h['interval'] < 7 for h in before)
    demo.final_knn_only(cfg)
    for old, new in zip(before, cfg.custom_hooks):
        if old['type'] == 'KNNEvalHook':
            assert new['interval'] == 7
        else:  # BoxRefreshHook keeps its schedule
            assert dict(new) == old


def test_demo_queue_is_smaller_than_the_training_set():
    cfg = Config.fromfile(demo.CONFIGS['rcrop'])
    assert cfg.model.queue_len < cfg.train_dataloader.dataset.num_images


def test_the_configs_are_found_through_the_package():
    for path in demo.CONFIGS.values():
        assert Config.fromfile(path).filename == path


def test_smoke_overrides_shrink_every_run_and_keep_the_seed():
    opts = DemoOptions(smoke=True, epochs=3)
    rcrop = pretrain_overrides(opts, 'rcrop', 5)
    ccrop = pretrain_overrides(opts, 'ccrop', 5)
    assert rcrop['randomness.seed'] == 5 and rcrop['train_cfg.max_epochs'] == 3
    assert rcrop['train_dataloader.dataset.num_images'] == 16
    assert ccrop['train_dataloader.dataset.dataset.num_images'] == 16
    assert ccrop['custom_hooks.0.warmup_epochs'] == 1  # the BoxRefreshHook
    assert ccrop['custom_hooks.1.interval'] == 1       # the KNNEvalHook
    with pytest.raises(ValueError, match='mode must be one of'):
        pretrain_overrides(opts, 'simccrop', 0)


def test_pretrain_config_names_its_work_dir_and_visualizer(tmp_path):
    cfg = pretrain_config(DemoOptions(work_dir=str(tmp_path)), 'ccrop', 2)
    assert cfg.work_dir == str(tmp_path / 'ccrop_seed2')
    assert cfg.visualizer.name == 'visualizer_ccrop_seed2'
    assert cfg.custom_hooks[1]['interval'] == cfg.train_cfg.max_epochs == 10
    crop = view_crop(cfg)
    assert crop['type'] == 'ContrastiveCrop' and crop['size'] == 64 and crop['alpha'] == 0.6


@pytest.mark.parametrize('kwargs, match', [
    (dict(epochs=0), 'epochs must be >= 1'),
    (dict(seeds=[]), 'at least one seed'),
    (dict(seeds=[1, 1]), 'seeds repeat'),
    (dict(transfer_val=0), 'transfer_train and transfer_val'),
    (dict(baseline='rcrop'), "baseline must be 'random' or 'none'"),
])
def test_bad_options_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DemoOptions(**kwargs)


def test_box_source_annotations_gives_ccrop_the_true_boxes_without_refresh():
    from mmccrop.datasets import BoxedDataset
    from mmccrop.registry import DATASETS
    from mmccrop.utils import register_all_modules
    register_all_modules()
    opts = DemoOptions(box_source='annotations', num_images=8)
    assert 'box_source' not in str(pretrain_overrides(opts, 'rcrop', 0))
    cfg = pretrain_config(opts, 'ccrop', 0)
    hook = next(h for h in cfg.custom_hooks if h['type'] == 'BoxRefreshHook')
    assert hook['interval'] is None and hook['warmup_epochs'] == 4  # same warm-up
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert isinstance(dataset, BoxedDataset)
    import torch
    assert torch.allclose(dataset.boxes, dataset.gt_boxes())
    with pytest.raises(ValueError, match='box_source'):
        DemoOptions(box_source='sam')


def test_task_overrides_start_from_the_ccrop_backbone_or_random_init_and_nothing_else():
    from mmccrop.demo.transfer import task_overrides
    data = dict(backbone='b.pth', roots=dict(coco='c', voc='v'))
    opts = DemoOptions()
    assert task_overrides(opts, 'seg', data, 'ccrop', 3)['model.backbone.init_cfg.checkpoint'] \
        == 'b.pth'
    assert task_overrides(opts, 'det', data, 'random', 3)['model.backbone.init_cfg'] is None
    with pytest.raises(ValueError, match="init must be 'ccrop' or 'random', got 'imagenet'"):
        task_overrides(opts, 'det', data, 'imagenet', 3)
