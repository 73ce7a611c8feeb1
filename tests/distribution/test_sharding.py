"""Per-process shards of arrays and streams (no process group needed)."""

from __future__ import annotations

import pytest
import torch

import ketorch as keras
from ketorch.distribution.sharding import shard_stream
from ketorch.trainers import data_adapters as da


@pytest.mark.parametrize("world", [2, 3])
@pytest.mark.parametrize("shuffle", [False, True])
def test_array_shards_make_up_each_global_batch(world, shuffle):
    x = torch.arange(23.0).reshape(23, 1)
    y = torch.arange(23.0)

    def batches(shard):
        g = torch.Generator().manual_seed(7) if shuffle else None
        return list(
            da.ArrayBatches(
                [x], [y], None, 8, shuffle, torch.device("cpu"), shard=shard, generator=g
            ).epoch()  # fmt: skip
        )

    full = batches(None)
    pieces = [batches((r, world)) for r in range(world)]
    assert all(len(p) == len(full) for p in pieces)
    for k, (bx, by, _) in enumerate(full):
        joined = torch.cat([pieces[r][k][0][0] for r in range(world)])
        torch.testing.assert_close(joined, bx[0])
        torch.testing.assert_close(torch.cat([pieces[r][k][1][0] for r in range(world)]), by[0])


def test_generator_turns_drop_or_keep_the_last_group():
    def gen():
        yield from range(7)

    taken = {r: list(shard_stream(gen(), r, 3, training=True)[0]) for r in range(3)}
    assert taken == {0: [0, 3], 1: [1, 4], 2: [2, 5]}
    kept = {r: list(shard_stream(gen(), r, 3, training=False)[0]) for r in range(3)}
    assert kept == {0: [0, 3, 6], 1: [1, 4], 2: [2, 5]}


def test_dataloader_turns_and_distributed_sampler_left_alone():
    data = torch.utils.data.TensorDataset(torch.arange(10.0))
    loader = torch.utils.data.DataLoader(data, batch_size=2)
    shard, _ = shard_stream(loader, 1, 2, training=True)
    assert len(shard) == 2
    assert [b[0].tolist() for b in shard] == [[2.0, 3.0], [6.0, 7.0]]
    assert [b[0].tolist() for b in shard] == [[2.0, 3.0], [6.0, 7.0]]  # re-iterable
    sampler = torch.utils.data.distributed.DistributedSampler(data, num_replicas=2, rank=1)
    own = torch.utils.data.DataLoader(data, batch_size=2, sampler=sampler)
    assert shard_stream(own, 1, 2, training=True)[0] is own


class _Seq(keras.utils.PyDataset):
    def __init__(self, n):
        super().__init__()
        self.n, self.epochs = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i

    def on_epoch_end(self):
        self.epochs += 1


@pytest.mark.parametrize("shuffle", [False, True])
def test_pydataset_shards_partition_each_epoch(shuffle):
    base = [_Seq(9) for _ in range(2)]
    shards = [shard_stream(base[r], r, 2, training=True, seed=5, shuffle=shuffle) for r in (0, 1)]
    assert all(s[1] is False for s in shards)  # the wrapper shuffles, not the batcher
    wrapped = [s[0] for s in shards]
    for _epoch in range(2):
        got = [[w[i] for i in range(len(w))] for w in wrapped]
        assert len(got[0]) == len(got[1]) == 4
        assert not set(got[0]) & set(got[1])
        for w in wrapped:
            w.on_epoch_end()
    assert base[0].epochs == 2
    if not shuffle:
        assert got == [[0, 2, 4, 6], [1, 3, 5, 7]]


def test_list_devices_and_counts():
    devices = keras.distribution.list_devices()
    assert devices and keras.distribution.get_device_count() == len(devices)
    assert keras.distribution.list_devices("cpu") == ["cpu:0"]
    with pytest.raises(ValueError, match="Received: device_type='tpu'"):
        keras.distribution.list_devices("tpu")


def test_initialize_bad_addresses():
    with pytest.raises(ValueError, match="Received: job_addresses='nohost'"):
        keras.distribution.initialize("nohost")


def test_device_override(monkeypatch):
    from ketorch import backend

    monkeypatch.setenv("KETORCH_DEVICE", "cpu")
    keras.config.set_device(None)
    assert keras.config.get_device() == torch.device("cpu")
    keras.config.set_device("meta")
    assert keras.config.get_device() == torch.device("meta")
    keras.config.set_device(None)
    assert backend.get_device() == torch.device("cpu")
