"""Pooled backbone features of a whole dataloader, gathered across ranks."""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, is_main_process
from mmengine.logging import print_log
from mmengine.utils import ProgressBar


def pooled_features(model, inputs) -> torch.Tensor:
    """L2-normalised, globally average-pooled last map of ``model.extract_feat``."""
    fmap = model.extract_feat(inputs)[-1]
    feat = fmap.mean(dim=(2, 3)) if fmap.dim() == 4 else fmap
    return F.normalize(feat.float(), dim=1)


@torch.no_grad()
def extract_features(model, loader, progress: bool = True
                     ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Features and labels of every sample of ``loader``, in sample-index order.

    Each rank extracts its shard; the shards are all-gathered with their
    ``sample_idx``, so a sample repeated by the sampler's padding counts once
    and every rank returns the same tensors.  The caller sets eval mode.

    Returns:
        ``(feats (N, D), labels (N,))``.
    """
    feats, labels, indices = [], [], []
    bar = ProgressBar(len(loader)) if progress and is_main_process() else None
    for data in loader:
        data = model.data_preprocessor(data, False)
        view = data['inputs'][0] if isinstance(data['inputs'], list) else data['inputs']
        feat = pooled_features(model, view)
        samples = data['data_samples']
        feats.append(feat)
        labels.append(torch.cat([s.gt_label.label for s in samples]).to(feat.device))
        indices.append(torch.tensor([int(s.sample_idx) for s in samples], device=feat.device))
        if bar is not None:
            bar.update()
    if bar is not None:
        print_log('', logger='current')
    feats = torch.cat(all_gather(torch.cat(feats)))
    labels = torch.cat(all_gather(torch.cat(labels)))
    indices = torch.cat(all_gather(torch.cat(indices)))
    order = torch.argsort(indices, stable=True)
    indices, feats, labels = indices[order], feats[order], labels[order]
    keep = torch.ones_like(indices, dtype=torch.bool)
    keep[1:] = indices[1:] != indices[:-1]
    return feats[keep], labels[keep]
