"""LambdaCallback: build a callback from plain functions."""

from __future__ import annotations

from collections.abc import Callable

from .callback import Callback

_ALIASES = {
    "on_train_batch_begin": "on_batch_begin",
    "on_train_batch_end": "on_batch_end",
}


class LambdaCallback(Callback):
    """A callback whose hooks are the functions passed in.

    ``on_epoch_begin``/``on_epoch_end`` take ``(epoch, logs)``, the batch
    hooks ``(batch, logs)``, ``on_train_begin``/``on_train_end`` ``(logs)``.
    Any other hook (``on_test_end=...``, ``on_predict_batch_end=...``) can be
    given as a keyword argument too.

    Args:
        on_epoch_begin: Called at the start of each epoch.
        on_epoch_end: Called at the end of each epoch.
        on_train_begin: Called at the start of training.
        on_train_end: Called at the end of training.
        on_train_batch_begin: Called before each training batch.
        on_train_batch_end: Called after each training batch.
        **kwargs: Other hooks or attributes to set on the callback.

    Example:
        >>> import ketorch as keras
        >>> print_epoch = keras.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: print(epoch, sorted(logs)))
    """

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs,
    ) -> None:
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)

    def _implements(self, hook):
        # Hooks live on the instance here, so look there before the class.
        if hook in self.__dict__:
            return True
        alias = _ALIASES.get(hook)
        if alias is not None and alias in self.__dict__:
            return True
        return super()._implements(hook)
