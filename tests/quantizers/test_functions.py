"""keras.quantizers functions, policies and configs vs real Keras on the same inputs."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch
from ketorch import dtype_policies, quantizers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 10)).astype("float32")


def _np(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


@pytest.mark.parametrize("to_numpy", [False, True])
@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_abs_max_quantize(axis, to_numpy):
    ours = quantizers.abs_max_quantize(X, axis, to_numpy=to_numpy)
    theirs = keras.quantizers.abs_max_quantize(X, axis, to_numpy=to_numpy)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(_np(a), _np(b))
        assert _np(a).dtype == _np(b).dtype


@pytest.mark.parametrize("block", [3, 4, 10])
def test_grouped_with_zero_point(block):
    for to_numpy in (False, True):
        ours = quantizers.abs_max_quantize_grouped_with_zero_point(X, block, to_numpy=to_numpy)
        theirs = keras.quantizers.abs_max_quantize_grouped_with_zero_point(
            X, block, to_numpy=to_numpy
        )
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_pack_unpack_int4(axis):
    arr = RNG.integers(-8, 8, size=(5, 7)).astype("int8")
    ours = quantizers.pack_int4(arr, axis=axis)
    theirs = keras.quantizers.pack_int4(arr, axis=axis)
    np.testing.assert_array_equal(_np(ours[0]), _np(theirs[0]))
    assert ours[1:] == tuple(theirs[1:])
    back = quantizers.unpack_int4(ours[0], ours[2], axis=axis)
    np.testing.assert_array_equal(_np(back), arr)
    u = quantizers.unpack_int4(ours[0], ours[2], axis=axis, dtype="uint8")
    v = keras.quantizers.unpack_int4(theirs[0], theirs[2], axis=axis, dtype="uint8")
    np.testing.assert_array_equal(_np(u), _np(v))


def test_pack_int4_errors():
    with pytest.raises(TypeError, match="Expected int8 tensor"):
        quantizers.pack_int4(np.zeros(3, "int32"))
    with pytest.raises(ValueError, match="'int8' or 'uint8'"):
        quantizers.unpack_int4(np.zeros(3, "int8"), 3, dtype="int16")


def test_float8_functions():
    hist = np.abs(RNG.normal(size=(8,))).astype("float32")
    for amax in (3.0, 0.0, np.inf):
        a = quantizers.compute_float8_scale(np.float32(amax), np.float32(0.5), 448.0)
        b = keras.quantizers.compute_float8_scale(
            torch.tensor(amax), torch.tensor(0.5), torch.tensor(448.0)
        )
        np.testing.assert_allclose(_np(a), _np(b))
    a = quantizers.compute_float8_amax_history(X, hist)
    b = keras.quantizers.compute_float8_amax_history(torch.tensor(X), torch.tensor(hist))
    np.testing.assert_array_equal(_np(a), _np(b))
    for dtype in ("float8_e4m3fn", "float8_e5m2"):
        a = quantizers.quantize_and_dequantize(X * 100, np.float32(0.7), dtype, "float32")
        b = keras.quantizers.quantize_and_dequantize(
            torch.tensor(X * 100), torch.tensor(0.7), dtype, "float32"
        )
        np.testing.assert_array_equal(_np(a), _np(b))


@pytest.mark.parametrize("narrow", [False, True])
def test_fake_quant_values_and_grads(narrow):
    lo, hi = np.float32(-1.2), np.float32(0.9)
    x1 = torch.tensor(X, requires_grad=True)
    mn1, mx1 = torch.tensor(lo, requires_grad=True), torch.tensor(hi, requires_grad=True)
    ours = quantizers.fake_quant_with_min_max_vars(x1, mn1, mx1, 4, narrow)
    ours.sum().backward()
    x2 = torch.tensor(X, requires_grad=True)
    mn2, mx2 = torch.tensor(lo, requires_grad=True), torch.tensor(hi, requires_grad=True)
    theirs = keras.quantizers.fake_quant_with_min_max_vars(x2, mn2, mx2, 4, narrow)
    theirs.sum().backward()
    np.testing.assert_allclose(_np(ours), _np(theirs), atol=1e-6)
    for a, b in ((x1, x2), (mn1, mn2), (mx1, mx2)):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad))


def test_fake_quant_per_channel():
    lo = -np.abs(RNG.normal(size=(10,))).astype("float32")
    hi = np.abs(RNG.normal(size=(10,))).astype("float32")
    a = quantizers.fake_quant_with_min_max_vars(X, lo, hi, axis=-1)
    b = keras.quantizers.fake_quant_with_min_max_vars(X, lo, hi, axis=-1)
    np.testing.assert_allclose(_np(a), _np(b), atol=1e-6)


def test_public_names_and_quantizer_serialization():
    for mod, theirs in ((quantizers, keras.quantizers), (dtype_policies, keras.dtype_policies)):
        missing = [n for n in dir(theirs) if not n.startswith("_") and not hasattr(mod, n)]
        assert missing == []
    assert ketorch.Quantizer is quantizers.Quantizer
    assert ketorch.dtype_policies.DTypePolicy is ketorch.DTypePolicy
    q = quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7))
    config = quantizers.serialize(q)
    assert config == keras.quantizers.serialize(keras.quantizers.AbsMaxQuantizer(0, (-8, 7)))
    assert keras.quantizers.deserialize(config).value_range == (-8, 7)
    assert quantizers.deserialize(config).axis == (0,)
    with pytest.raises(NotImplementedError, match="does not implement get_config"):
        quantizers.Quantizer().get_config()
    with pytest.raises(ValueError, match="within the interval"):
        quantizers.AbsMaxQuantizer(value_range=(-300, 300))


@pytest.mark.parametrize(
    "config",
    [
        lambda m: m.Int8QuantizationConfig(),
        lambda m: m.Int8QuantizationConfig(weight_quantizer=m.AbsMaxQuantizer(axis=0)),
        lambda m: m.Int4QuantizationConfig(block_size=32),
        lambda m: m.Int4QuantizationConfig(block_size=-1),
        lambda m: m.Float8QuantizationConfig(),
        lambda m: m.GPTQConfig(None, None, weight_bits=3, group_size=64),
        lambda m: m.AWQConfig(None, None, group_size=-1),
    ],
)
def test_configs_round_trip_with_keras(config):
    ours, theirs = config(quantizers), config(keras.quantizers)
    assert ours.mode == theirs.mode
    s_ours, s_theirs = quantizers.serialize(ours), keras.quantizers.serialize(theirs)
    assert s_ours == s_theirs
    if ours.mode != "gptq":  # Keras's quantizers.deserialize does not list GPTQConfig
        back = keras.quantizers.deserialize(s_ours)
        assert type(back).__name__ == type(ours).__name__
    assert quantizers.serialize(quantizers.deserialize(s_theirs)) == s_ours


def test_config_errors():
    with pytest.raises(ValueError, match="block_size must be None, -1, or a positive"):
        quantizers.Int4QuantizationConfig(block_size=0)
    with pytest.raises(ValueError, match="Unsupported weight_bits 5"):
        quantizers.GPTQConfig(None, None, weight_bits=5)
    with pytest.raises(ValueError, match="AWQ only supports 4-bit"):
        quantizers.AWQConfig(None, None, weight_bits=8)


@pytest.mark.parametrize(
    "name",
    [
        "int8_from_float32",
        "int8_from_mixed_bfloat16",
        "int4/128_from_float32",
        "int4/-1_from_float32",
        "float8_from_float32",
        "gptq/4/128_from_float32",
        "awq/4/-1_from_float32",
        "mixed_float16",
        "float32",
    ],
)
def test_dtype_policies_match_keras(name):
    ours, theirs = dtype_policies.get(name), keras.dtype_policies.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert (ours.name, ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == (
        theirs.name,
        theirs.compute_dtype,
        theirs.variable_dtype,
        theirs.quantization_mode,
    )
    config = dtype_policies.serialize(ours)
    assert config == keras.dtype_policies.serialize(theirs)
    assert keras.dtype_policies.deserialize(config).name == name
    assert dtype_policies.deserialize(config) == ours


def test_dtype_policy_errors_and_map():
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        dtype_policies.QuantizedDTypePolicy("int2", "float32")
    with pytest.raises(ValueError, match="doesn't work well with compute_dtype='float16'"):
        dtype_policies.get("int8_from_float16")
    with pytest.raises(ValueError, match="Expected format 'int4/<block_size>'"):
        dtype_policies.Int4DTypePolicy("int4", "float32")
    policies = dtype_policies.DTypePolicyMap("float32")
    policies["dense.*"] = "int8_from_float32"
    assert policies["dense_1"].name == "int8_from_float32"
    assert policies["conv"].name == "float32"
    with pytest.raises(ValueError, match="already exist"):
        policies["dense.*"] = "float32"
    config = dtype_policies.serialize(policies)
    theirs = keras.dtype_policies.deserialize(config)
    assert theirs["dense_1"].name == "int8_from_float32"
    assert dtype_policies.deserialize(config) == policies
