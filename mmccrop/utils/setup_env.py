"""Scope and registry set-up."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmccrop module so that its registries are filled.

    Args:
        init_default_scope: Also make ``mmccrop`` the current default scope,
            as OpenMMLab's ``register_all_modules`` do.
    """
    import mmccrop.datasets  # noqa: F401
    import mmccrop.engine  # noqa: F401
    import mmccrop.evaluation  # noqa: F401
    import mmccrop.models  # noqa: F401
    import mmccrop.visualization  # noqa: F401

    if not init_default_scope:
        return
    never_created = (DefaultScope.get_current_instance() is None
                     or not DefaultScope.check_instance_created('mmccrop'))
    if never_created:
        DefaultScope.get_instance('mmccrop', scope_name='mmccrop')
        return
    current = DefaultScope.get_current_instance()
    if current.scope_name != 'mmccrop':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "mmccrop"; '
                      '`register_all_modules` makes a new default scope "mmccrop".',
                      stacklevel=2)
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'mmccrop-{stamp}', scope_name='mmccrop')
