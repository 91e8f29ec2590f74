from .selfsup_preprocessor import SelfSupDataPreprocessor

__all__ = ['SelfSupDataPreprocessor']
