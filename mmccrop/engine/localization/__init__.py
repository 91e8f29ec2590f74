"""The localisation pass that :class:`~mmccrop.engine.hooks.BoxRefreshHook` drives."""
from .eval_images import EvalImages, read_image
from .localizer import amp_dtype_of, localize_dataset, preprocess_images

__all__ = ['EvalImages', 'read_image', 'localize_dataset', 'preprocess_images', 'amp_dtype_of']
