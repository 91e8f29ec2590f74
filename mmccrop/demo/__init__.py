"""The mmccrop demo as a library; ``tools/demo.py`` is its command line.

The demo pretrains MoCo v2 / ResNet-18 at 64 px on the embedded
SyntheticObjects data with RandomResizedCrop (rcrop) and with ContrastiveCrop
(ccrop), measures the boxes, the kNN top-1 and the false-positive pair rate,
draws its pictures, fine-tunes the ccrop backbone in Mask R-CNN and FCN (and
Mask R-CNN from random init, the baseline), and writes ``report.md``.

Modules, one stage or concern each: :mod:`.settings` (options, configs,
overrides), :mod:`.console` (stage lines, captured logs),
:mod:`.progress_hook`, :mod:`.pretrain`, :mod:`.pair_rate`, :mod:`.figures`,
:mod:`.transfer`, :mod:`.report` and :mod:`.run` (the stages in order).
Importing this package imports neither mmdet nor mmseg.
"""
from .report import knn_comparison, loss_note, pair_rate_table, report, run_table, transfer_table
from .run import run_demo
from .settings import CONFIGS, DemoOptions, final_knn_only, pretrain_config, pretrain_overrides

__all__ = [
    'CONFIGS', 'DemoOptions', 'run_demo', 'final_knn_only', 'pretrain_config',
    'pretrain_overrides', 'knn_comparison', 'loss_note', 'pair_rate_table', 'report',
    'run_table', 'transfer_table'
]
