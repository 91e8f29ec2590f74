"""Shared set-ups of the reliability tests.

- :func:`write_config`: tiny MoCo v2 / SNCLR + ContrastiveCrop configs.
  Width-8 CIFAR ResNet-18 at 32 px on 16 SyntheticObjects images, batch 4:
  4 iterations per epoch.  Written as config *files* so that the same
  setting runs in-process (Runner.from_cfg) and through tools/train.py.
- :func:`box_runner_cfg`: a seconds-long Runner (a two-conv net) on real
  image files, for faults that need files on disk.
- :class:`LogRecorder`: the messages of mmengine's current logger.
"""
import itertools
import os
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

_COMMON = """
default_scope = 'mmccrop'
custom_imports = dict(imports=['mmccrop', {extra_imports}], allow_failed_imports=False)
img_size = 32
data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
backbone = dict(type='CIFARResNet', depth=18, base_channels=8, out_indices=(3, ),
                norm_cfg={norm_cfg}, norm_eval=False, zero_init_residual=False)
view = [
    dict(type='ContrastiveCrop', size=img_size, scale=(0.2, 1.0), alpha=0.6),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
    dict(type='RandomGrayscale', prob=0.2),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='BoxedDataset', dataset=dict(
        type='SyntheticObjects', num_images={num_images}, img_size=img_size, num_classes=4,
        seed=0, split='train', pipeline=[
            dict(type='MultiView', num_views=2, transforms=[view]),
            dict(type='PackSelfSupInputs', meta_keys=['sample_idx'])])))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr={lr}, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max={max_epochs}, eta_min=0.001,
                        by_epoch=True, begin=0, end={max_epochs})]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={max_epochs})
custom_hooks = [dict(type='BoxRefreshHook', warmup_epochs=1, interval=1, threshold={threshold},
                     eval_size=img_size, batch_size=8, num_workers=0)] + {extra_hooks}
default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='AtomicCheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    rng_state=dict(type='RNGStateHook'),
    strict_resume=dict(type='StrictResumeHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='gloo'))
log_processor = dict(window_size=1)
visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=True)
"""

MOCO = """
model = dict(type='MoCoV2', queue_len=32, feat_dim=16, momentum=0.99, shuffle_bn=False,
             data_preprocessor=data_preprocessor, backbone=backbone,
             neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=64, out_channels=16),
             head=dict(type='ContrastiveHead', loss=dict(type='InfoNCELoss', temperature=0.2)))
"""

SNCLR = """
model = dict(
    type='SNCLR', data_preprocessor=data_preprocessor, backbone=backbone,
    neck=dict(type='NonLinearNeck', in_channels=64, hid_channels=64, out_channels=16,
              num_layers=2, with_last_bn=True, with_last_bn_affine=False,
              norm_cfg=dict(type='BN1d')),
    predictor=dict(type='NonLinearNeck', in_channels=16, hid_channels=64, out_channels=16,
                   num_layers=2, with_last_bn=False, with_avg_pool=False,
                   norm_cfg=dict(type='BN1d')),
    bank_size=24, topk=2, temperature=0.2, momentum=0.99, feat_dim=16,
    positiveness=dict(type='CosinePositiveness'), loss_form='code')
"""


def write_config(path, algorithm='moco', max_epochs=4, num_images=16, lr=0.05,
                 extra_imports=(), extra_hooks=(), norm_cfg=None, threshold=0.1):
    """Write a tiny ccrop pretraining config to ``path``; returns ``str(path)``.

    ``norm_cfg`` is the backbone's (BN by default).
    """
    text = _COMMON.format(num_images=num_images, lr=lr, max_epochs=max_epochs,
                          norm_cfg=repr(norm_cfg or dict(type='BN')), threshold=threshold,
                          extra_imports=', '.join(repr(m) for m in extra_imports),
                          extra_hooks=repr(list(extra_hooks)))
    text += MOCO if algorithm == 'moco' else SNCLR
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


# --------------------------------------------------------------------------- #
# A seconds-long Runner on real image files, and a log recorder
# --------------------------------------------------------------------------- #
_RUNS = itertools.count()


def write_square_images(folder, num, size=32):
    """``num`` PNGs (a bright square on noise, see test_boxes._tiny) in
    ``folder/train/c0``; returns their paths in the order ImageFolder lists them."""
    import cv2
    from test_boxes._tiny import square_image

    cls = osp.join(str(folder), 'train', 'c0')
    os.makedirs(cls, exist_ok=True)
    paths = []
    for i in range(num):
        paths.append(osp.join(cls, f'{i:03d}.png'))
        assert cv2.imwrite(paths[-1], square_image(i, size)[0])
    return paths


def box_runner_cfg(work_dir, data_root, max_epochs, hook=None, **extra):
    """A Runner config: the two-conv test net on the ImageFolder under
    ``data_root`` (skip_corrupt=True), BoxRefreshHook warm-up 1 / interval 1,
    a checkpoint after every epoch."""
    import copy

    import test_boxes._tiny  # noqa: F401  (registers _BoxTestNet, _BoxCropPack)

    cfg = dict(
        model=dict(type='_BoxTestNet'),
        work_dir=str(work_dir),
        # Unique: mmengine reuses the logger of a Runner built in the same second.
        experiment_name=f'faults_{next(_RUNS)}_{os.getpid()}',
        train_dataloader=dict(
            dataset=dict(type='BoxedDataset', dataset=dict(
                type='ImageFolder', data_root=str(data_root), data_prefix='train',
                skip_corrupt=True,
                pipeline=[dict(type='LoadImageFromFile'), dict(type='_BoxCropPack', size=32)])),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=4, num_workers=0, collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        custom_hooks=[dict(dict(type='BoxRefreshHook', warmup_epochs=1, interval=1, threshold=0.2,
                                eval_size=32, batch_size=4, num_workers=0), **(hook or {}))],
        default_hooks=dict(checkpoint=dict(type='AtomicCheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=10)),
        default_scope='mmccrop', randomness=dict(seed=0), log_level='INFO',
        env_cfg=dict(dist_cfg=dict(backend='gloo')))
    cfg.update(copy.deepcopy(extra))
    return cfg


def run_log(runner):
    """Everything the Runner logged to its log file so far."""
    import glob
    return ''.join(open(p).read() for p in glob.glob(osp.join(runner.log_dir, '*.log')))


class LogRecorder:
    """Record the messages of mmengine's current logger (``print_log(logger='current')``)."""

    def __enter__(self):
        from mmengine.logging import MMLogger
        self.logger = MMLogger.get_current_instance()
        self.messages, self._handle = [], self.logger.handle

        def handle(record):
            self.messages.append((record.levelname, record.getMessage()))
            return self._handle(record)

        self.logger.handle = handle
        return self

    def __exit__(self, *exc):
        self.logger.handle = self._handle

    def warnings(self):
        return [m for level, m in self.messages if level == 'WARNING']
