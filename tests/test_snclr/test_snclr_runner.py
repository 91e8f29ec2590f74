"""SNCLR through mmengine's Runner: logs, checkpoint, exact resume."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ._tiny import tiny_snclr_cfg


def _cfg(work_dir, max_epochs, resume_from=None):
    # Deterministic views (no random ops): a resumed run must then match the
    # straight run exactly, which isolates the model/bank state.
    view = [dict(type='RandomFlip', prob=0.0)]
    pipeline = [dict(type='MultiView', num_views=2, transforms=[view]),
                dict(type='PackSelfSupInputs', meta_keys=[])]
    model = tiny_snclr_cfg('code', topk=2, bank_size=24)
    model['data_preprocessor'] = dict(type='SelfSupDataPreprocessor', mean=[128.] * 3,
                                      std=[64.] * 3, bgr_to_rgb=True)
    cfg = dict(
        default_scope='mmccrop',
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(
            batch_size=4, num_workers=0, drop_last=True,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate'),
            dataset=dict(type='SyntheticObjects', num_images=16, img_size=32, seed=0,
                         split='train', pipeline=pipeline)),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=max_epochs),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]),
        randomness=dict(seed=0),
        log_level='WARNING')
    if resume_from is not None:
        cfg.update(load_from=str(resume_from), resume=True)
    return Config(copy.deepcopy(cfg))


@pytest.mark.slow
def test_runner_trains_logs_and_resumes_bit_for_bit(tmp_path):
    straight = Runner.from_cfg(_cfg(tmp_path / 'a', max_epochs=2))
    straight.train()
    final = {k: v.clone() for k, v in straight.model.state_dict().items()}
    scalars = straight.message_hub.log_scalars
    assert {'train/loss', 'train/nn_cos', 'train/pos_w', 'train/momentum'} <= set(scalars)
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))
    # 2 epochs x 4 iterations x 4 view-2 keys went through the 24-entry bank.
    assert int(final['bank.ptr']) == 32 % 24

    resumed = Runner.from_cfg(_cfg(tmp_path / 'b', max_epochs=2,
                                   resume_from=tmp_path / 'a' / 'epoch_1.pth'))
    resumed.train()
    assert resumed.iter == straight.iter == 8
    state = resumed.model.state_dict()
    assert set(state) == set(final)
    for key, value in final.items():
        assert torch.equal(state[key], value), key
