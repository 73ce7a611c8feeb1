"""Mixed precision: dtype policies (vs real Keras), autocast training on CPU, loss scaling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ketorch
from ketorch import layers, mixed_precision

cuda = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.fixture(autouse=True)
def _float32_after():
    yield
    mixed_precision.set_global_policy("float32")
    try:  # the GPU machine runs the CUDA tests without Keras installed
        import keras
    except ImportError:
        return
    keras.mixed_precision.set_global_policy("float32")


def _data(n=256, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 16).astype("float32")
    y = (x[:, :8].sum(1) > x[:, 8:].sum(1)).astype("int64")
    return x, y


def _model(keras_mod, last_dtype=None):
    return keras_mod.Sequential(
        [
            keras_mod.Input((16,)),
            keras_mod.layers.Dense(32, activation="relu"),
            keras_mod.layers.Dense(2),
            keras_mod.layers.Activation("softmax", dtype=last_dtype),
        ]
    )


# ------------------------------------------------------------------ policies
@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16", "float32", "float64"])
def test_policy_matches_keras(name):
    import keras

    ours, theirs = mixed_precision.DTypePolicy(name), keras.mixed_precision.DTypePolicy(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name, theirs.compute_dtype, theirs.variable_dtype,
    )  # fmt: skip
    assert repr(ours) == repr(theirs)


def test_policy_errors_and_global_api():
    with pytest.raises(ValueError, match="Received: name='mixed_int8'"):
        mixed_precision.DTypePolicy("mixed_int8")
    with pytest.raises(TypeError, match="Received: name=3"):
        mixed_precision.DTypePolicy(3)
    with pytest.raises(ValueError, match="Received: policy=1.5"):
        mixed_precision.set_global_policy(1.5)
    assert mixed_precision.global_policy().name == "float32"
    ketorch.config.set_dtype_policy("mixed_bfloat16")
    assert ketorch.config.dtype_policy() == mixed_precision.Policy("mixed_bfloat16")
    assert mixed_precision.dtype_policy().compute_dtype == "bfloat16"
    assert mixed_precision.DTypePolicy().name == "mixed_bfloat16"  # None: the global one


@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16"])
def test_layer_dtypes_match_keras(name):
    import keras

    mixed_precision.set_global_policy(name)
    keras.mixed_precision.set_global_policy(name)
    ours, theirs = _model(ketorch, "float32"), _model(keras, "float32")
    assert ours.inputs[0].dtype == theirs.inputs[0].dtype == "float32"
    for a, b in zip(ours.layers, theirs.layers):
        assert a.dtype_policy.name == b.dtype_policy.name
        assert (a.compute_dtype, a.variable_dtype, a.dtype) == (
            b.compute_dtype, b.variable_dtype, b.dtype,
        )  # fmt: skip
    assert ours.layers[1].output.dtype == theirs.layers[1].output.dtype
    assert ours.outputs[0].dtype == theirs.outputs[0].dtype == "float32"
    assert all(w.dtype == torch.float32 for w in ours.weights)


def test_per_layer_policy_overrides_global():
    layer = layers.Dense(4, dtype="mixed_bfloat16")
    assert layer.dtype_policy.name == "mixed_bfloat16" and layer.dtype == "float32"
    out = layer(torch.ones(2, 3))
    assert out.dtype == torch.bfloat16 and layer.kernel.dtype == torch.float32
    policy_layer = layers.Dense(4, dtype=mixed_precision.DTypePolicy("mixed_bfloat16"))
    assert policy_layer.compute_dtype == "bfloat16"
    mixed_precision.set_global_policy("mixed_bfloat16")
    inner = layers.Dense(4, dtype="float32")
    assert inner(torch.ones(2, 3, dtype=torch.bfloat16)).dtype == torch.float32


def test_config_round_trip_keeps_policy(tmp_path):
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _model(ketorch, "float32")
    config = model.layers[0].get_config()
    assert config["dtype"]["config"]["name"] == "mixed_bfloat16"
    mixed_precision.set_global_policy("float32")
    clone = ketorch.models.clone_model(model) if hasattr(ketorch.models, "clone_model") else None
    if clone is not None:
        assert clone.layers[0].dtype_policy.name == "mixed_bfloat16"
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = ketorch.saving.load_model(path)
    assert [lay.dtype_policy.name for lay in loaded.layers] == [
        "mixed_bfloat16", "mixed_bfloat16", "float32",
    ]  # fmt: skip
    x = np.random.rand(4, 16).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------------------ training
@pytest.mark.parametrize("name", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_training_on_cpu(name):
    mixed_precision.set_global_policy(name)
    ketorch.utils.set_random_seed(0)
    x, y = _data()
    model = _model(ketorch)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert all(np.isfinite(history["loss"]))
    assert all(w.dtype == torch.float32 for w in model.weights)
    pred = model.predict(x[:5], verbose=0)
    assert pred.dtype == np.float32 and pred.shape == (5, 2)
    assert model(torch.as_tensor(x[:2])).dtype == getattr(torch, name[6:])
    assert (model._grad_scaler is not None) == (name == "mixed_float16")


def test_mixed_training_close_to_float32():
    # bfloat16 keeps ~3 significant digits: the first-epoch loss agrees to ~1e-2.
    x, y = _data()
    losses = {}
    for name in ("float32", "mixed_bfloat16"):
        mixed_precision.set_global_policy(name)
        ketorch.utils.set_random_seed(0)
        model = _model(ketorch)
        model.compile("sgd", "sparse_categorical_crossentropy")
        losses[name] = model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False)
    a = losses["float32"].history["loss"][0]
    b = losses["mixed_bfloat16"].history["loss"][0]
    assert abs(a - b) < 2e-2


def test_float16_loss_scaling_skips_bad_steps():
    mixed_precision.set_global_policy("mixed_float16")
    model = _model(ketorch)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = _data(32)
    model.train_on_batch(x, y)
    scaler = model._grad_scaler
    assert scaler.get_scale() == 2.0**15
    before = [w.detach().clone() for w in model.weights]
    bad = x.copy()
    bad[0, 0] = np.nan
    model.train_on_batch(bad, y)
    assert scaler.get_scale() == 2.0**14  # lowered, and the step skipped
    for w, b in zip(model.weights, before):
        torch.testing.assert_close(w.detach(), b)
    model.train_on_batch(x, y)
    assert any(not torch.equal(w.detach(), b) for w, b in zip(model.weights, before))


def test_auto_scale_loss_false_turns_scaling_off():
    mixed_precision.set_global_policy("mixed_float16")
    model = _model(ketorch)
    model.compile("sgd", "sparse_categorical_crossentropy", auto_scale_loss=False)
    x, y = _data(32)
    model.train_on_batch(x, y)
    assert model._grad_scaler is None


def test_float32_default_is_untouched():
    model = _model(ketorch)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = _data(32)
    model.fit(x, y, verbose=0)
    assert model._grad_scaler is None
    assert model(torch.as_tensor(x[:2])).dtype == torch.float32


# ----------------------------------------------------------------------- CUDA
@pytest.fixture
def on_cuda():
    ketorch.config.set_device("cuda")
    yield
    ketorch.config.set_device("cpu")


@pytest.mark.parametrize("name", ["mixed_float16", "mixed_bfloat16", "float32"])
@cuda[0]
@cuda[1]
def test_cuda_training(on_cuda, name):
    mixed_precision.set_global_policy(name)
    ketorch.utils.set_random_seed(0)
    x, y = _data(1024)
    model = _model(ketorch, "float32")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=64, verbose=0).history
    assert model.weights[0].device.type == "cuda"
    assert all(w.dtype == torch.float32 for w in model.weights)
    assert history["loss"][-1] < history["loss"][0]
    pred = model.predict(x, verbose=0)
    assert pred.dtype == np.float32 and np.isfinite(pred).all()
