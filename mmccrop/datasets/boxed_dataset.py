"""A dataset wrapper that owns ContrastiveCrop's per-image box store."""
import copy
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log

from mmccrop.functional.box_sources import box_problem
from mmccrop.functional.localization import invalid_boxes
from mmccrop.registry import BOX_SOURCES, DATASETS

from .box_sources import BaseBoxSource, summary
from .wrapped_samples import InjectedInfo, read_gt_boxes, resolve_leaf

BoxLike = Sequence[float]


@DATASETS.register_module()
class BoxedDataset:
    """Wrap a dataset and give every sample a ContrastiveCrop box.

    The wrapper owns the **box store**: an ``(N, 4)`` float32 tensor of
    normalised ``(x0, y0, x1, y1)`` boxes, one per sample, and an "active"
    flag.  Both live in shared memory (``Tensor.share_memory_``), created in
    the main process when the dataset is initialised, i.e. before any
    DataLoader worker starts.  Forked workers map the same pages; spawned
    workers receive the tensors through torch's multiprocessing pickler as
    shared-memory handles.  Either way, :meth:`update_boxes` and
    :meth:`set_active` in the main process are seen by existing workers,
    ``persistent_workers=True`` included, with no re-fork.  Writes are done
    in place between epochs (:class:`BoxRefreshHook`), never by rebinding
    the tensors.

    Each sample's results get, before the wrapped dataset's pipeline runs:

    - ``sample_idx``: the index in this wrapper (the box store's row);
    - ``ccrop_box``: the stored box as a tuple of 4 floats while the store is
      active, else ``None`` (plain RandomResizedCrop behaviour).

    The wrapped dataset's ``prepare_data`` is used, so its own handling of the
    pipeline (e.g. skipping corrupt images) still applies; a ``None`` sample
    is replaced by a random other one, as mmengine's ``BaseDataset`` does.
    mmengine's ``ConcatDataset``, ``RepeatDataset`` and
    ``ClassBalancedDataset`` are resolved to the leaf dataset (each repeat
    then has its own box row).

    Args:
        dataset: The dataset, or its config.
        init_box: The box every sample starts with (``(0, 0, 1, 1)``: whole
            image; ``(0.25, 0.25, 0.75, 0.75)``: SimCCrop's fixed box).
        box_source: Where each sample's initial box comes from instead of
            ``init_box``: a config (``BOX_SOURCES`` registry) or a source,
            e.g. ``dict(type='AnnotationBoxes', format='coco', ann_file=...)``
            or ``dict(type='FileBoxes', file='boxes.csv')`` (see
            :mod:`mmccrop.datasets.box_sources` and docs/contrastivecrop.md).
            It is read once, in :meth:`full_init`, and logged;
            :meth:`reset_boxes` returns to it.  ``BoxRefreshHook`` refreshes
            these boxes on its schedule, or never with ``interval=None``.
        lazy_init: Defer :meth:`full_init`; it must then run in the main
            process before the DataLoader starts workers, or the workers
            would own private copies of the store.  :class:`BoxRefreshHook`
            calls it in ``before_train``.
    """

    def __init__(self,
                 dataset: Union[dict, Any],
                 init_box: BoxLike = (0., 0., 1., 1.),
                 box_source: Union[None, dict, BaseBoxSource] = None,
                 lazy_init: bool = False) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not hasattr(dataset, '__len__') or not hasattr(dataset, 'get_data_info'):
            raise TypeError('BoxedDataset: `dataset` must be an mmengine dataset (with '
                            f'__len__ and get_data_info), got {type(dataset).__name__}')
        self.dataset = dataset
        if problem := box_problem(init_box):  # the store's rule: non-empty as float32
            raise ValueError(f'BoxedDataset: init_box {init_box!r} {problem}')
        self.init_box = tuple(float(v) for v in np.asarray(init_box, np.float64).reshape(4))
        if box_source is not None and self.init_box != (0., 0., 1., 1.):
            raise ValueError('BoxedDataset: give init_box or box_source, not both (for one '
                             "fixed box with a source, use dict(type='FixedBox', box=...))")
        self.box_source = BOX_SOURCES.build(box_source) if isinstance(box_source, dict) \
            else box_source
        if self.box_source is not None and not callable(self.box_source):
            raise TypeError('BoxedDataset: box_source must be a config dict or a box source, '
                            f'got {box_source!r}')
        self._initial: Optional[torch.Tensor] = None  # the source's boxes
        self._boxes: Optional[torch.Tensor] = None
        self._active: Optional[torch.Tensor] = None
        self._gt_boxes: Optional[torch.Tensor] = None
        self._gt_checked = False
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    # ------------------------------------------------------------------ basics
    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        """Initialise the wrapped dataset and create the shared box store."""
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        n = len(self.dataset)
        self._boxes = torch.tensor(self.init_box, dtype=torch.float32).repeat(n, 1)
        self._boxes.share_memory_()
        self._active = torch.zeros(1, dtype=torch.bool).share_memory_()
        self._fully_initialized = True
        if self.box_source is not None:
            try:
                result = self.box_source(self)
                self.update_boxes(torch.from_numpy(result.boxes))
            except BaseException:
                self._fully_initialized, self._boxes = False, None
                raise
            self._initial = self._boxes.clone()
            print_log(summary(self.box_source, result), logger='current')

    def _require_init(self) -> None:
        if not self._fully_initialized:
            self.full_init()

    def __len__(self) -> int:
        self._require_init()
        return self._boxes.size(0)

    def __getattr__(self, name: str) -> Any:
        # Forward the rest (pipeline, test_mode, CLASSES ...) to the wrapped
        # dataset; guard against recursion while unpickling.
        if name.startswith('__') or 'dataset' not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__['dataset'], name)

    def __repr__(self) -> str:
        n = self._boxes.size(0) if self._boxes is not None else 'lazy'
        start = f'box_source={self.box_source!r}' if self.box_source is not None \
            else f'init_box={self.init_box}'
        return (f'{type(self).__name__}(dataset={type(self.dataset).__name__}, num_samples={n}, '
                f'active={self.active}, {start})')

    def describe_initial(self) -> str:
        """Where the boxes start, for messages: ``init_box (...)`` or the source."""
        if self.box_source is not None:
            return f'the boxes of {self.box_source!r}'
        return f'init_box {self.init_box}'

    # --------------------------------------------------------------- box store
    @property
    def active(self) -> bool:
        """Whether samples currently get their box (else ``ccrop_box=None``)."""
        return bool(self._active.item()) if self._active is not None else False

    def set_active(self, flag: bool) -> None:
        self._require_init()
        self._active.fill_(bool(flag))

    @property
    def boxes(self) -> torch.Tensor:
        """The ``(N, 4)`` shared store itself; write through :meth:`update_boxes`."""
        self._require_init()
        return self._boxes

    def get_box(self, idx: int) -> Tuple[float, float, float, float]:
        self._require_init()
        return tuple(self._boxes[idx].tolist())

    def update_boxes(self, boxes: torch.Tensor,
                     indices: Optional[Union[torch.Tensor, Sequence[int]]] = None) -> None:
        """Write boxes into the store, in place (visible to running workers).

        Args:
            boxes: ``(N, 4)`` normalised xyxy boxes, or ``(M, 4)`` with
                ``indices``.
            indices: Rows to write; all rows when omitted.

        Raises:
            ValueError: on a wrong shape, or boxes that are not finite,
                outside ``[0, 1]`` or empty (``x1 <= x0`` or ``y1 <= y0``).
        """
        self._require_init()
        boxes = torch.as_tensor(boxes).detach().to('cpu', torch.float32)
        if indices is None:
            if boxes.shape != self._boxes.shape:
                raise ValueError(f'BoxedDataset.update_boxes: expected boxes of shape '
                                 f'{tuple(self._boxes.shape)}, got {tuple(boxes.shape)}')
        else:
            indices = torch.as_tensor(indices, dtype=torch.long).cpu()
            if boxes.dim() != 2 or boxes.size(1) != 4 or indices.shape != boxes.shape[:1]:
                raise ValueError('BoxedDataset.update_boxes: expected (M, 4) boxes and M '
                                 f'indices, got {tuple(boxes.shape)} and {tuple(indices.shape)}')
            if indices.numel() and (indices.min() < 0 or indices.max() >= len(self)):
                raise ValueError('BoxedDataset.update_boxes: indices out of range '
                                 f'[0, {len(self)})')
        bad = invalid_boxes(boxes)
        if bad.any():
            row = int(torch.nonzero(bad)[0])
            raise ValueError(f'BoxedDataset.update_boxes: {int(bad.sum())} invalid boxes, e.g. '
                             f'row {row}: {boxes[row].tolist()} (need finite 0 <= x0 < x1 <= 1, '
                             '0 <= y0 < y1 <= 1)')
        if indices is None:
            self._boxes.copy_(boxes)
        else:
            self._boxes[indices] = boxes

    def reset_boxes(self) -> None:
        """Every box back to its start: the box source's box, else ``init_box``."""
        self._require_init()
        if self._initial is not None:
            self._boxes.copy_(self._initial)
        else:
            self._boxes.copy_(torch.tensor(self.init_box).expand_as(self._boxes))

    def state_dict(self) -> Dict[str, Any]:
        """Boxes and active flag, for checkpoints (plain tensors and bools)."""
        self._require_init()
        return dict(boxes=self._boxes.clone(), active=self.active,
                    init_box=torch.tensor(self.init_box))

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore :meth:`state_dict` in place (running workers see it)."""
        self._require_init()
        if not isinstance(state, dict) or 'boxes' not in state:
            raise ValueError('BoxedDataset.load_state_dict: expected a dict with "boxes", got '
                             f'{type(state).__name__}')
        boxes = torch.as_tensor(state['boxes'])
        if boxes.shape != self._boxes.shape:
            raise ValueError(f'BoxedDataset.load_state_dict: the saved boxes have shape '
                             f'{tuple(boxes.shape)}, this dataset needs '
                             f'{tuple(self._boxes.shape)} (a different dataset?)')
        self.update_boxes(boxes)
        self.set_active(bool(state.get('active', False)))

    # ---------------------------------------------------------------- samples
    def resolve(self, idx: int) -> Tuple[Any, int]:
        """The leaf dataset holding sample ``idx``, and its index there."""
        return resolve_leaf(self.dataset, idx)

    def get_data_info(self, idx: int) -> dict:
        """The wrapped data info of sample ``idx``, with ``sample_idx`` and
        ``ccrop_box`` as the pipeline will see them."""
        info = self.raw_data_info(idx)
        info.update(self._extra_keys(idx))
        return info

    def _extra_keys(self, idx: int) -> dict:
        idx = int(idx) % len(self)
        return dict(sample_idx=idx, ccrop_box=self.get_box(idx) if self.active else None)

    def prepare_data(self, idx: int) -> Any:
        self._require_init()
        leaf, local = self.resolve(idx)
        if not hasattr(leaf, 'prepare_data'):
            raise TypeError(f'BoxedDataset cannot run the pipeline of {type(leaf).__name__}: it '
                            'has no prepare_data (wrap an mmengine BaseDataset)')
        with InjectedInfo(leaf, self._extra_keys(idx)):
            return leaf.prepare_data(local)

    def __getitem__(self, idx: int) -> Any:
        self._require_init()
        leaf, _ = self.resolve(idx)
        if getattr(leaf, 'test_mode', False):
            data = self.prepare_data(idx)
            if data is None:
                raise RuntimeError(f'BoxedDataset: the test-time pipeline of '
                                   f'{type(leaf).__name__} returned None for sample {idx}')
            return data
        max_refetch = getattr(leaf, 'max_refetch', 1000)
        for _ in range(max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            idx = np.random.randint(0, len(self))
        raise RuntimeError(f'BoxedDataset: no valid sample after {max_refetch} refetches from '
                           f'{type(leaf).__name__}; check the images and the pipeline')

    # ------------------------------------------------------- ground truth
    def gt_boxes(self) -> Optional[torch.Tensor]:
        """``(N, 4)`` ground-truth boxes from the data infos' ``gt_bbox``.

        ``None`` when the first sample has no ``gt_bbox``; rows of samples
        without one are NaN.  Read once (it walks every data info), cached.
        """
        self._require_init()
        if not self._gt_checked:
            self._gt_checked, self._gt_boxes = True, read_gt_boxes(self)
        return self._gt_boxes

    def raw_data_info(self, idx: int) -> dict:
        """The wrapped dataset's data info of sample ``idx``, as it is."""
        self._require_init()
        leaf, local = self.resolve(idx)
        return leaf.get_data_info(local)


__all__ = ['BoxedDataset']
