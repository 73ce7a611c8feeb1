"""LoRA on Dense, EinsumDense, Embedding and Conv layers, checked against Keras 3."""

import numpy as np
import pytest
import torch

import ketorch

keras = pytest.importorskip("keras")


def _dense(lib, **kw):
    return lib.layers.Dense(3, **kw), (5, 4), "float"


def _embedding(lib, **kw):
    return lib.layers.Embedding(7, 3, **kw), (5, 6), "int"


def _conv1d(lib, **kw):
    return lib.layers.Conv1D(3, 2, **kw), (5, 6, 2), "float"


def _conv2d(lib, **kw):
    return lib.layers.Conv2D(3, 2, **kw), (5, 4, 4, 2), "float"


def _einsum(lib, **kw):
    return lib.layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d", **kw), (5, 2, 4), "float"


CASES = {
    "dense": _dense,
    "embedding": _embedding,
    "conv1d": _conv1d,
    "conv2d": _conv2d,
    "einsum": _einsum,
}


def _data(shape, kind, rng):
    if kind == "int":
        return rng.integers(0, 7, size=shape).astype("int32")
    return rng.normal(size=shape).astype("float32")


def _model(lib, case, **kw):
    layer, shape, kind = CASES[case](lib, **kw)
    inputs = lib.Input(shape[1:], dtype="int32" if kind == "int" else "float32")
    return lib.Model(inputs, layer(inputs)), layer, shape, kind


def _paths(weights):
    return [w.path.split("/")[-1] for w in weights]


def _randomize(model, rng):
    values = [rng.normal(size=w.shape).astype("float32") * 0.3 for w in model.get_weights()]
    model.set_weights(values)
    return values


@pytest.mark.parametrize("case", sorted(CASES))
def test_weights_outputs_and_config_match_keras(case, rng):
    k_model, k_layer, shape, kind = _model(keras, case, lora_rank=2)
    t_model, t_layer, _, _ = _model(ketorch, case, lora_rank=2)
    assert _paths(t_layer.weights) == _paths(k_layer.weights)
    assert _paths(t_layer.trainable_weights) == _paths(k_layer.trainable_weights)
    assert _paths(t_layer.non_trainable_weights) == _paths(k_layer.non_trainable_weights)
    assert [tuple(w.shape) for w in t_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    # Keras's initialization: factor b is zero, so the output is the base layer's.
    prefix = "lora_embeddings" if case == "embedding" else "lora_kernel"
    assert not getattr(t_layer, f"{prefix}_b").detach().any()
    values = _randomize(k_model, rng)  # non-zero b: the low-rank update matters
    t_model.set_weights(values)
    x = _data(shape, kind, rng)
    np.testing.assert_allclose(
        t_model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-5, rtol=1e-5
    )
    t_conf, k_conf = t_layer.get_config(), k_layer.get_config()
    assert t_conf["lora_rank"] == k_conf["lora_rank"] == 2
    rebuilt = type(t_layer).from_config(t_conf)
    assert rebuilt.lora_rank == 2


@pytest.mark.parametrize("case", ["dense", "conv2d", "embedding"])
def test_lora_alpha_scales_the_update(case, rng):
    model, layer, shape, kind = _model(ketorch, case)
    x = _data(shape, kind, rng)
    base = model.predict(x, verbose=0)
    layer.enable_lora(2, lora_alpha=6)
    assert layer.lora_alpha == 6
    a, b = layer._lora_factors()
    with torch.no_grad():
        b.copy_(torch.randn_like(b))
    delta = model.predict(x, verbose=0) - base
    with torch.no_grad():
        b.mul_(3.0)
    np.testing.assert_allclose(model.predict(x, verbose=0) - base, 3 * delta, atol=1e-4)
    # The frozen base weight plus 3 * (a @ b) is what the layer applies.
    merged = layer._lora_merged().detach()
    base_w = getattr(layer, layer._lora_base).detach()
    np.testing.assert_allclose(merged, base_w + 3.0 * (a @ b).detach(), atol=1e-5)


@pytest.mark.parametrize("case", ["dense", "conv2d", "embedding"])
def test_fit_changes_only_lora_weights(case, rng):
    model, layer, shape, kind = _model(ketorch, case, lora_rank=2)
    x = _data(shape, kind, rng)
    y = rng.normal(size=model.output.shape[1:]).astype("float32")
    y = np.broadcast_to(y, (shape[0], *y.shape)).copy()
    model.compile(optimizer="sgd", loss="mse")
    before = {p: w.detach().clone() for p, w in zip(_paths(layer.weights), layer.weights)}
    model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    after = dict(zip(_paths(layer.weights), layer.weights))
    base = "embeddings" if case == "embedding" else "kernel"
    assert torch.equal(before[base], after[base].detach())
    trainable = _paths(layer.trainable_weights)
    assert base not in trainable
    # b starts at zero and moves first; a moves once b is non-zero (second step on).
    for name in trainable:
        assert not torch.equal(before[name], after[name].detach()), name


@pytest.mark.parametrize("case", ["dense", "conv2d", "embedding", "einsum"])
@pytest.mark.parametrize("direction", ["ketorch->keras", "keras->ketorch", "ketorch->ketorch"])
def test_keras_file_round_trip_merges_lora(case, direction, tmp_path, rng):
    libs = {"keras": keras, "ketorch": ketorch}
    src, dst = (libs[s] for s in direction.split("->"))
    model, layer, shape, kind = _model(src, case, lora_rank=2)
    _randomize(model, rng)
    x = _data(shape, kind, rng)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = dst.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-5, rtol=1e-5)
    lora_layer = loaded.layers[-1]
    assert lora_layer.lora_enabled and lora_layer.lora_rank == 2
    # The merged base weight was stored; the factors come back as zeros.
    names = _paths(lora_layer.weights)
    values = dict(zip(names, lora_layer.get_weights()))
    for name in names:
        if name.startswith("lora_"):
            assert not np.any(values[name])


def test_weights_file_holds_the_merged_kernel(tmp_path, rng):
    model, layer, shape, kind = _model(ketorch, "dense", lora_rank=2)
    _randomize(model, rng)
    merged = layer._lora_merged().detach().numpy()
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    fresh, fresh_layer, _, _ = _model(ketorch, "dense")
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh_layer.kernel.detach().numpy(), merged, atol=1e-6)


def test_enable_lora_errors():
    layer = ketorch.layers.Dense(3)
    with pytest.raises(ValueError, match="must be built"):
        layer.enable_lora(2)
    layer.build((None, 4))
    layer.enable_lora(2)
    with pytest.raises(ValueError, match="already has LoRA enabled"):
        layer.enable_lora(2)
    constrained = ketorch.layers.Dense(3, kernel_constraint="non_neg")
    constrained.build((None, 4))
    with pytest.raises(ValueError, match="constraint"):
        constrained.enable_lora(2)
    with pytest.raises(ValueError, match="Received: lora_rank=0"):
        ketorch.layers.Dense(3, lora_rank=0)


def test_no_lora_config_without_rank():
    layer = ketorch.layers.Dense(3)
    assert "lora_rank" not in layer.get_config()


def test_user_subclass_keeps_keras_weight_order():
    class MyDense(ketorch.layers.Dense):
        pass

    layer = MyDense(3, lora_rank=2)
    layer.build((None, 4))
    assert _paths(layer.weights) == ["kernel", "bias", "lora_kernel_a", "lora_kernel_b"]
    assert _paths(layer.trainable_variables) == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert _paths(layer.non_trainable_weights) == ["kernel"]


def test_loaded_in_both_libraries_trains_the_same(tmp_path, rng):
    # As Keras, loading resets the LoRA factors (the file holds the merged kernel), so a
    # loaded model trains differently from the one saved; loaded in Keras and in ketorch,
    # the same file (optimizer state included) trains the same.
    x = rng.normal(size=(32, 6)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    model = ketorch.Sequential(
        [
            ketorch.Input((6,)),
            ketorch.layers.Dense(5, activation="relu", lora_rank=2),
            ketorch.layers.Dense(2),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    theirs, ours = keras.saving.load_model(path), ketorch.saving.load_model(path)
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 8
    for _ in range(2):
        theirs.train_on_batch(x[:8], y[:8])
        ours.train_on_batch(x[:8], y[:8])
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)), atol=1e-5
    )
    assert _paths(ours.layers[0].trainable_weights) == _paths(theirs.layers[0].trainable_weights)
