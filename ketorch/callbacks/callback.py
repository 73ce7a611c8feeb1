"""Callback: the base class of objects that hook into fit / evaluate / predict."""

from __future__ import annotations


class Callback:
    """Override any hook to act during training, evaluation or prediction.

    Inside a hook, ``self.model`` is the model being trained and
    ``self.params`` holds ``{"verbose", "epochs", "steps"}``. ``logs`` dicts use
    Keras's key names (``loss``, ``accuracy``, ``val_loss``, ...).

    Example:
        >>> from ketorch.callbacks import Callback
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, round(logs["loss"], 2))
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    # Training
    def on_train_begin(self, logs=None):
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called once at the end of ``fit``."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (``epoch`` is 0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with training and validation logs."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch with the running metric values."""
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin`` (Keras 2 name)."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end`` (Keras 2 name)."""

    # Evaluation
    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` and of each validation run."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` and of each validation run."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch."""

    # Prediction
    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch (``logs["outputs"]`` holds the batch output)."""

    def _implements(self, hook):
        """Whether this callback overrides ``hook`` (so the loop must call it)."""
        impl = getattr(type(self), hook, None)
        base = getattr(Callback, hook, None)
        if impl is not base:
            return True
        if hook == "on_train_batch_end":
            return type(self).on_batch_end is not Callback.on_batch_end
        if hook == "on_train_batch_begin":
            return type(self).on_batch_begin is not Callback.on_batch_begin
        return False
