"""tf.data-style chaining on the datasets ketorch returns (issue 16).

TensorFlow is not installed, so the expected values are tf.data's documented
semantics written out by hand (elements, order, cardinality: -1 infinite,
-2 unknown). Training on a chained dataset is compared, by final weights, with
the same batches given as arrays.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image

import ketorch
from ketorch.utils._dataset_ops import (
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
)
from ketorch.utils.image_dataset_utils import image_dataset_from_directory
from ketorch.utils.text_dataset_utils import text_dataset_from_directory
from ketorch.utils.timeseries_dataset_utils import timeseries_dataset_from_array


def _values(ds):
    return [np.asarray(e).tolist() for e in ds]


def _image_dir(root, per_class=5, size=(10, 8)):
    rng = np.random.default_rng(0)
    for c, name in enumerate(("cats", "dogs")):
        os.makedirs(root / name)
        for i in range(per_class):
            level = 40 + 150 * c
            pixels = np.clip(rng.normal(level, 25, (*size, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return str(root)


# ------------------------------------------------------------- each method
def test_map_unpacks_tuples_and_passes_dicts_whole():
    pairs = Dataset.from_tensor_slices((np.arange(4), np.arange(4) * 10))
    assert _values(pairs.map(lambda a, b: a + b)) == [0, 11, 22, 33]
    dicts = Dataset.from_tensor_slices({"a": np.arange(3), "b": np.ones(3)})
    assert _values(dicts.map(lambda d: d["a"] + d["b"])) == [1.0, 2.0, 3.0]
    assert pairs.map(lambda a, b: a).cardinality() == 4


def test_batch_drop_remainder_and_cardinality():
    ds = Dataset.from_tensor_slices(np.arange(10))
    assert _values(ds.batch(4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert ds.batch(4).cardinality() == 3 and len(ds.batch(5)) == 2
    assert _values(ds.batch(4, drop_remainder=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert ds.batch(4, drop_remainder=True).cardinality() == 2
    pairs = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 2)).batch(2)
    x, y = next(iter(pairs))
    assert x.tolist() == [0, 1] and y.tolist() == [0, 2]
    texts = next(iter(Dataset.from_tensor_slices(["a", "bb", "c"]).batch(2)))
    assert texts.dtype == object and texts.tolist() == ["a", "bb"]
    with pytest.raises(ValueError, match="batch_size"):
        ds.batch(0)


def test_unbatch_inverts_batch_with_unknown_cardinality():
    ds = Dataset.from_tensor_slices((np.arange(7), np.arange(7) * 3)).batch(3)
    rows = [(int(a), int(b)) for a, b in ds.unbatch()]
    assert rows == [(i, 3 * i) for i in range(7)]
    assert ds.unbatch().cardinality() == UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="unknown"):
        len(ds.unbatch())


def test_shuffle_buffer_semantics():
    ds = Dataset.from_tensor_slices(np.arange(20))
    full = ds.shuffle(20, seed=3)
    first, second = _values(full), _values(full)
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert first != list(range(20)) and first != second  # reshuffled on each pass
    assert _values(ds.shuffle(20, seed=3)) == first  # the seed makes it repeatable
    fixed = ds.shuffle(20, seed=3, reshuffle_each_iteration=False)
    assert _values(fixed) == _values(fixed)
    assert _values(ds.shuffle(1)) == list(range(20))  # a buffer of one keeps the order
    for _ in range(5):  # with a buffer of B, position k holds an element < k + B
        order = _values(ds.shuffle(3))
        assert sorted(order) == list(range(20))
        assert all(v < k + 3 for k, v in enumerate(order))
    assert full.cardinality() == 20
    with pytest.raises(ValueError, match="buffer_size"):
        ds.shuffle(0)


def test_cache_replays_the_first_pass():
    calls = []
    ds = Dataset.from_tensor_slices(np.arange(5)).map(lambda x: calls.append(1) or x * 2)
    cached = ds.cache()
    assert calls == []  # lazy
    assert _values(cached) == [0, 2, 4, 6, 8] and len(calls) == 5
    assert _values(cached) == [0, 2, 4, 6, 8] and len(calls) == 5  # no recomputation
    assert _values(ds) == [0, 2, 4, 6, 8] and len(calls) == 10  # the uncached one recomputes
    shuffled = Dataset.from_tensor_slices(np.arange(10)).shuffle(10).cache()
    assert _values(shuffled) == _values(shuffled)  # cache after shuffle freezes one order


def test_prefetch_keeps_order_and_raises_errors():
    ds = Dataset.from_tensor_slices(np.arange(30)).map(lambda x: x + 1)
    assert _values(ds.prefetch(4)) == list(range(1, 31))
    assert ds.prefetch(ketorch.utils._dataset_ops.AUTOTUNE).cardinality() == 30

    def fail(x):
        if x == 3:
            raise RuntimeError("bad element 3")
        return x

    with pytest.raises(RuntimeError, match="bad element 3"):
        list(Dataset.from_tensor_slices(np.arange(10)).map(fail).prefetch(2))
    iterator = iter(ds.prefetch(2))  # an abandoned iterator stops its thread
    assert int(next(iterator)) == 1
    iterator.close()


def test_take_skip_repeat_cardinalities():
    ds = Dataset.from_tensor_slices(np.arange(5))
    assert _values(ds.take(3)) == [0, 1, 2] and ds.take(3).cardinality() == 3
    assert ds.take(9).cardinality() == 5 and _values(ds.take(-1)) == list(range(5))
    assert _values(ds.skip(2)) == [2, 3, 4] and ds.skip(2).cardinality() == 3
    assert ds.skip(9).cardinality() == 0 and _values(ds.skip(-1)) == []
    assert _values(ds.repeat(2)) == [0, 1, 2, 3, 4] * 2 and ds.repeat(2).cardinality() == 10
    forever = ds.repeat()
    assert forever.cardinality() == INFINITE_CARDINALITY
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    assert _values(forever.take(12)) == [0, 1, 2, 3, 4] * 2 + [0, 1]
    assert forever.take(12).cardinality() == 12
    assert forever.skip(3).cardinality() == INFINITE_CARDINALITY
    assert forever.batch(2).cardinality() == INFINITE_CARDINALITY
    assert ds.take(0).repeat().cardinality() == 0 and _values(ds.take(0).repeat()) == []
    unknown = ds.filter(lambda x: x > 0)
    assert unknown.take(2).cardinality() == UNKNOWN_CARDINALITY
    assert unknown.repeat().cardinality() == INFINITE_CARDINALITY
    assert unknown.repeat(2).cardinality() == UNKNOWN_CARDINALITY


def test_filter_and_numpy_iterator():
    ds = Dataset.from_tensor_slices(np.arange(10)).filter(lambda x: x % 3 == 0)
    assert _values(ds) == [0, 3, 6, 9] and ds.cardinality() == UNKNOWN_CARDINALITY
    as_torch = Dataset.from_tensor_slices(np.arange(4.0)).batch(2).map(torch.as_tensor)
    assert all(isinstance(b, torch.Tensor) for b in as_torch)
    batches = list(as_torch.as_numpy_iterator())
    assert all(isinstance(b, np.ndarray) for b in batches) and batches[1].tolist() == [2.0, 3.0]
    spec = Dataset.from_tensor_slices((np.zeros((4, 3), "float32"), np.arange(4))).element_spec
    assert spec == (((3,), "float32"), ((), "int64"))


# ------------------------------------------------------------- returned datasets
def test_image_dataset_chain_is_lazy_and_keeps_class_names(tmp_path):
    root = _image_dir(tmp_path)
    ds = image_dataset_from_directory(root, image_size=(6, 6), batch_size=4, seed=0, verbose=False)
    calls = []
    chained = (
        ds.map(lambda x, y: calls.append(1) or (x / 255.0, y), num_parallel_calls=-1)
        .cache()
        .shuffle(8, seed=1)
        .prefetch(2)
    )
    assert calls == []  # nothing runs before iteration
    assert chained.class_names == ["cats", "dogs"] and chained.file_paths == ds.file_paths
    assert chained.cardinality() == 3 and len(chained) == 3
    batches = list(chained)
    assert len(calls) == 3 and max(float(x.max()) for x, _ in batches) <= 1.0
    assert sorted(np.concatenate([y for _, y in batches]).tolist()) == [0] * 5 + [1] * 5
    rows = ds.unbatch()
    assert rows.cardinality() == UNKNOWN_CARDINALITY and rows.class_names == ["cats", "dogs"]
    assert len(list(rows)) == 10
    assert ds.take(2).cardinality() == 2 and ds.skip(1).cardinality() == 2
    assert ds.repeat().cardinality() == INFINITE_CARDINALITY
    # An indexable chain still answers ds[i] like the PyDataset it replaced.
    x0, y0 = ds.map(lambda x, y: (x * 0, y))[0]
    assert x0.shape == (4, 6, 6, 3) and not x0.any()


def test_unbatched_source_rebatches_and_reshuffles_each_pass(tmp_path):
    root = _image_dir(tmp_path)
    single = image_dataset_from_directory(
        root, image_size=(4, 4), batch_size=None, seed=2, verbose=False
    )
    assert single.cardinality() == 10
    x, y = next(iter(single))
    assert x.shape == (4, 4, 3) and y.shape == ()
    rebatched = single.map(lambda x, y: (x[:2, :2], y)).batch(3)
    assert rebatched.cardinality() == 4 and rebatched[3][0].shape == (1, 2, 2, 3)
    first = [int(y) for _, y in single]
    second = [int(y) for _, y in single]
    assert sorted(first) == sorted(second) == [0] * 5 + [1] * 5
    paths_first = list(single.file_paths)
    assert paths_first == single.file_paths  # file_paths keep the initial order


def test_text_and_timeseries_chains(tmp_path):
    for name in ("neg", "pos"):
        os.makedirs(tmp_path / name)
        for i in range(3):
            (tmp_path / name / f"{i}.txt").write_text(f"{name} {i}", encoding="utf-8")
    texts = text_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False, verbose=False)
    words = texts.unbatch().map(lambda t, y: t.split()[0]).batch(6)
    assert next(iter(words)).tolist() == ["neg"] * 3 + ["pos"] * 3
    assert words.class_names == ["neg", "pos"]
    series = timeseries_dataset_from_array(np.arange(10), np.arange(10), 3, batch_size=2)
    assert series.cardinality() == 4  # 8 windows
    firsts = _values(series.unbatch().map(lambda x, y: x[0]))
    assert firsts == list(range(8))


# ------------------------------------------------------------- training
def _image_model(seed=0):
    ketorch.utils.set_random_seed(seed)
    model = ketorch.Sequential(
        [
            ketorch.Input((6, 6, 3)),
            ketorch.layers.Rescaling(1 / 255.0),
            ketorch.layers.Flatten(),
            ketorch.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=ketorch.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


def test_fit_on_mapped_prefetched_dataset_matches_arrays(tmp_path):
    root = _image_dir(tmp_path)
    ds = image_dataset_from_directory(
        root, image_size=(6, 6), batch_size=4, shuffle=False, verbose=False
    )
    pipeline = ds.map(lambda x, y: (np.ascontiguousarray(x[:, :, ::-1]) * 0.5, y)).prefetch(2)
    x = np.concatenate([b[0] for b in ds.as_numpy_iterator()])[:, :, ::-1] * 0.5
    y = np.concatenate([b[1] for b in ds.as_numpy_iterator()])

    model = _image_model()
    history = model.fit(pipeline, epochs=3, verbose=0)
    reference = _image_model()
    expected = reference.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # fit's shuffle=True does not reorder a dataset (as with tf.data in Keras).
    again, ref_again = _image_model(), _image_model()
    again.fit(pipeline, epochs=2, shuffle=True, verbose=0)
    ref_again.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(again.get_weights(), ref_again.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        model.predict(pipeline, verbose=0), reference.predict(x, verbose=0), rtol=1e-5
    )
    assert model.evaluate(pipeline, verbose=0) == pytest.approx(
        reference.evaluate(x, y, batch_size=4, verbose=0), rel=1e-5
    )


def test_fit_on_unknown_cardinality_chain_matches_arrays(tmp_path):
    root = _image_dir(tmp_path)
    ds = image_dataset_from_directory(
        root, image_size=(6, 6), batch_size=3, shuffle=False, verbose=False
    )
    rebatched = ds.unbatch().filter(lambda x, y: True).batch(4)
    assert rebatched.cardinality() == UNKNOWN_CARDINALITY
    x = np.concatenate([b[0] for b in ds.as_numpy_iterator()])
    y = np.concatenate([b[1] for b in ds.as_numpy_iterator()])
    model, reference = _image_model(), _image_model()
    history = model.fit(rebatched, epochs=2, verbose=0, validation_data=rebatched)
    expected = reference.fit(
        x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, validation_data=(x, y)
    )
    assert history.history.keys() == expected.history.keys()
    for key in history.history:
        np.testing.assert_allclose(history.history[key], expected.history[key], rtol=1e-5)
    # An infinite dataset trains with steps_per_epoch.
    endless, ref = _image_model(), _image_model()
    endless.fit(ds.repeat(), steps_per_epoch=4, epochs=2, verbose=0)
    ref.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(endless.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_augmentation_layers_inside_map(tmp_path):
    root = _image_dir(tmp_path, per_class=4)
    ds = image_dataset_from_directory(
        root, image_size=(6, 6), batch_size=4, shuffle=False, verbose=False
    )
    flip = ketorch.layers.RandomFlip("horizontal", seed=1)
    rotate = ketorch.layers.RandomRotation(0.1, seed=2)

    def data_augmentation(images):
        for layer in (flip, rotate):
            images = layer(images)
        return images

    flipped = ds.map(lambda x, y: (flip(x), y)).prefetch(2)
    originals = [x for x, _ in ds.as_numpy_iterator()]
    outputs = [x for x, _ in flipped.as_numpy_iterator()]
    n_flipped = 0
    for before, after in zip(originals, outputs):
        for a, b in zip(before, after):
            same, mirrored = np.array_equal(a, b), np.array_equal(a[:, ::-1], b)
            assert same or mirrored
            n_flipped += mirrored and not same
    assert 0 < n_flipped < 8  # augmentation is on (training=True by default) and random
    augmented = ds.map(lambda x, y: (data_augmentation(x), y))
    batch, _ = next(iter(augmented))
    assert isinstance(batch, torch.Tensor) and tuple(batch.shape) == (4, 6, 6, 3)
    model = _image_model()
    model.fit(augmented.prefetch(2), epochs=1, verbose=0)


# ------------------------------------------------------------- tf.data duck typing
class _FakeTensor:
    """What tf.data yields: an EagerTensor with ``numpy()`` (and ``__array__``)."""

    def __init__(self, value):
        self._value = np.asarray(value)

    def numpy(self):
        return self._value

    def __array__(self, dtype=None, copy=None):
        return self._value if dtype is None else self._value.astype(dtype)

    def __int__(self):
        return int(self._value)


class _FakeTFDataset:
    """The part of tf.data.Dataset's interface fit/evaluate/predict rely on."""

    def __init__(self, batches, cardinality=None):
        self._batches = batches
        self._cardinality = len(batches) if cardinality is None else cardinality
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        for batch in self._batches:
            yield tuple(_FakeTensor(b) for b in batch)

    def as_numpy_iterator(self):
        return (tuple(t.numpy() for t in batch) for batch in self)

    def cardinality(self):
        return _FakeTensor(self._cardinality)


def test_tf_data_like_dataset_trains_as_arrays():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 6, 6, 3)).astype("float32") * 50 + 100
    y = (x.mean(axis=(1, 2, 3)) > 100).astype("int32")
    fake = _FakeTFDataset([(x[i : i + 4], y[i : i + 4]) for i in range(0, 12, 4)])
    model, reference = _image_model(), _image_model()
    history = model.fit(fake, epochs=2, verbose=0, validation_data=fake)
    expected = reference.fit(
        x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, validation_data=(x, y)
    )
    for key in expected.history:
        np.testing.assert_allclose(history.history[key], expected.history[key], rtol=1e-5)
    assert fake.passes == 4  # one pass per epoch, one per validation
    np.testing.assert_allclose(
        model.predict(_FakeTFDataset([(x[:5],), (x[5:],)]), verbose=0),
        reference.predict(x, verbose=0),
        rtol=1e-5,
    )
    unknown = _FakeTFDataset(fake._batches, cardinality=UNKNOWN_CARDINALITY)
    assert model.evaluate(unknown, verbose=0) == pytest.approx(
        reference.evaluate(x, y, batch_size=4, verbose=0), rel=1e-5
    )


# ------------------------------------------------------------- layers returning arrays
def test_layer_returning_numpy_gives_a_tensor():
    class NumpyDouble(ketorch.layers.Layer):
        def call(self, x):
            return np.asarray(x) * 2

    class ArrayLike(ketorch.layers.Layer):
        def call(self, x):
            return [_FakeTensor(np.asarray(x) + 1), x]

    out = NumpyDouble()(torch.ones(2, 3))
    assert isinstance(out, torch.Tensor) and out.tolist() == [[2.0] * 3] * 2
    first, second = ArrayLike()(torch.zeros(1, 2))
    assert isinstance(first, torch.Tensor) and first.tolist() == [[1.0, 1.0]]
    assert isinstance(second, torch.Tensor)
