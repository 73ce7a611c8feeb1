"""torch ``DataLoader``s (batches) and map-style ``Dataset``s (samples, batched here)."""

from __future__ import annotations

import torch

from .generator_data_adapter import GeneratorDataAdapter


def is_torch_dataset(data):
    """A map-style torch ``Dataset`` of samples (not a ``PyDataset`` of batches)."""
    return (
        isinstance(data, torch.utils.data.Dataset)
        and not isinstance(data, torch.utils.data.IterableDataset)
        and not hasattr(data, "on_epoch_end")
    )


def wrap_torch_dataset(data, batch_size, shuffle):
    """A map-style ``torch.utils.data.Dataset`` of samples becomes a DataLoader of batches."""
    if is_torch_dataset(data):
        return torch.utils.data.DataLoader(
            data, batch_size=int(batch_size or 32), shuffle=bool(shuffle) and shuffle != "batch"
        )
    return data


class TorchDataLoaderAdapter(GeneratorDataAdapter):
    """A DataLoader is re-iterable: every epoch is a fresh pass (its own shuffling)."""
