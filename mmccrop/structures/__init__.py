from .data_sample import SelfSupDataSample

__all__ = ['SelfSupDataSample']
