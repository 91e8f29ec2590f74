"""What the demo runs: its options, configs and the overrides of each run."""
from __future__ import annotations

import os.path as osp
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional

if TYPE_CHECKING:  # no mmengine import at module load
    from mmengine.config import Config

    from mmccrop.functional.synthetic import SyntheticSpec

# The package's .mim folder holds configs/ and tools/ in editable and wheel
# installs alike (symlinks into the repository, or copies).
MIM_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim')
CONFIG_DIR = osp.join(MIM_ROOT, 'configs', 'demo')
TOOLS = {
    'convert': osp.join(MIM_ROOT, 'tools', 'model_converters', 'extract_backbone.py'),
    'boxes': osp.join(MIM_ROOT, 'tools', 'analysis', 'visualize_boxes.py'),
    'crops': osp.join(MIM_ROOT, 'tools', 'analysis', 'visualize_crops.py'),
}
CONFIGS = {
    'rcrop': osp.join(CONFIG_DIR, 'mocov2_resnet18_1xb64-coslr-10e_synthetic-rcrop.py'),
    'ccrop': osp.join(CONFIG_DIR, 'mocov2_resnet18_1xb64-coslr-10e_synthetic-ccrop.py'),
    'det': osp.join(CONFIG_DIR, 'mask-rcnn_r18-fpn_1xb8-3e_synthetic-coco.py'),
    'seg': osp.join(CONFIG_DIR, 'fcn_r18-d8_1xb8-100iter_synthetic-voc-64x64.py'),
}
MODES = ('rcrop', 'ccrop')
#: Initialisations of the fine-tuned backbones: the converted ccrop checkpoint,
#: or mmdet's random initialisation (the baseline that makes the AP readable).
INITS = ('ccrop', 'random')
#: Where ccrop's boxes come from (``--box-source``).
BOX_SOURCES = ('heatmap', 'annotations')


@dataclass
class DemoOptions:
    """The demo's command-line options (see ``tools/demo.py --help``).

    Attributes:
        work_dir: Folder for every run, log, picture and the report.
        epochs: Pretraining epochs; None: the configs' 10.
        num_images: Pretraining images; None: the configs' 1000.
        seeds: One rcrop / ccrop run pair per training seed (the data stay the same).
        transfer_train: Exported images the detector and segmenter fine-tune on.
        transfer_val: Held-out exported images they are evaluated on.
        skip_transfer: Stop after pretraining, pair rates and pictures.
        baseline: ``'random'``: also fine-tune Mask R-CNN from a random
            initialisation, the reference its AP is read against; ``'none'``.
        box_source: ccrop's boxes: ``'heatmap'`` (the model's, refreshed by
            ``BoxRefreshHook``) or ``'annotations'`` (the data's ``gt_bbox``
            through ``AnnotationBoxes``, with no refresh: the upper bound of
            localisation).
        smoke: A few iterations of everything (the test suite's size).
        verbose: Show the Runners' full logs on screen instead of one line per stage.
    """

    work_dir: str = 'work_dirs/demo'
    epochs: Optional[int] = None
    num_images: Optional[int] = None
    seeds: List[int] = field(default_factory=lambda: [0])
    transfer_train: int = 256
    transfer_val: int = 100
    skip_transfer: bool = False
    baseline: str = 'random'
    box_source: str = 'heatmap'
    smoke: bool = False
    verbose: bool = False

    def __post_init__(self) -> None:
        for name in ('epochs', 'num_images'):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f'DemoOptions: {name} must be >= 1, got {value}')
        if not self.seeds:
            raise ValueError('DemoOptions: seeds must name at least one seed')
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f'DemoOptions: seeds repeat, got {self.seeds}')
        if self.transfer_train < 1 or self.transfer_val < 1:
            raise ValueError('DemoOptions: transfer_train and transfer_val must be >= 1, got '
                             f'{self.transfer_train} and {self.transfer_val}')
        if self.box_source not in BOX_SOURCES:
            raise ValueError(f'DemoOptions: box_source must be one of {BOX_SOURCES}, '
                             f'got {self.box_source!r}')
        if self.baseline not in ('random', 'none'):
            raise ValueError(f"DemoOptions: baseline must be 'random' or 'none', "
                             f'got {self.baseline!r}')


def pretrain_overrides(opts: DemoOptions, mode: str, seed: int) -> Dict:
    """Config overrides of one pretraining run (as ``--cfg-options`` would give them)."""
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    o: Dict = {'randomness.seed': seed, 'default_hooks.logger.interval': 5}
    box_hook = 0 if mode == 'ccrop' else None
    knn_hook = 1 if mode == 'ccrop' else 0
    num_images = opts.num_images
    if opts.smoke:
        o.update({'train_dataloader.batch_size': 8, 'train_dataloader.num_workers': 0,
                  'train_dataloader.persistent_workers': False, 'model.queue_len': 64,
                  'train_cfg.max_epochs': 2,
                  f'custom_hooks.{knn_hook}.interval': 1,
                  f'custom_hooks.{knn_hook}.train_dataloader.dataset.num_images': 32,
                  f'custom_hooks.{knn_hook}.val_dataloader.dataset.num_images': 16,
                  'default_hooks.logger.interval': 1})
        num_images = 16
        if box_hook is not None:
            o.update({f'custom_hooks.{box_hook}.warmup_epochs': 1,
                      f'custom_hooks.{box_hook}.interval': 1})
    if box_hook is not None and opts.box_source == 'annotations':
        # The true boxes from the data (SyntheticObjects' gt_bbox), used after the
        # same warm-up and never re-localised.
        o['train_dataloader.dataset.box_source.type'] = 'AnnotationBoxes'
        o['train_dataloader.dataset.box_source.format'] = 'gt_bbox'
        o[f'custom_hooks.{box_hook}.interval'] = None
    if opts.epochs is not None:
        o['train_cfg.max_epochs'] = opts.epochs
        o['param_scheduler.0.T_max'] = opts.epochs
        o['param_scheduler.0.end'] = opts.epochs
    if num_images is not None:
        key = ('train_dataloader.dataset.dataset.num_images' if mode == 'ccrop' else
               'train_dataloader.dataset.num_images')
        o[key] = num_images
    return o


def final_knn_only(cfg: Config) -> None:
    """Make the config's KNNEvalHook evaluate after the last epoch only.

    The demo reports the final kNN top-1 (the hook always evaluates after the
    last epoch); each pass in between costs about 10 s of the 15-minute budget.
    """
    for hook in cfg.custom_hooks:
        if hook['type'] in ('KNNEvalHook', 'mmccrop.KNNEvalHook'):
            hook['interval'] = cfg.train_cfg.max_epochs


def pretrain_config(opts: DemoOptions, mode: str, seed: int) -> Config:
    """The config of one pretraining run, with its overrides, work dir and names."""
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIGS[mode])
    cfg.merge_from_dict(pretrain_overrides(opts, mode, seed))
    if not opts.smoke:
        final_knn_only(cfg)
    cfg.work_dir = osp.join(opts.work_dir, f'{mode}_seed{seed}')
    cfg.experiment_name = f'demo_{mode}_seed{seed}'
    # Visualizers are process-wide singletons keyed by name: a second Runner
    # would otherwise write its scalars into the first run's folder.
    cfg.visualizer.name = f'visualizer_{mode}_seed{seed}'
    return cfg


def exported_spec(cfg: Config) -> SyntheticSpec:
    """The SyntheticSpec of a demo pretraining config's training data."""
    from mmccrop.functional.synthetic import SyntheticSpec
    ds = cfg.train_dataloader.dataset
    ds = ds.get('dataset', ds)  # BoxedDataset wraps the SyntheticObjects of -ccrop
    keys = ('img_size', 'num_classes', 'scale_range', 'clutter', 'seed')
    return SyntheticSpec(**{k: tuple(ds[k]) if k == 'scale_range' else ds[k]
                            for k in keys if k in ds})


def view_crop(cfg: Config) -> dict:
    """The crop transform of the config's view pipeline (the first step of each view)."""
    pipeline = cfg.train_dataloader.dataset
    pipeline = pipeline.get('dataset', pipeline).pipeline
    multi = next((t for t in pipeline if t['type'] in ('MultiView', 'mmccrop.MultiView')), None)
    if multi is None:
        raise KeyError(f'{cfg.filename}: the training pipeline has no MultiView')
    views = multi['transforms']
    first = views[0][0] if isinstance(views[0], (list, tuple)) else views[0]
    if 'Crop' not in first['type']:
        raise KeyError(f'{cfg.filename}: the view pipeline starts with {first["type"]}, '
                       'not a crop')
    return dict(first)
