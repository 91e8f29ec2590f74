"""Test-only: the process is SIGKILLed half-way through writing a checkpoint.

Imported by the training subprocess through ``custom_imports``.  Patches
mmengine's LocalBackend.put so that writing a file whose name contains
``DIE_IN_PUT_MATCH`` (from the environment) writes half of the bytes, flushes
them, and kills the process.
"""
import os
import signal

from mmengine.fileio.backends import LocalBackend

_put = LocalBackend.put


def _dying_put(self, obj, filepath):
    match = os.environ.get('DIE_IN_PUT_MATCH')
    if match and match in os.path.basename(str(filepath)):
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
            f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return _put(self, obj, filepath)


LocalBackend.put = _dying_put
