"""Callbacks: objects that hook into ``fit``, ``evaluate`` and ``predict``."""

from .callback import Callback
from .callback_list import CallbackList
from .history import History
from .progbar_logger import ProgbarLogger
from .terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "TerminateOnNaN"]
