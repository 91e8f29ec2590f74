"""Placeholders for backbones whose optional dependency is not installed."""
from typing import Callable

from mmccrop.registry import MODELS


def register_missing(name: str, package: str, install: str, err: ImportError) -> Callable:
    """Register ``name`` as a builder that raises an ImportError saying what to install.

    mmccrop imports without ``package``; only a config that names the
    backbone fails, when it is built, with a message naming the package and
    the install command.
    """

    def missing(*args, **kwargs):
        raise ImportError(f'{name} needs {package}, which is not installed '
                          f'({err}). Install it with: {install}')

    missing.__name__ = missing.__qualname__ = name
    missing.__doc__ = f'Placeholder: {name} needs {package} ({install}).'
    MODELS.register_module(name=name, module=missing)
    return missing
