from .atomic_checkpoint_hook import AtomicCheckpointHook  # noqa: F401
from .box_refresh_hook import BoxRefreshHook  # noqa: F401
from .knn_eval_hook import KNNEvalHook  # noqa: F401
from .precise_bn_hook import PreciseBNHook  # noqa: F401
from .rng_state_hook import RNGStateHook  # noqa: F401
from .strict_resume_hook import StrictResumeHook  # noqa: F401
