"""Test loop that scores a frozen backbone by weighted kNN classification."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from torch.utils.data import DataLoader

from mmccrop.engine.feature_extraction import extract_features, pooled_features
from mmccrop.functional.knn import knn_classify
from mmccrop.registry import LOOPS


@LOOPS.register_module()
class KNNTestLoop(BaseLoop):
    """kNN evaluation for ``tools/test.py``: the labelled bank split votes for each test image.

    The bank's features are extracted first (gathered across ranks, with
    padding duplicates dropped); then each test batch is classified by a
    similarity-weighted vote of its ``k`` nearest bank features and the vote
    shares go to the evaluator as ``pred_score`` (so ``Accuracy`` reports
    top-1 and top-5).  Use with a model that has ``extract_feat``, e.g.
    ``FeatureExtractor`` loading a pretraining checkpoint.

    Config::

        test_cfg = dict(type='KNNTestLoop', bank_dataloader=dict(...), k=200,
                        temperature=0.07)

    Args:
        runner: The runner.
        dataloader: The test (query) dataloader.
        evaluator: The test evaluator (e.g. ``dict(type='Accuracy', topk=(1, 5))``).
        bank_dataloader: Dataloader config of the labelled bank split.
        k: Neighbours per query.
        temperature: Vote temperature.
        chunk_size: Queries per similarity chunk.
        num_classes: Number of classes; default: from the bank labels.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 bank_dataloader: Union[DataLoader, Dict],
                 k: int = 200,
                 temperature: float = 0.07,
                 chunk_size: int = 256,
                 num_classes: Optional[int] = None) -> None:
        if k < 1:
            raise ValueError(f'KNNTestLoop: k must be >= 1, got {k}')
        if temperature <= 0:
            raise ValueError(f'KNNTestLoop: temperature must be > 0, got {temperature}')
        super().__init__(runner, dataloader)
        self.evaluator = runner.build_evaluator(evaluator) if isinstance(
            evaluator, (dict, list)) else evaluator
        self.bank_dataloader = runner.build_dataloader(
            bank_dataloader, seed=runner.seed) if isinstance(bank_dataloader, dict) \
            else bank_dataloader
        self.k, self.temperature, self.chunk_size = k, temperature, chunk_size
        self.num_classes = num_classes

    @torch.no_grad()
    def run(self) -> dict:
        runner = self.runner
        runner.call_hook('before_test')
        runner.call_hook('before_test_epoch')
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.eval()
        runner.logger.info(f'kNN: extracting {len(self.bank_dataloader.dataset)} bank features')
        bank, bank_labels = extract_features(model, self.bank_dataloader)
        num_classes = self.num_classes or int(bank_labels.max().item()) + 1
        for idx, data in enumerate(self.dataloader):
            runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data)
            batch = model.data_preprocessor(data, False)
            view = batch['inputs'][0] if isinstance(batch['inputs'], list) else batch['inputs']
            scores = knn_classify(bank, bank_labels, pooled_features(model, view), num_classes,
                                  self.k, self.temperature, self.chunk_size,
                                  return_scores=True)
            samples = batch['data_samples']
            for sample, score in zip(samples, scores):
                sample.pred_score = score
            self.evaluator.process(data_samples=samples, data_batch=data)
            runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data,
                             outputs=samples)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        runner.call_hook('after_test_epoch', metrics=metrics)
        runner.call_hook('after_test')
        return metrics
