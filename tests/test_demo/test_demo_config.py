"""The demo's run settings, checked on its configs without training."""
import os.path as osp
import sys

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tools'))
import demo  # noqa: E402


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
