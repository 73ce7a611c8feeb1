"""TensorBoard: write training curves, weight histograms and the model to event files."""

from __future__ import annotations

import json
import os
import time
import warnings
from typing import Any

import numpy as np
import torch

from ..backend import get_device
from .callback import Callback
from .monitor_callback import get_learning_rate

_TRAIN_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end")


def _summary_writer(log_dir: str) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as e:  # torch raises this when the tensorboard package is missing
        raise ImportError(
            "The TensorBoard callback needs the `tensorboard` package. Install it with "
            "`pip install tensorboard`."
        ) from e
    return SummaryWriter(log_dir=log_dir)


class TensorBoard(Callback):
    """Logs what ``fit`` does to TensorBoard event files under ``log_dir``.

    Training values go to ``log_dir/train`` and validation values to
    ``log_dir/validation``, with Keras's tag names: ``epoch_loss``,
    ``epoch_learning_rate``, ``batch_loss`` (per batch), ``<layer>/<weight>/histogram``
    and ``evaluation_loss_vs_iterations``. View them with
    ``tensorboard --logdir log_dir``.

    Args:
        log_dir: Directory of the event files.
        histogram_freq: Every this many epochs, write a histogram of every
            weight (0 turns histograms off).
        write_graph: Write the model: its Keras config (shown by TensorBoard's
            graph dashboard) and, when torch can trace the model, its op graph.
        write_images: With histograms, also write 1-D and 2-D weights as images.
        write_steps_per_second: Also log training steps per second.
        update_freq: ``"epoch"`` (default), ``"batch"``, or an integer: write
            the batch logs every that many batches. Per-batch logging reads the
            metrics back from the device every batch, which slows training.
        profile_batch: Profiling is not supported; must be 0.
        embeddings_freq: Accepted for compatibility; embeddings are not written.
        embeddings_metadata: Accepted for compatibility.

    Example:
        >>> import ketorch as keras
        >>> tensorboard = keras.callbacks.TensorBoard(log_dir="./logs", histogram_freq=1)
    """

    _chief_only = True  # under DataParallel only rank 0 runs it (it writes files)

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        super().__init__()
        if profile_batch:
            raise ValueError(
                "Profiling is not available in ketorch's TensorBoard callback; use "
                f"`torch.profiler` directly. Received: profile_batch={profile_batch} (must be 0)"
            )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(
                "`update_freq` must be 'epoch', 'batch' or a positive integer. "
                f"Received: update_freq={update_freq!r}"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_step = 0
        self._graph_written = False

    def _implements(self, hook):
        # Skip the per-batch hooks (and their per-batch host sync) unless batch logging is on.
        if hook in _TRAIN_BATCH_HOOKS:
            return self.update_freq != "epoch" or self.write_steps_per_second
        if hook in ("on_test_batch_begin", "on_test_batch_end"):
            return False
        return super()._implements(hook)

    # ------------------------------------------------------------------ writers
    def _writer(self, kind: str) -> Any:
        if kind not in self._writers:
            sub = "train" if kind == "train" else "validation"
            self._writers[kind] = _summary_writer(os.path.join(self.log_dir, sub))
        return self._writers[kind]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        if self.write_graph and not self._graph_written:
            self._write_model()
            self._graph_written = True

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_time = time.time()
            self._epoch_start_step = self._step_count()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        writer = self._writer("train")
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-12)
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        if self.update_freq != "epoch" and step % self.update_freq == 0 and logs:
            for name, value in logs.items():
                writer.add_scalar(f"batch_{name}", float(value), step)

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if not logs or optimizer is None or not hasattr(optimizer, "iterations"):
            return
        step = int(optimizer.iterations)
        writer = self._writer("val")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), step)
        writer.flush()

    # ------------------------------------------------------------------ writing
    def _step_count(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        count = getattr(optimizer, "_step_count", None)
        if isinstance(count, int):
            return count
        iterations = getattr(optimizer, "iterations", None)
        return int(iterations) if iterations is not None else 0

    def _log_epoch_metrics(self, epoch: int, logs: dict) -> None:
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "learning_rate" not in train_logs:
            try:
                train_logs["learning_rate"] = get_learning_rate(optimizer)
            except (ValueError, KeyError, IndexError):
                pass
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-12)
            train_logs["steps_per_second"] = (self._step_count() - self._epoch_start_step) / elapsed
        for kind, values in (("train", train_logs), ("val", val_logs)):
            if not values:
                continue
            writer = self._writer(kind)
            for name, value in values.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)
            writer.flush()

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = _weight_tag(layer, weight)
                values = weight.detach().float().cpu().numpy()
                writer.add_histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")
        writer.flush()

    def _write_model(self) -> None:
        writer = self._writer("train")
        _write_keras_model_config(writer, self.model)
        example = _example_input(self.model)
        if example is None:
            return
        was_training = self.model.training
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                writer.add_graph(self.model, example)
        except Exception as e:  # tracing is best effort: any model-specific failure
            warnings.warn(f"TensorBoard could not trace the model graph: {e}", stacklevel=2)
        finally:
            self.model.train(was_training)
        writer.flush()


def _weight_tag(layer: Any, weight: Any) -> str:
    path = getattr(weight, "path", None)
    if isinstance(path, str):
        return path.replace(":", "_")
    owner = getattr(weight, "_keras_layer_name", None) or layer.name
    return f"{owner}/{getattr(weight, '_keras_name', 'weight')}"


def _weight_image(values: np.ndarray) -> np.ndarray | None:
    """A weight as a batch of grey images (NHWC), as Keras draws them, or None."""
    w = np.squeeze(values)
    if w.ndim == 1:
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:
        w = np.transpose(w, (2, 0, 1))[..., None]
    else:
        return None
    low, high = float(w.min()), float(w.max())
    return (w - low) / (high - low) if high > low else np.zeros_like(w)


def _example_input(model: Any) -> Any:
    """Zeros shaped like the model's inputs (batch of 1), or None when unknown."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None

    device = get_device()
    tensors = []
    for t in inputs:
        shape = getattr(t, "shape", None)
        if shape is None or any(d is None for d in shape[1:]):
            return None
        dtype = torch.int64 if str(getattr(t, "dtype", "float32")).startswith("int") else None
        tensors.append(torch.zeros((1, *shape[1:]), dtype=dtype or torch.float32, device=device))
    return tensors[0] if len(tensors) == 1 else tensors


def _write_keras_model_config(writer: Any, model: Any) -> None:
    """Writes the model's config as the summary TensorBoard's Keras graph view reads."""
    try:
        config = json.dumps(
            {"class_name": type(model).__name__, "config": model.get_config()}, default=str
        )
        from tensorboard.compat.proto.summary_pb2 import (  # loaded on first use
            Summary,
            SummaryMetadata,
        )
        from tensorboard.compat.proto.tensor_pb2 import TensorProto  # loaded on first use
        from tensorboard.compat.proto.tensor_shape_pb2 import (
            TensorShapeProto,  # loaded on first use
        )
        from tensorboard.compat.proto.types_pb2 import DT_STRING  # loaded on first use
    except Exception as e:  # an unserialisable model or an old tensorboard: skip it
        warnings.warn(f"TensorBoard could not write the model config: {e}", stacklevel=3)
        return
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
    )
    tensor = TensorProto(
        dtype=DT_STRING, string_val=[config.encode()], tensor_shape=TensorShapeProto()
    )
    summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
    writer._get_file_writer().add_summary(summary, global_step=0)
