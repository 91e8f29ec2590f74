from .accuracy import Accuracy  # noqa: F401
