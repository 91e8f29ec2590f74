"""SNCLR through mmengine's Runner: logs, checkpoint, exact resume."""
import pytest
import torch
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmccrop.structures.data_sample import SelfSupDataSample

from ._tiny import tiny_snclr_cfg


class _TwoViews(Dataset):
    """16 fixed random uint8 images, two slightly different deterministic views.

    Deterministic views (no random augmentation): a resumed run must then match
    the straight run exactly, which isolates the model and bank state.
    """

    def __init__(self, n: int = 16) -> None:
        g = torch.Generator().manual_seed(0)
        self.imgs = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)

    def __len__(self) -> int:
        return len(self.imgs)

    def __getitem__(self, i: int) -> dict:
        img = self.imgs[i]
        return dict(inputs=[img, img.flip(-1)],
                    data_samples=SelfSupDataSample(metainfo=dict(sample_idx=i)))


def _runner(work_dir, resume_from=None):
    model = tiny_snclr_cfg('code', topk=2, bank_size=24)
    model['data_preprocessor'] = dict(type='SelfSupDataPreprocessor', mean=[128.] * 3,
                                      std=[64.] * 3)
    return Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(
            batch_size=4, num_workers=0, drop_last=True,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='pseudo_collate'), dataset=_TwoViews()),
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]),
        default_scope='mmccrop',
        randomness=dict(seed=0),
        log_level='WARNING',
        load_from=None if resume_from is None else str(resume_from),
        resume=resume_from is not None)


@pytest.mark.slow
def test_runner_trains_logs_and_resumes_bit_for_bit(tmp_path):
    straight = _runner(tmp_path / 'a')
    straight.train()
    final = {k: v.clone() for k, v in straight.model.state_dict().items()}
    scalars = straight.message_hub.log_scalars
    assert {'train/loss', 'train/nn_cos', 'train/pos_w', 'train/momentum'} <= set(scalars)
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))
    # 2 epochs x 4 iterations x 4 view-2 keys went through the 24-entry bank.
    assert int(final['bank.ptr']) == 32 % 24

    resumed = _runner(tmp_path / 'b', resume_from=tmp_path / 'a' / 'epoch_1.pth')
    resumed.train()
    assert resumed.iter == straight.iter == 8
    state = resumed.model.state_dict()
    assert set(state) == set(final)
    for key, value in final.items():
        assert torch.equal(state[key], value), key
