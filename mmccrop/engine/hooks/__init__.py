from .box_refresh_hook import BoxRefreshHook  # noqa: F401
