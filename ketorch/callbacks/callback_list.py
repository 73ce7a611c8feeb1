"""CallbackList: dispatch hooks to several callbacks, skipping no-op hooks."""

from __future__ import annotations

from .callback import Callback
from .history import History
from .progbar_logger import ProgbarLogger

_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


class CallbackList(Callback):
    """A list of callbacks called in order, with History and ProgbarLogger added.

    Args:
        callbacks: The user's callbacks.
        add_history: Add a :class:`History` (after the user's callbacks) if none is present.
        add_progbar: Add a :class:`ProgbarLogger` (last) if none is present.
        model: The model to attach.
        **params: ``verbose``, ``epochs``, ``steps``.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback) and not all(
                hasattr(cb, h) for h in ("set_model", "set_params")
            ):
                raise TypeError(
                    "Each callback must be an instance of `keras.callbacks.Callback`. "
                    f"Received: {cb!r} (of type {type(cb).__name__})"
                )
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)  # after the user's, as Keras (sees their log keys)
        self.progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if add_progbar and self.progbar is None:
            self.progbar = ProgbarLogger()
            self.callbacks.append(self.progbar)
        if model is not None:
            self.set_model(model)
        self.set_params(params)
        self._refresh()

    def _refresh(self):
        self._hooked = {
            hook: [
                cb for cb in self.callbacks if not isinstance(cb, Callback) or cb._implements(hook)
            ]
            for hook in _BATCH_HOOKS
        }
        # Batch logs must be materialised (host sync) only for user callbacks.
        self.needs_batch_logs = {
            hook: any(cb is not self.progbar for cb in cbs) for hook, cbs in self._hooked.items()
        }

    def append(self, callback):
        self.callbacks.append(callback)
        self._refresh()

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model):
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def _call(self, hook, *args):
        if args[-1] is None:  # Keras hands every hook a dict (`list(logs.keys())` must work)
            args = (*args[:-1], {})
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def _call_batch(self, hook, batch, logs):
        if logs is None:
            logs = {}
        for cb in self._hooked[hook]:
            getattr(cb, hook)(batch, logs)

    def has_batch_hook(self, hook):
        return bool(self._hooked[hook])

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)

    def __iter__(self):
        return iter(self.callbacks)
