"""Turn what users pass to fit/evaluate/predict into batches of device tensors.

One adapter per input kind (arrays, generators, ``PyDataset``/``Sequence``, torch
DataLoaders and Datasets); :func:`get_data_adapter` is the only place that knows
the kinds and which arguments each accepts.
"""

from __future__ import annotations

import collections.abc as abc

import torch

from ... import backend
from ._convert import (
    LazyArray,
    _is_pandas,
    _to_tensor,
    check_cardinality,
    check_input_shapes,
    class_weight_to_sample_weight,
    convert_x,
    convert_y,
    flatten_x,
    flatten_y,
    to_device,
    unpack_batch,
)
from .array_data_adapter import ArrayBatches, ArrayDataAdapter, model_arrays
from .base import DataAdapter
from .generator_data_adapter import GeneratorDataAdapter, StreamBatches
from .prefetch import OrderedPrefetcher, Prefetcher
from .py_dataset_adapter import PyDatasetAdapter, is_py_dataset
from .tf_dataset_adapter import TFDatasetAdapter, is_tf_dataset
from .torch_data_adapter import TorchDataLoaderAdapter, is_torch_dataset, wrap_torch_dataset

__all__ = [
    "ArrayBatches",
    "ArrayDataAdapter",
    "DataAdapter",
    "GeneratorDataAdapter",
    "LazyArray",
    "OrderedPrefetcher",
    "Prefetcher",
    "PyDatasetAdapter",
    "StreamBatches",
    "TFDatasetAdapter",
    "TorchDataLoaderAdapter",
    "check_cardinality",
    "check_input_shapes",
    "class_weight_to_sample_weight",
    "convert_x",
    "convert_y",
    "flatten_x",
    "flatten_y",
    "get_data_adapter",
    "is_py_dataset",
    "is_stream",
    "is_tf_dataset",
    "is_torch_dataset",
    "model_arrays",
    "to_device",
    "unpack_batch",
    "unpack_validation_data",
    "wrap_torch_dataset",
    "_is_pandas",
    "_to_tensor",
]


def _stream_class(x):
    """The adapter class for a stream input, or ``None`` for arrays."""
    if isinstance(x, torch.utils.data.DataLoader):
        return TorchDataLoaderAdapter
    if is_tf_dataset(x):  # before PyDataset: ketorch's indexable Dataset is both
        return TFDatasetAdapter
    if is_py_dataset(x):
        return PyDatasetAdapter
    if isinstance(x, abc.Iterator):
        return GeneratorDataAdapter
    return None


def is_stream(x):
    """Whether ``x`` is a generator/iterator/dataset rather than arrays."""
    return _stream_class(wrap_torch_dataset(x, None, False)) is not None


def unpack_validation_data(validation_data):
    """``(x, y, sample_weight)`` from ``validation_data`` (a stream stands for all three)."""
    if is_stream(validation_data):
        return validation_data, None, None
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        sw = validation_data[2] if len(validation_data) == 3 else None
        return validation_data[0], validation_data[1], sw
    raise ValueError(
        "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight), "
        f"a generator or a dataset. Received: validation_data of type {type(validation_data).__name__}"
    )


def _check_stream_args(y, sample_weight):
    if y is not None:
        raise ValueError(
            "When `x` is a generator or dataset it must yield the targets too, so `y` "
            "must be None. Received: y of type " + type(y).__name__
        )
    if sample_weight is not None:
        raise ValueError(
            "When `x` is a generator or dataset it must yield the sample weights as "
            "`(x, y, sample_weight)`, so `sample_weight` must be None. Received: "
            "sample_weight of type " + type(sample_weight).__name__
        )


def _array_adapter(model, x, y, sample_weight, class_weight, what, targets_required, **kw):
    if y is None and targets_required:
        raise ValueError(
            f"{what}() needs targets: pass `y` with `x` (or a generator/dataset yielding (x, y))."
        )
    x_list, y_list, sw = model_arrays(model, x, y, sample_weight)
    if class_weight is not None and y_list is not None:
        if len(y_list) > 1:
            raise ValueError("`class_weight` is only supported for models with one output.")
        sw = class_weight_to_sample_weight(y_list[0], class_weight)
    return ArrayDataAdapter(x_list, y_list, sw, **kw)


def get_data_adapter(
    model, x, y=None, sample_weight=None, *, batch_size=None, shuffle=False,
    class_weight=None, max_queue_size=10, workers=1, shard=None, seed=None, training=False,
    what="fit", targets_required=False,
):  # fmt: skip
    """The adapter for ``x`` (and ``y``, ``sample_weight``).

    Args:
        model: The model (its input/output names and dtypes drive the conversion).
        shard: ``(rank, world)`` to keep this process's share (data parallel).
        seed: A seed shared by all processes for the shuffling order.
        training: Whether the batches train (a sharded stream then drops an
            incomplete final group so every process runs the same steps).
        targets_required: Arrays without ``y`` raise (a loss is compiled).

    Raises:
        ValueError: For arguments the input kind does not accept.
    """
    if class_weight is not None and sample_weight is not None:
        raise ValueError(
            "You cannot pass both `class_weight` and `sample_weight`; fold the class weights "
            "into the sample weights."
        )
    device = backend.get_device()
    x = wrap_torch_dataset(x, batch_size, shuffle)
    cls = _stream_class(x)
    if cls is None:
        adapter = _array_adapter(
            model, x, y, sample_weight, class_weight, what, targets_required,
            batch_size=batch_size or 32, shuffle=shuffle, device=device,
        )  # fmt: skip
    else:
        _check_stream_args(y, sample_weight)
        adapter = cls(
            x, model, device, max_queue_size=max_queue_size, workers=workers,
            shuffle=shuffle, class_weight=class_weight,
        )  # fmt: skip
    if seed is not None:
        adapter.seed(seed)
    if shard is not None:
        adapter.shard(*shard, training, seed or 0)
    return adapter
