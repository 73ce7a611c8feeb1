"""Keras 1/2 training methods kept for old scripts: ``fit_generator``, ``predict_classes``..."""

from __future__ import annotations

import warnings

# Keras 2 loader arguments: the queue depth and thread count of stream prefetching.
# ``use_multiprocessing`` is accepted and ignored (as on Keras's torch backend).
_KERAS2_FIT_KWARGS = ("max_queue_size", "workers")


class Keras2TrainerMixin:
    """Deprecated Keras 2 names, each forwarding to the Keras 3 method."""

    # ------------------------------------------------------ Keras 2 aliases
    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2's class predictions: argmax, or ``p > 0.5`` for one sigmoid unit."""
        warnings.warn(
            "`model.predict_classes()` is deprecated (removed in Keras 2.6+). Use "
            "`np.argmax(model.predict(x), axis=-1)` (softmax) or "
            "`(model.predict(x) > 0.5).astype('int32')` (sigmoid).",
            DeprecationWarning,
            stacklevel=2,
        )
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2's alias of ``predict`` for probability outputs."""
        warnings.warn(
            "`model.predict_proba()` is deprecated (removed in Keras 2.6+); use `model.predict()`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    def fit_generator(
        self,
        generator,
        steps_per_epoch=None,
        epochs=1,
        verbose=1,
        callbacks=None,
        validation_data=None,
        validation_steps=None,
        validation_freq=1,
        class_weight=None,
        max_queue_size=10,
        workers=1,
        use_multiprocessing=False,
        shuffle=True,
        initial_epoch=0,
    ):
        """Deprecated Keras 2 alias of ``fit`` for generators."""
        warnings.warn(
            "`Model.fit_generator` is deprecated and will be removed in a future version. "
            "Please use `Model.fit`, which supports generators.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.fit(
            generator,
            steps_per_epoch=steps_per_epoch,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            validation_steps=validation_steps,
            validation_freq=validation_freq,
            class_weight=class_weight,
            max_queue_size=max_queue_size,
            workers=workers,
            use_multiprocessing=use_multiprocessing,
            shuffle=shuffle,
            initial_epoch=initial_epoch,
        )

    def evaluate_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0,
    ):  # fmt: skip
        """Deprecated Keras 2 alias of ``evaluate`` for generators."""
        warnings.warn(
            "`Model.evaluate_generator` is deprecated and will be removed in a future version. "
            "Please use `Model.evaluate`, which supports generators.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.evaluate(
            generator, steps=steps, callbacks=callbacks, verbose=verbose,
            max_queue_size=max_queue_size, workers=workers,
        )  # fmt: skip

    def predict_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0,
    ):  # fmt: skip
        """Deprecated Keras 2 alias of ``predict`` for generators."""
        warnings.warn(
            "`Model.predict_generator` is deprecated and will be removed in a future version. "
            "Please use `Model.predict`, which supports generators.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.predict(
            generator, steps=steps, callbacks=callbacks, verbose=verbose,
            max_queue_size=max_queue_size, workers=workers,
        )  # fmt: skip
