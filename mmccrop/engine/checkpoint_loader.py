"""Local checkpoint loading whose errors name the file.

mmengine's local loader lets ``torch.load``'s errors through as they are:
a truncated file gives "PytorchStreamReader failed reading zip archive:
failed finding central directory" with no path, which is useless when a
run auto-resumes from whatever ``last_checkpoint`` names.  This wraps it so
that the message starts with the path; the exception type stays the same
for ``pickle.UnpicklingError`` (a refused ``weights_only`` load).
"""
import pickle

from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.runner.checkpoint import load_from_local as _mmengine_load_from_local


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename, map_location):
    """mmengine's ``load_from_local``, with the file name in every error."""
    try:
        return _mmengine_load_from_local(filename, map_location)
    except FileNotFoundError:
        raise  # mmengine's message already names the file
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(f'{filename}: {e}') from e
    except Exception as e:  # noqa: BLE001 - re-raised with the file name
        raise RuntimeError(f'Cannot load checkpoint {filename!r} (truncated or corrupt?): '
                           f'{type(e).__name__}: {e}') from e
