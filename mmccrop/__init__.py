"""mmccrop: ContrastiveCrop and SNCLR self-supervised pretraining for OpenMMLab."""
import mmcv
import mmengine
from mmengine.config import utils as _config_utils
from mmengine.utils import digit_version

from .utils.safe_load import allow_mmengine_checkpoint_globals
from .version import __version__, version_info

# Tested ranges; mmdet 3.3 / mmseg 1.2 require mmcv < 2.2.
MMCV_MIN, MMCV_MAX = '2.0.0rc4', '2.2.0'
MMENGINE_MIN, MMENGINE_MAX = '0.10.0', '1.0.0'


def _check(name: str, installed: str, low: str, high: str) -> None:
    if not digit_version(low) <= digit_version(installed) < digit_version(high):
        raise ImportError(
            f'{name}=={installed} is installed, but mmccrop {__version__} needs '
            f'{name}>={low},<{high}. Fix it with `make install` (builds mmcv with its ops '
            f"and caches the wheel), or `pip install '{name}>={low},<{high}'`; "
            'see docs/installation.md.')


_check('mmcv', mmcv.__version__, MMCV_MIN, MMCV_MAX)
_check('mmengine', mmengine.__version__, MMENGINE_MIN, MMENGINE_MAX)

# mmengine 0.10.x calls torch.load() without weights_only; on torch >= 2.6
# resuming then needs mmengine's own classes allow-listed (and nothing else).
allow_mmengine_checkpoint_globals()

# `_base_ = 'mmccrop::selfsup/...'` in a user's config: mmengine resolves `pkg::` only for
# the packages in this table (and then reads <package>/.mim/configs), so join it.  It takes
# effect once mmccrop is imported, which tools/train.py and tools/test.py do first.
_config_utils.MODULE2PACKAGE.setdefault('mmccrop', 'mmccrop')

__all__ = ['__version__', 'version_info']
