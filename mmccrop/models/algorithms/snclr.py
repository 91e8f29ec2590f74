"""SNCLR (Ge et al. 2023): soft neighbours as weighted positives."""
import logging
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor

from mmccrop.functional.dist import concat_all_gather, get_dist_info
from mmccrop.functional.snclr_loss import snclr_loss_code, snclr_loss_paper
from mmccrop.models.utils.neighbor_bank import SCOPES
from mmccrop.registry import MODELS

from .base import SampleList
from .base_momentum import BaseMomentumAlgorithm

_LOSS_FORMS = {'code': snclr_loss_code, 'paper': snclr_loss_paper}


def _last(out: Union[Tensor, Sequence[Tensor]]) -> Tensor:
    """A neck/predictor may return a tensor or a tuple of tensors."""
    return out[-1] if isinstance(out, (list, tuple)) else out


@MODELS.register_module()
class SNCLR(BaseMomentumAlgorithm):
    """Soft Neighbours Contrastive Learning.

    Per step, for both view orders (1 -> 2 and 2 -> 1):

    1. online: ``y = neck(backbone(x))`` (projection), ``z = predictor(y)``;
       momentum encoder (EMA of backbone + neck): key ``k`` of each view.
    2. the K nearest neighbours (cosine) of every key among the
       :class:`NeighborBank` entries, *before* this step's keys are added;
       optionally skipping the sample's own stale entry (``exclude_self``,
       needs ``sample_idx`` in the data samples).
    3. positiveness ``w`` (B, K) of each sample's neighbours from its online
       projection ``y1`` and the neighbours of ``k2`` (``positiveness``).
    4. loss of ``z1`` against the keys of view 2 and their neighbours gathered
       from all ranks (``loss_form``, see below), plus the mirrored term.
    5. the view-2 keys (and their sample ids) enter the bank: those of all
       ranks (``bank_scope='global'``) or this rank's own (``'local'``).

    ``loss_form='code'`` is the authors' released code: a soft-target
    cross-entropy (target 1 at the own key plus w over its neighbours) scaled
    by ``2T``; use it with ``CosinePositiveness``.  ``loss_form='paper'`` is
    the paper's Eq.: InfoNCE with ``sum_i w_i exp(.)`` (``w_0 = 1``) as the
    numerator; use it with ``AttentionPositiveness``.  Both directions are
    summed, as in the authors' code.  Masks are built per sample from its
    global index (not from the rank and a fixed batch size); the gathers need
    the same batch size on every rank (``drop_last=True``).

    Bank scope (``bank_scope``; the same in a single process):

    - ``'local'``: each rank enqueues only its own momentum keys into its own
      bank, as the authors' code does.  With ``G`` ranks of batch ``B`` a
      bank of ``S`` entries reaches back ``S / B`` steps (their ViT-S run:
      128,000 / 128 = 1000 steps), and since the ranks' banks differ, each
      rank's ``(B, K, D)`` neighbour vectors are gathered for the loss.
      Configs that reproduce the authors use it.
    - ``'global'`` (default): one bank of the gathered keys of all ranks,
      identical everywhere, so ranks exchange neighbour indices only.  It
      reaches back ``S / (G * B)`` steps (31 in the ViT-S set-up): fresher
      keys of a momentum encoder that has moved less, and the same
      candidates for every sample.  It stays the default because it is what
      this class did before ``bank_scope`` existed: configs and checkpoints
      written then keep training exactly as they did.

    The momentum follows a per-iteration cosine schedule from ``momentum`` to
    1 (:class:`BaseMomentumAlgorithm`).  The bank is a persistent buffer of
    the model, so checkpoints hold it and resuming continues exactly; with
    ``'local'`` on several ranks the checkpoint holds every rank's bank (see
    :class:`NeighborBank`).

    Args:
        backbone: Backbone config.
        neck: Projector config (e.g. ``NonLinearNeck``), output ``feat_dim``.
        predictor: Predictor MLP config (input and output ``feat_dim``).
        bank_size: Number of entries in the neighbour bank.
        topk: K, the number of soft neighbours (0: MoCo v3-like InfoNCE).
        temperature: Softmax temperature T.
        momentum: Start value of the EMA momentum (cosine schedule to 1).
        positiveness: Positiveness module config, ``CosinePositiveness``
            (code form) or ``AttentionPositiveness`` (paper form).
        loss_form: ``'code'`` or ``'paper'``.
        feat_dim: Projection size (the neck's ``out_channels``).
        exclude_self: Never use a sample's own older bank entry as its
            neighbour (matters when the bank holds a whole epoch).
        bank_chunk_size: Rows per chunk of the neighbour search (None: one).
        bank_scope: ``'global'`` or ``'local'`` (see above).
        data_preprocessor: Config or module.
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 predictor: dict,
                 bank_size: int = 65536,
                 topk: int = 5,
                 temperature: float = 0.2,
                 momentum: float = 0.99,
                 positiveness: Optional[dict] = None,
                 loss_form: str = 'code',
                 feat_dim: int = 256,
                 exclude_self: bool = True,
                 bank_chunk_size: Optional[int] = None,
                 bank_scope: str = 'global',
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if loss_form not in _LOSS_FORMS:
            raise ValueError(f'SNCLR: loss_form must be one of {sorted(_LOSS_FORMS)}, '
                             f'got {loss_form!r}')
        if not isinstance(topk, int) or topk < 0:
            raise ValueError(f'SNCLR: topk must be an int >= 0, got {topk!r}')
        if not isinstance(bank_size, int) or bank_size < max(topk, 1):
            raise ValueError(f'SNCLR: bank_size must be an int >= max(topk, 1), '
                             f'got {bank_size!r} (topk={topk})')
        if not temperature > 0:
            raise ValueError(f'SNCLR: temperature must be > 0, got {temperature!r}')
        if bank_scope not in SCOPES:
            raise ValueError(f'SNCLR: bank_scope must be one of {SCOPES}, got {bank_scope!r}')
        if neck is None or predictor is None:
            raise ValueError('SNCLR: neck (projector) and predictor configs are required')
        super().__init__(backbone=backbone, neck=neck, head=None, base_momentum=momentum,
                         end_momentum=1.0, momentum_schedule='cosine',
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.topk, self.temperature, self.loss_form = topk, temperature, loss_form
        self.predictor = MODELS.build(predictor)
        self.positiveness = MODELS.build(
            dict(type='CosinePositiveness') if positiveness is None else positiveness)
        k_pos = getattr(self.positiveness, 'num_neighbors', None)
        if k_pos is not None and k_pos != topk:
            raise ValueError(f'SNCLR: positiveness.num_neighbors={k_pos} differs from '
                             f'topk={topk}')
        self.bank = MODELS.build(dict(type='NeighborBank', size=bank_size, dim=feat_dim,
                                      chunk_size=bank_chunk_size, exclude_self=exclude_self,
                                      scope=bank_scope))
        self._warned_no_ids = False

    @property
    def bank_scope(self) -> str:
        """``'global'`` or ``'local'``: the scope of :attr:`bank`."""
        return self.bank.scope

    def _sample_ids(self, data_samples: SampleList, batch: int,
                    device: torch.device) -> Tensor:
        """``sample_idx`` of the batch, ``-1`` where unknown."""
        ids = [getattr(s, 'sample_idx', None) for s in (data_samples or [])]
        if len(ids) != batch or any(i is None for i in ids):
            if self.bank.exclude_self and not self._warned_no_ids:
                print_log('SNCLR: the data samples carry no `sample_idx`, so a sample\'s own '
                          'stale bank entry cannot be excluded from its neighbours',
                          logger='current', level=logging.WARNING)
                self._warned_no_ids = True
            return torch.full((batch,), -1, dtype=torch.long, device=device)
        return torch.as_tensor([int(i) for i in ids], dtype=torch.long, device=device)

    def _neighbors(self, keys: Tensor, ids: Tensor):
        """Local top-K neighbours and the keys/neighbours of all ranks.

        A global bank is the same on every rank, so the ranks exchange the
        neighbour indices (``(B, K)`` ints) and read the rows from their own
        copy; local banks differ, so the ``(B, K, D)`` vectors are gathered.
        """
        sim, idx, nbrs = self.bank.search(keys, self.topk, ids)
        all_keys = concat_all_gather(keys)
        if self.topk == 0:  # nothing to gather
            all_nbrs = keys.new_zeros(all_keys.size(0), 0, keys.size(1))
        elif self.bank_scope == 'local':
            all_nbrs = concat_all_gather(nbrs)
        else:
            all_nbrs = self.bank.rows(concat_all_gather(idx), keys.dtype)
        return sim, nbrs, all_keys, all_nbrs

    def loss(self, inputs: List[Tensor], data_samples: SampleList = None) -> Dict[str, Tensor]:
        """Symmetric SNCLR loss of views 0 and 1."""
        self._check_views(inputs, 2, 'SNCLR')
        x1, x2 = inputs[0], inputs[1]
        batch = x1.size(0)
        ids = self._sample_ids(data_samples, batch, x1.device)

        y1 = _last(self.neck(self.backbone(x1)))
        y2 = _last(self.neck(self.backbone(x2)))
        z1 = F.normalize(_last(self.predictor(y1)), dim=1)
        z2 = F.normalize(_last(self.predictor(y2)), dim=1)

        with torch.no_grad():
            self.momentum_update()
            k1 = F.normalize(_last(self.momentum_encoder(x1)), dim=1)
            k2 = F.normalize(_last(self.momentum_encoder(x2)), dim=1)
            # Neighbours from the bank as it was before this step.
            sim1, n1, all_k1, all_n1 = self._neighbors(k1, ids)
            sim2, n2, all_k2, all_n2 = self._neighbors(k2, ids)

        rank, _ = get_dist_info()
        # Rows of this rank's samples in the gathered keys (equal batches per rank).
        pos = rank * batch + torch.arange(batch, device=x1.device)
        w1 = self.positiveness(y1, n2)  # neighbours of the positive key of z1
        w2 = self.positiveness(y2, n1)
        loss_fn = _LOSS_FORMS[self.loss_form]
        loss = (loss_fn(z1, all_k2, all_n2, w1, pos, self.temperature)
                + loss_fn(z2, all_k1, all_n1, w2, pos, self.temperature))

        if self.bank_scope == 'local':
            self.bank.enqueue(k2, ids)
        else:
            self.bank.enqueue(all_k2, concat_all_gather(ids), gather=False)

        out = dict(loss=loss, momentum=torch.tensor(self.momentum, device=x1.device))
        if self.topk > 0:
            out['nn_cos'] = torch.cat([sim1[:, 0], sim2[:, 0]]).mean()
            out['pos_w'] = torch.cat([w1, w2]).detach().sum(1).mean()
        return out
