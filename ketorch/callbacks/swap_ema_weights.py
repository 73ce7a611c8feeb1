"""SwapEMAWeights: evaluate (and optionally checkpoint) with the optimizer's EMA weights."""

from __future__ import annotations

import torch

from .callback import Callback


class SwapEMAWeights(Callback):
    """Puts the optimizer's moving-average (EMA) weights into the model around evaluation.

    With an optimizer built with ``use_ema=True``, the optimizer keeps an exponential
    moving average of every trainable weight ("Polyak averaging"). Before evaluation
    (validation inside ``fit``, or ``evaluate``/``predict`` given this callback) this
    callback exchanges the model's weights with those averages, in place, and exchanges
    them back afterwards, so metrics are computed with the averaged weights while training
    continues from the raw ones.

    With ``swap_on_epoch=True`` the averages are also swapped in at the end of every epoch
    and out again at the start of the next, so callbacks placed after this one (such as
    ``ModelCheckpoint``) see the EMA weights. After the last epoch the averages are left in
    the model, which is what ``fit`` ends with anyway.

    Don't change the weights or the averages from other callbacks while they are swapped.
    Unlike Keras 3.15, whose ``on_predict_end`` leaves the EMA weights in the model, this
    callback restores the raw weights after ``predict``.

    Args:
        swap_on_epoch: Also swap at the end/start of each epoch. Defaults to ``False``.

    Example:
        >>> import numpy as np
        >>> import ketorch as keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> model.compile(keras.optimizers.SGD(0.1, use_ema=True), "mse")
        >>> x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
        >>> history = model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0,
        ...                     callbacks=[keras.callbacks.SwapEMAWeights()])
        >>> sorted(history.history)
        ['loss', 'val_loss']
    """

    def __init__(self, swap_on_epoch: bool = False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        optimizer = self.model.optimizer
        inner = getattr(optimizer, "_inner_optimizers", None)
        candidates = list(inner()) if callable(inner) else [optimizer]
        with_ema = [opt for opt in candidates if getattr(opt, "use_ema", False)]
        if not with_ema:
            raise ValueError(
                "SwapEMAWeights must be used with an optimizer that has `use_ema=True`. "
                f"Received: use_ema={getattr(optimizer, 'use_ema', False)}"
            )
        return with_ema

    @torch.no_grad()
    def _swap(self) -> None:
        for opt in self._ema_optimizers():
            if not getattr(opt, "built", False):
                continue  # no averages exist before the first training step
            params = [p for group in opt.param_groups for p in group["params"]]
            averages = [opt.state[p]["average"] for p in params]
            saved = [p.detach().clone() for p in params]
            torch._foreach_copy_(params, averages)
            torch._foreach_copy_(averages, saved)

    @torch.no_grad()
    def _finalize(self) -> None:
        # fit() copies the averages into the model once training ends; while they are
        # swapped in, the averages slots hold the raw weights, so give them the EMA back.
        for opt in self._ema_optimizers():
            if getattr(opt, "built", False):
                params = [p for group in opt.param_groups for p in group["params"]]
                torch._foreach_copy_([opt.state[p]["average"] for p in params], params)

    def _swap_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def _swap_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_in()
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize()

    def on_test_begin(self, logs=None):
        self._swap_in()

    def on_test_end(self, logs=None):
        self._swap_out()

    def on_predict_begin(self, logs=None):
        self._swap_in()

    def on_predict_end(self, logs=None):
        self._swap_out()
