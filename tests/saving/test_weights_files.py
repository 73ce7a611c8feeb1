"""`.weights.h5` files (Keras 3 layout) and legacy Keras 2 `.h5` files."""

import warnings

import h5py
import numpy as np
import pytest
from zoo import BUILDERS, keras

import ketorch
import ketorch.saving


def _close(a, b, atol=1e-5):
    a = a if isinstance(a, list) else [a]
    b = b if isinstance(b, list) else [b]
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=atol, rtol=1e-5)


def _fresh_pair(name, rng):
    """The same architecture in both libraries, each with its own random weights."""
    ours, x, y = BUILDERS[name](ketorch, np.random.default_rng(0))
    theirs, _, _ = BUILDERS[name](keras, np.random.default_rng(0))
    return ours, theirs, x, y


@pytest.mark.parametrize("name", ["mlp", "text_lstm", "multi_io", "cnn"])
def test_weights_h5_both_ways_with_optimizer(name, tmp_path, rng):
    ours, theirs, x, y = _fresh_pair(name, rng)
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.save_weights(str(tmp_path / "k.weights.h5"))
    ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)  # builds the optimizer
    ours.load_weights(str(tmp_path / "k.weights.h5"))
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations)
    # ...and back: ketorch writes, Keras reads.
    ours.save_weights(str(tmp_path / "t.weights.h5"))
    other, _, _ = BUILDERS[name](keras, np.random.default_rng(1))
    other.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    other.load_weights(str(tmp_path / "t.weights.h5"))
    _close(other.predict(x, verbose=0), ours.predict(x, verbose=0))
    # Both continue training identically.
    batch_x = x[:8] if not isinstance(x, list) else [v[:8] for v in x]
    batch_y = y[:8] if not isinstance(y, list) else [v[:8] for v in y]
    other.train_on_batch(batch_x, batch_y)
    ours.train_on_batch(batch_x, batch_y)
    _close(other.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_weights_file_layout_matches_keras(tmp_path, rng):
    ours, theirs, x, y = _fresh_pair("multi_io", rng)
    for model, fname in ((ours, "t.weights.h5"), (theirs, "k.weights.h5")):
        model.fit(x, y, epochs=1, verbose=0)
        model.save_weights(str(tmp_path / fname))
    trees = [_dataset_shapes(tmp_path / f) for f in ("t.weights.h5", "k.weights.h5")]
    assert trees[0] == trees[1]
    assert "layers/dense_3/vars/1" in trees[0] and "optimizer/vars/0" in trees[0]


def _dataset_shapes(path):
    shapes = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            shapes[name] = obj.shape

    with h5py.File(path) as f:
        f.visititems(visit)
    return shapes


def test_save_weights_needs_weights_h5_suffix(tmp_path):
    model = ketorch.Sequential([ketorch.Input((2,)), ketorch.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(str(tmp_path / "w.h5"))


def test_load_weights_mismatch_and_skip(tmp_path):
    small = ketorch.Sequential(
        [ketorch.Input((2,)), ketorch.layers.Dense(3), ketorch.layers.Dense(1)]
    )
    big = ketorch.Sequential(
        [ketorch.Input((2,)), ketorch.layers.Dense(4), ketorch.layers.Dense(1)]
    )
    small.save_weights(str(tmp_path / "s.weights.h5"))
    with pytest.raises(ValueError, match="shape"):
        big.load_weights(str(tmp_path / "s.weights.h5"))
    before = big.get_weights()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        big.load_weights(str(tmp_path / "s.weights.h5"), skip_mismatch=True)
    after = big.get_weights()
    np.testing.assert_array_equal(before[0], after[0])  # mismatched layer untouched
    np.testing.assert_array_equal(after[3], small.get_weights()[3])  # bias (1,) fits, loaded


def test_load_weights_from_keras_file(tmp_path, rng):
    ours, theirs, x, y = _fresh_pair("cnn", rng)
    theirs.save(str(tmp_path / "k.keras"))
    ours.load_weights(str(tmp_path / "k.keras"))
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


# ------------------------------------------------------------------ legacy h5
@pytest.mark.parametrize("name", ["mlp", "text_lstm", "multi_io"])
def test_legacy_h5_written_by_keras3_loads(name, tmp_path, rng):
    ours, theirs, x, y = _fresh_pair(name, rng)
    theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "m.h5")
    theirs.save(path)  # Keras 3 writes the legacy format for .h5
    loaded = ketorch.saving.load_model(path)
    _close(loaded.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert loaded.compiled
    ours.load_weights(path)  # weights only, by order
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["text_lstm", "multi_io"])
def test_legacy_h5_written_by_ketorch_loads_in_keras(name, tmp_path, rng):
    ours, _, x, y = _fresh_pair(name, rng)
    ours.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "t.h5")
    with pytest.warns(UserWarning, match="legacy"):
        ours.save(path)
    # Keras 3.15 cannot itself re-compile a legacy file whose loss is a list of strings
    # (it fails on its own files too), so the multi-output model loads uncompiled there.
    theirs = keras.saving.load_model(path, compile=name != "multi_io")
    _close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))
    again = ketorch.saving.load_model(path)
    _close(again.predict(x, verbose=0), ours.predict(x, verbose=0))
    assert int(again.optimizer.iterations) == int(ours.optimizer.iterations)


def _write_tf_keras2_weights(path, layers, full_model_config=None):
    """A tf.keras 2-style file: `:0` weight names, names under model_weights/<layer>/."""
    with h5py.File(path, "w") as f:
        root = f
        if full_model_config is not None:
            f.attrs["model_config"] = full_model_config
            f.attrs["keras_version"] = "2.15.0"
            f.attrs["backend"] = "tensorflow"
            root = f.create_group("model_weights")
        root.attrs["layer_names"] = [name.encode() for name, _ in layers]
        for name, weights in layers:
            group = root.create_group(name)
            names = [f"{name}/{w}:0" for w, _ in weights]
            group.attrs["weight_names"] = [n.encode() for n in names]
            for n, (_, value) in zip(names, weights):
                group.create_dataset(n, data=value)


def test_tf_keras2_weights_by_order_and_by_name(tmp_path):
    rng = np.random.default_rng(3)
    k1, b1 = rng.random((4, 5), dtype=np.float32), rng.random(5, dtype=np.float32)
    k2, b2 = rng.random((5, 2), dtype=np.float32), rng.random(2, dtype=np.float32)
    path = str(tmp_path / "keras2.h5")
    _write_tf_keras2_weights(
        path,
        [
            ("dense_7", [("kernel", k1), ("bias", b1)]),
            ("dropout_2", []),
            ("out", [("kernel", k2), ("bias", b2)]),
        ],
    )
    model = ketorch.Sequential(
        [
            ketorch.Input((4,)),
            ketorch.layers.Dense(5, name="hidden"),
            ketorch.layers.Dropout(0.5),
            ketorch.layers.Dense(2, name="out"),
        ]
    )
    model.load_weights(path)  # by order: names differ, that is fine
    for got, want in zip(model.get_weights(), [k1, b1, k2, b2]):
        np.testing.assert_array_equal(got, want)
    fresh = ketorch.Sequential(
        [
            ketorch.Input((4,)),
            ketorch.layers.Dense(5, name="hidden"),
            ketorch.layers.Dense(2, name="out"),
        ]
    )
    before = fresh.get_weights()
    fresh.load_weights(path, by_name=True)  # only "out" matches
    np.testing.assert_array_equal(fresh.get_weights()[0], before[0])
    np.testing.assert_array_equal(fresh.get_weights()[2], k2)


def test_tf_keras2_mismatches(tmp_path):
    path = str(tmp_path / "keras2.h5")
    _write_tf_keras2_weights(
        path, [("dense", [("kernel", np.ones((4, 3), "float32")), ("bias", np.ones(3, "float32"))])]
    )
    two = ketorch.Sequential(
        [ketorch.Input((4,)), ketorch.layers.Dense(3), ketorch.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="Layer count mismatch"):
        two.load_weights(path)
    wrong = ketorch.Sequential([ketorch.Input((4,)), ketorch.layers.Dense(7)])
    with pytest.raises(ValueError, match="shape"):
        wrong.load_weights(path)
    with pytest.warns(UserWarning, match="Skipping"):
        wrong.load_weights(path, skip_mismatch=True)


def test_tf_keras2_full_model_h5(tmp_path):
    """A Keras 2 config (no `module`, `batch_input_shape`, dtype strings) plus `:0` weights."""
    import json

    config = {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "Dense",
                    "config": {
                        "name": "dense",
                        "trainable": True,
                        "batch_input_shape": [None, 3],
                        "dtype": "float32",
                        "units": 2,
                        "activation": "tanh",
                        "use_bias": True,
                        "kernel_initializer": {
                            "class_name": "GlorotUniform",
                            "config": {"seed": None},
                        },
                        "bias_initializer": {"class_name": "Zeros", "config": {}},
                        "kernel_regularizer": None,
                        "bias_regularizer": None,
                        "activity_regularizer": None,
                        "kernel_constraint": None,
                        "bias_constraint": None,
                    },
                }
            ],
        },
    }
    kernel = np.arange(6, dtype="float32").reshape(3, 2) / 10
    bias = np.array([0.1, -0.2], "float32")
    path = str(tmp_path / "keras2_model.h5")
    _write_tf_keras2_weights(
        path, [("dense", [("kernel", kernel), ("bias", bias)])], json.dumps(config)
    )
    model = ketorch.saving.load_model(path)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.tanh(x @ kernel + bias), atol=1e-6)
