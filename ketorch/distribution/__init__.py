"""Multi-process training on ``torch.distributed`` (Keras's ``keras.distribution``).

``DataParallel`` replicates the model; ``ModelParallel`` splits the weights a
``LayoutMap`` names over a ``DeviceMesh`` (DTensor shards).

Launch an unchanged training script with ``torchrun --nproc_per_node=N
train.py``: ``fit`` starts the process group (nccl on GPUs, gloo on CPUs),
splits every global batch of ``batch_size`` samples between the processes,
averages the gradients, sums the metrics, and lets only rank 0 print and
write files. See ``docs/distributed.md``.
"""

import os

from .data_parallel import (
    DataParallel,
    distribution,
    get_device_count,
    get_rank,
    get_world_size,
    is_chief,
    list_devices,
    set_distribution,
)
from .model_parallel import DeviceMesh, LayoutMap, ModelParallel, TensorLayout, distribute_tensor
from .runtime import DistributedError, setup


def initialize(job_addresses: str | None = None, num_processes=None, process_id=None) -> None:
    """Start the process group now instead of at the first ``fit``.

    With no arguments the ``torchrun`` variables are used. Otherwise
    ``job_addresses`` (``"host:port"``, the first entry is the coordinator),
    ``num_processes`` and ``process_id`` stand in for ``MASTER_ADDR``/
    ``MASTER_PORT``, ``WORLD_SIZE`` and ``RANK``.

    Raises:
        ValueError: If ``job_addresses`` has no port.
    """

    if job_addresses:
        first = job_addresses.split(",")[0].strip()
        host, _, port = first.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(
                "`job_addresses` must be 'host:port[,host:port...]'. "
                f"Received: job_addresses={job_addresses!r}"
            )
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = host, port
    if num_processes is not None:
        os.environ["WORLD_SIZE"] = str(int(num_processes))
    if process_id is not None:
        os.environ["RANK"] = str(int(process_id))
        os.environ.setdefault("LOCAL_RANK", str(int(process_id)))
    setup(distribution() or DataParallel())


__all__ = [
    "DataParallel",
    "DeviceMesh",
    "DistributedError",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_tensor",
    "distribution",
    "get_device_count",
    "get_rank",
    "get_world_size",
    "initialize",
    "is_chief",
    "list_devices",
    "set_distribution",
]
