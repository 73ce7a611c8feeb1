"""The shared layer contract: every layer test calls ``run_layer_contract``."""

from __future__ import annotations

import numpy as np
import torch

import ketorch


def run_layer_contract(
    layer_cls,
    init_kwargs,
    input_shape,
    input_dtype="float32",
    expected_output_shape=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    run_training_check=True,
    supports_masking=None,
    int_high=10,
):
    """Check config round trip, weights, output shape, symbolic shape and one training step."""
    layer = layer_cls(**init_kwargs)
    # Config round trip.
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, "get_config/from_config round trip changed the config"
    # Eager call.
    if input_dtype.startswith("int"):
        x = torch.randint(0, int_high, input_shape)
    else:
        x = torch.randn(input_shape)
    y = layer(x)
    assert layer.built
    if expected_output_shape is not None:
        out_shapes = [tuple(t.shape) for t in (y if isinstance(y, (list, tuple)) else [y])]
        expected = expected_output_shape
        if not isinstance(expected, list):
            expected = [expected]
        assert out_shapes == [tuple(e) for e in expected], (out_shapes, expected)
    # compute_output_shape agrees with the real output.
    symbolic = layer_cls(**init_kwargs)
    kt = ketorch.Input(batch_shape=(None,) + tuple(input_shape[1:]), dtype=input_dtype)
    sym_out = symbolic(kt)
    sym_shapes = [t.shape for t in (sym_out if isinstance(sym_out, (list, tuple)) else [sym_out])]
    real_shapes = [tuple(t.shape) for t in (y if isinstance(y, (list, tuple)) else [y])]
    for s, r in zip(sym_shapes, real_shapes):
        assert len(s) == len(r)
        for ds, dr in zip(s[1:], r[1:]):
            assert ds is None or ds == dr, (sym_shapes, real_shapes)
    # Weight counts and get/set_weights.
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    weights = layer.get_weights()
    layer.set_weights(weights)
    for a, b in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all(isinstance(w, torch.nn.Parameter) for w in layer.weights)
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking
    # One training step changes the trainable weights.
    if run_training_check and layer.trainable_weights:
        before = [w.detach().clone() for w in layer.trainable_weights]
        opt = torch.optim.SGD(layer.trainable_weights, lr=0.1)
        out = layer(x, training=True)
        out = out[0] if isinstance(out, (list, tuple)) else out
        (out.float() ** 2).mean().backward()
        opt.step()
        changed = [not torch.equal(b, w.detach()) for b, w in zip(before, layer.trainable_weights)]
        assert any(changed), "one SGD step did not change any weight"
    return layer
