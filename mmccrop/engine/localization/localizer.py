"""One localisation pass: every image of a box store through the model, to boxes."""
import contextlib
import math
from typing import Any, Tuple, Union

import torch
from mmengine.dist import all_gather, get_dist_info
from mmengine.model import is_model_wrapper
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from mmccrop.functional.localization import heatmap_to_boxes, tokens_to_grid

from .eval_images import EvalImagesWithStatus

__all__ = ['localize_dataset', 'preprocess_images', 'amp_dtype_of', 'feature_maps']


@torch.no_grad()
def localize_dataset(model: torch.nn.Module, dataset: Any, eval_size: Tuple[int, int],
                     threshold: float, align: str = 'centre', background: str = 'none',
                     region: str = 'all', batch_size: int = 64, num_workers: int = 0,
                     amp_dtype: Union[None, bool, torch.dtype] = None,
                     progress: bool = False, return_skipped: bool = False) -> Tuple:
    """Boxes of every image of ``dataset`` with the current ``model``.

    The model's ``extract_feat`` (the online / query backbone; the last
    feature map) runs on every whole image, squashed to ``eval_size`` and
    normalised by the model's data preprocessor like the training views, in
    eval mode, under ``no_grad``; train mode is restored afterwards.  A
    Vision Transformer's patch tokens are its feature map (see
    :func:`feature_maps`).  The heatmaps become boxes with
    :func:`~mmccrop.functional.localization.heatmap_to_boxes`
    (``threshold``, ``align``, ``background``, ``region``).

    Under ``torch.distributed`` every rank must call it; each localises the
    indices ``rank, rank + world, ...`` and all get the full result, gathered
    with the sample indices and written in dataset order (padding dropped).

    Args:
        model: The algorithm (DDP-wrapped or not) with ``extract_feat``
            and a ``data_preprocessor``.
        dataset: A :class:`~mmccrop.datasets.BoxedDataset`.
        amp_dtype: ``None``/``False``: no autocast; ``True``: autocast
            with its default dtype; a dtype: autocast to it.
        progress: Show a progress bar (rank 0).
        return_skipped: Also return the ``(N,)`` bool mask of the images
            skipped as unreadable under the dataset's ``skip_corrupt=True``
            (see :class:`~mmccrop.engine.localization.EvalImagesWithStatus`);
            their rows hold the dataset's current boxes, unchanged.

    Returns:
        ``(boxes, degenerate)``: ``(N, 4)`` float32 CPU boxes in dataset
        order, and the ``(N,)`` bool mask of degenerate heatmaps; with
        ``return_skipped``, ``(boxes, degenerate, skipped)``.
    """
    module = model.module if is_model_wrapper(model) else model
    rank, world = get_dist_info()
    n = len(dataset)
    indices = list(range(rank, n, world))
    per_rank = math.ceil(n / world)
    loader = DataLoader(EvalImagesWithStatus(dataset, indices, eval_size),
                        batch_size=batch_size, shuffle=False, num_workers=num_workers)
    try:
        device = next(module.parameters()).device
    except StopIteration:
        device = torch.device('cpu')
    bar = ProgressBar(len(indices)) if progress and rank == 0 and len(indices) else None
    was_training = module.training
    module.eval()
    rows, masks, seen, read = [], [], [], []
    try:
        for imgs, idx, read_ok in loader:
            with _autocast(device, amp_dtype):
                feats = feature_maps(module, preprocess_images(module, imgs))
            boxes, degenerate = heatmap_to_boxes(
                feats, threshold, eval_size, return_degenerate=True,
                align=align, background=background, region=region)
            rows.append(boxes.cpu())
            masks.append(degenerate.cpu())
            seen.append(idx.long())
            read.append(read_ok)
            if bar is not None:
                bar.update(len(idx))
    finally:
        module.train(was_training)
    if bar is not None:
        bar.file.write('\n')
    # Pad every shard to the same length (index -1) so that tensors can be
    # all-gathered, then scatter by sample index and drop the padding.
    local = torch.zeros(per_rank, 7)
    local[:, 4] = -1
    if seen:
        count = sum(len(s) for s in seen)
        local[:count, :4] = torch.cat(rows)
        local[:count, 4] = torch.cat(seen).float()
        local[:count, 5] = torch.cat(masks).float()
        local[:count, 6] = (~torch.cat(read)).float()
    gathered = torch.cat(all_gather(local.double()))  # double: exact indices
    gathered = gathered[gathered[:, 4] >= 0]
    index = gathered[:, 4].long()
    if index.numel() != n or not torch.equal(index.sort().values, torch.arange(n)):
        raise RuntimeError(f'BoxRefreshHook: gathered {index.numel()} boxes for {n} samples '
                           '(missing or duplicated indices)')
    boxes = torch.empty(n, 4)
    boxes[index] = gathered[:, :4].float()
    degenerate = torch.zeros(n, dtype=torch.bool)
    degenerate[index] = gathered[:, 5] > 0.5
    skipped = torch.zeros(n, dtype=torch.bool)
    skipped[index] = gathered[:, 6] > 0.5
    if skipped.any():  # unreadable, skipped as in training: keep their boxes
        boxes[skipped] = dataset.boxes[skipped]
        degenerate[skipped] = False
    return (boxes, degenerate, skipped) if return_skipped else (boxes, degenerate)


def feature_maps(module: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """The last ``(B, C, h, w)`` feature map of ``module.extract_feat(inputs)``.

    A ViT backbone with mmpretrain's ``out_type`` (e.g.
    :class:`~mmccrop.models.backbones.MoCoV3ViT`) outputs the class token
    for the projector; for this pass it outputs all tokens (``'raw'``), and
    :func:`~mmccrop.functional.localization.tokens_to_grid` drops its
    ``num_extra_tokens`` and reshapes the patch tokens to their grid.
    """
    backbone = getattr(module, 'backbone', None)
    out_type = getattr(backbone, 'out_type', None)
    vit = out_type in ('cls_token', 'avg_featmap', 'raw')
    if vit:
        backbone.out_type = 'raw'
    try:
        feats = module.extract_feat(inputs)
    finally:
        if vit:
            backbone.out_type = out_type
    if isinstance(feats, (list, tuple)):
        feats = feats[-1]
    if feats.dim() == 3:  # (B, L, C) tokens
        feats = tokens_to_grid(feats, num_prefix_tokens=getattr(backbone, 'num_extra_tokens', 1),
                               image_size=inputs.shape[-2:])
    if feats.dim() != 4:
        raise ValueError('BoxRefreshHook: localisation needs a spatial feature map or ViT tokens '
                         f'from extract_feat, got shape {tuple(feats.shape)}')
    return feats


def preprocess_images(module: torch.nn.Module, imgs: torch.Tensor) -> torch.Tensor:
    """Normalise a uint8 batch exactly like training, via the model's preprocessor."""
    preprocessor = getattr(module, 'data_preprocessor', None)
    if preprocessor is None:
        device = next(module.parameters()).device
        return imgs.to(device).float()
    out = preprocessor(dict(inputs=imgs, data_samples=None), False)
    inputs = out['inputs'] if isinstance(out, dict) else out
    if isinstance(inputs, (list, tuple)):  # multi-view preprocessors: one view here
        inputs = inputs[0]
    return inputs


def _autocast(device: torch.device, amp_dtype: Union[None, bool, torch.dtype]):
    if not amp_dtype:
        return contextlib.nullcontext()
    if not isinstance(amp_dtype, torch.dtype):  # autocast's usual default per device
        amp_dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    return torch.autocast(device_type=device.type, dtype=amp_dtype)


def amp_dtype_of(optim_wrapper: Any) -> Union[bool, torch.dtype]:
    """The autocast dtype the run trains with (``False`` without AMP)."""
    wrappers = optim_wrapper.values() if isinstance(optim_wrapper, OptimWrapperDict) \
        else [optim_wrapper]
    for wrapper in wrappers:
        if isinstance(wrapper, AmpOptimWrapper):
            return getattr(wrapper, 'cast_dtype', None) or True
    return False
