"""Reaching the samples of a wrapped dataset: the leaf dataset that holds a
sample, and keys added to its data info for the duration of one sample."""
from typing import Any, Tuple

from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset


def resolve_leaf(dataset: Any, idx: int) -> Tuple[Any, int]:
    """The leaf dataset holding sample ``idx`` of ``dataset``, and its index there.

    mmengine's ``ConcatDataset``, ``RepeatDataset`` and
    ``ClassBalancedDataset`` are followed down to the dataset that reads the
    sample; a negative ``idx`` counts from the end.
    """
    local = int(idx)
    if local < 0:
        local += len(dataset)
    while True:
        if isinstance(dataset, ConcatDataset):
            which, local = dataset._get_ori_dataset_idx(local)
            dataset = dataset.datasets[which]
        elif isinstance(dataset, (RepeatDataset, ClassBalancedDataset)):
            local = dataset._get_ori_dataset_idx(local)
            dataset = dataset.dataset
        else:
            return dataset, local


class InjectedInfo:
    """Temporarily make ``dataset.get_data_info`` add some keys.

    Going through the wrapped dataset's own ``prepare_data`` keeps whatever
    it does around the pipeline (e.g. skipping unreadable images), while the
    keys reach the results *before* the first transform.  DataLoader workers
    run one sample at a time, so the per-instance patch is not shared.

    Args:
        dataset: An mmengine dataset (anything with ``get_data_info``).
        extra: The keys and values to add to every data info.
    """

    def __init__(self, dataset: Any, extra: dict) -> None:
        self.dataset, self.extra = dataset, extra

    def __enter__(self) -> None:
        self.saved = vars(self.dataset).get('get_data_info')  # an instance-level override
        original = self.dataset.get_data_info
        extra = self.extra

        def get_data_info(idx: int) -> dict:
            info = original(idx)
            info.update(extra)
            return info

        self.dataset.get_data_info = get_data_info

    def __exit__(self, *exc: Any) -> None:
        if self.saved is None:
            del self.dataset.get_data_info  # back to the class's method
        else:
            self.dataset.get_data_info = self.saved
