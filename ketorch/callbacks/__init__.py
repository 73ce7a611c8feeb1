"""Callbacks: objects that hook into ``fit``, ``evaluate`` and ``predict``."""

from .backup_and_restore import BackupAndRestore
from .callback import Callback
from .callback_list import CallbackList
from .history import History
from .model_checkpoint import ModelCheckpoint
from .progbar_logger import ProgbarLogger
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "ModelCheckpoint",
    "Callback",
    "CallbackList",
    "History",
    "ProgbarLogger",
    "TerminateOnNaN",
]
