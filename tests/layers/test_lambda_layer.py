import json

import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy

import ketorch
from ketorch import activations
from ketorch.layers.core import Lambda


def double(x):
    return x * 2.0


def test_contract_named_function():
    run_layer_contract(Lambda, {"function": activations.relu}, (2, 3), expected_output_shape=(2, 3))


def test_matches_keras(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    got = Lambda(lambda t, k: t * k + 1.0, arguments={"k": 3.0})(torch.as_tensor(x))
    expected = keras.layers.Lambda(lambda t, k: t * k + 1.0, arguments={"k": 3.0})(x)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), atol=1e-6)


def test_output_shape_inferred_given_or_callable():
    inp = ketorch.Input((6,))
    assert Lambda(lambda t: t[:, :2])(inp).shape == (None, 2)
    assert Lambda(lambda t: t[:, :2], output_shape=(2,))(inp).shape == (None, 2)
    assert Lambda(lambda t: t[:, :2], output_shape=lambda s: (s[0], 2))(inp).shape == (None, 2)
    a, b = Lambda(lambda t: [t, t[:, :1]], output_shape=[(6,), (1,)])(inp)
    assert (a.shape, b.shape) == ((None, 6), (None, 1))


def test_mask_and_training_arguments():
    seen = {}

    def fn(x, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return x

    x = torch.ones(2, 3, 1)
    x._keras_mask = torch.tensor([[True, True, False]] * 2)
    Lambda(fn)(x, training=True)
    assert torch.equal(seen["mask"], x._keras_mask) and seen["training"] is True
    # Without `mask=`, the layer drops masks (as Keras); with a callable, it computes one.
    assert getattr(Lambda(double)(x), "_keras_mask", None) is None
    out = Lambda(double, mask=lambda inputs, m: m)(x)
    assert torch.equal(out._keras_mask, x._keras_mask)


def test_config_named_function_keras_format():
    config = Lambda(double, output_shape=(3,)).get_config()
    theirs = keras.layers.Lambda(double, output_shape=(3,)).get_config()
    assert config["function"] == theirs["function"]
    assert config["output_shape"] == theirs["output_shape"] and config["arguments"] == {}
    with pytest.raises(ValueError, match=r"Could not find the function 'double'.*custom_objects"):
        Lambda.from_config(config)
    clone = Lambda.from_config(json.loads(json.dumps(config)), custom_objects={"double": double})
    assert clone.function is double and clone(torch.ones(1, 3)).tolist() == [[2.0, 2.0, 2.0]]


def test_python_lambda_needs_unsafe_mode():
    config = Lambda(lambda t: t + 5.0, mask=lambda i, m: m).get_config()
    assert config["function"]["class_name"] == "__lambda__"
    config = json.loads(json.dumps(config))
    with pytest.raises(ValueError, match=r"safe_mode=False"):
        Lambda.from_config(config)
    clone = Lambda.from_config(config, safe_mode=False)
    assert clone(torch.zeros(1, 2)).tolist() == [[5.0, 5.0]]
    assert clone.supports_masking


def test_lambda_config_from_keras_loads_in_unsafe_mode():
    config = keras.layers.Lambda(lambda t: t * 3.0).get_config()
    clone = Lambda.from_config(config, safe_mode=False)
    assert clone(torch.ones(1, 2)).tolist() == [[3.0, 3.0]]


def test_errors():
    with pytest.raises(TypeError, match=r"Received: function=3"):
        Lambda(3)
    with pytest.raises(TypeError, match=r"Received: arguments=\[1\]"):
        Lambda(double, arguments=[1])
