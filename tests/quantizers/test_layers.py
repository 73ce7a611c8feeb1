"""Quantized Dense / EinsumDense / Embedding vs real Keras: weights, predictions, files."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch

RNG = np.random.default_rng(1)


def _model(lib, kind):
    L = lib.layers
    if kind == "dense":
        return lib.Sequential([lib.Input((12,)), L.Dense(10, name="d1"), L.Dense(3, name="d2")])
    if kind == "einsum":
        return lib.Sequential(
            [lib.Input((5, 12)), L.EinsumDense("abc,cde->abde", (None, 4, 2), bias_axes="de")]
        )
    return lib.Sequential([lib.Input((6,), dtype="int32"), L.Embedding(20, 9, name="emb")])


def _data(kind):
    if kind == "embedding":
        return RNG.integers(0, 20, size=(4, 6)).astype("int32")
    return RNG.normal(size=(4, 12) if kind == "dense" else (4, 5, 12)).astype("float32")


def _pair(kind):
    ours, theirs = _model(ketorch, kind), _model(keras, kind)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


CASES = [
    (kind, mode)
    for kind in ("dense", "einsum", "embedding")
    for mode in ("int8", "int4", "int4/-1", "float8")
    if not (kind == "embedding" and mode == "float8")
]


def _quantize(model, lib, mode):
    if mode == "int4/-1":
        model.quantize(config=lib.quantizers.Int4QuantizationConfig(block_size=-1))
    elif mode == "int4":
        model.quantize(config=lib.quantizers.Int4QuantizationConfig(block_size=4))
    else:
        model.quantize(mode)


def _check_same(ours, theirs, x, atol=1e-5):
    names = [(w.name, tuple(w.shape), str(w.dtype).replace("torch.", "")) for w in ours.weights]
    assert names == [(w.name, tuple(w.shape), w.dtype) for w in theirs.weights]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    got = ours.predict(x, verbose=0)
    np.testing.assert_allclose(got, np.asarray(theirs.predict(x, verbose=0)), atol=atol)
    return got


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("kind,mode", CASES)
def test_quantized_weights_and_predictions_match_keras(kind, mode):
    ours, theirs = _pair(kind)
    _quantize(ours, ketorch, mode)
    _quantize(theirs, keras, mode)
    for a, b in zip(ours.layers, theirs.layers):
        assert a.dtype_policy.name == b.dtype_policy.name
        for key in ("dtype", "quantization_config"):
            assert a.get_config().get(key) == b.get_config().get(key)
    _check_same(ours, theirs, _data(kind))


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("kind,mode", [c for c in CASES if c[1] != "int4/-1"])
def test_quantized_files_move_both_ways(kind, mode, tmp_path):
    ours, theirs = _pair(kind)
    _quantize(ours, ketorch, mode)
    _quantize(theirs, keras, mode)
    x = _data(kind)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    loaded_k = keras.models.load_model(tmp_path / "ours.keras")
    loaded_o = ketorch.models.load_model(tmp_path / "theirs.keras")
    _check_same(loaded_o, loaded_k, x)
    if mode != "float8":  # Keras itself orders a loaded float8 layer's weights differently
        _check_same(loaded_o, theirs, x)
    # weights-only files into freshly quantized models
    ours.save_weights(tmp_path / "o.weights.h5")
    fresh_k = _model(keras, kind)
    _quantize(fresh_k, keras, mode)
    fresh_k.load_weights(tmp_path / "o.weights.h5")
    _check_same(ours, fresh_k, x)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("mode", ["int8", "float8"])
def test_fit_after_quantize_matches_keras(mode):
    ours, theirs = _pair("dense")
    _quantize(ours, ketorch, mode)
    _quantize(theirs, keras, mode)
    x = _data("dense")
    y = RNG.normal(size=(4, 3)).astype("float32")
    ours.compile(optimizer=ketorch.optimizers.SGD(0.1), loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    h1 = ours.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
    h2 = theirs.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_errors_named_clearly():
    layer = ketorch.layers.Dense(3)
    with pytest.raises(ValueError, match="isn't yet built"):
        layer.quantize("int8")
    layer.build((None, 4))
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        layer.quantize("int3")
    layer.quantize("int8")
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int8_from_float32'"):
        layer.quantize("int4")
    emb = ketorch.layers.Embedding(5, 2)
    emb.build(None)
    with pytest.raises(NotImplementedError, match="Expected one of \\('int8', 'int4'\\)"):
        emb.quantize("float8")
    model = _model(ketorch, "dense")
    config = ketorch.quantizers.GPTQConfig(dataset=["a"], tokenizer=None)
    with pytest.raises(ValueError, match="a valid quantization structure"):
        model.quantize("gptq", config=config)
    with pytest.raises(ValueError, match="you must pass a `GPTQConfig`"):
        model.quantize("gptq")

    class MyDense(ketorch.layers.Dense):
        pass

    sub = MyDense(2)
    sub.build((None, 3))
    with pytest.raises(NotImplementedError, match="does not have a `quantize` method"):
        sub.quantize("int8")
    sub.quantize("int8", type_check=False)
    assert sub.kernel.dtype == torch.int8


def test_dtype_policy_setter_quantizes_built_layer():
    layer = ketorch.layers.Dense(3)
    layer.build((None, 4))
    layer.dtype_policy = "int8_from_float32"
    assert layer.kernel.dtype == torch.int8 and layer.quantization_mode == "int8"
