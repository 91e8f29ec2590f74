from .knn_test_loop import KNNTestLoop

__all__ = ['KNNTestLoop']
