"""The shared layer contract: every layer test calls ``run_layer_contract``."""

from __future__ import annotations

import numpy as np
import torch

import ketorch


def _make_input(shape, dtype, int_high):
    if dtype.startswith("int"):
        return torch.randint(0, int_high, shape)
    return torch.randn(shape)


def _flat(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


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
    multi_input=None,
):
    """Check config round trip, weights, output shape, symbolic shape and one training step.

    Args:
        multi_input: ``None`` for one input of ``input_shape``; ``"list"`` when
            the layer takes a list of tensors (merging layers); ``"args"`` when it
            takes them as positional arguments (attention layers). For both,
            ``input_shape`` is a list of shapes.
    """
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, "get_config/from_config round trip changed the config"

    shapes = list(input_shape) if multi_input else [input_shape]
    xs = [_make_input(s, input_dtype, int_high) for s in shapes]

    def call(lay, inputs, **kwargs):
        if multi_input == "list":
            return lay(inputs, **kwargs)
        if multi_input == "args":
            return lay(*inputs, **kwargs)
        return lay(inputs[0], **kwargs)

    y = call(layer, xs)
    assert layer.built
    real_shapes = [tuple(t.shape) for t in _flat(y)]
    if expected_output_shape is not None:
        expected = (
            expected_output_shape
            if isinstance(expected_output_shape, list)
            else [expected_output_shape]
        )
        assert real_shapes == [tuple(e) for e in expected], (real_shapes, expected)
    # compute_output_shape (via a symbolic call) agrees with the real output.
    symbolic = layer_cls(**init_kwargs)
    kts = [ketorch.Input(batch_shape=(None,) + tuple(s[1:]), dtype=input_dtype) for s in shapes]
    sym_shapes = [t.shape for t in _flat(call(symbolic, kts))]
    assert len(sym_shapes) == len(real_shapes)
    for s, r in zip(sym_shapes, real_shapes):
        assert len(s) == len(r), (sym_shapes, real_shapes)
        for ds, dr in zip(s[1:], r[1:]):
            assert ds is None or ds == dr, (sym_shapes, real_shapes)
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
    if run_training_check and layer.trainable_weights:
        before = [w.detach().clone() for w in layer.trainable_weights]
        opt = torch.optim.SGD(layer.trainable_weights, lr=0.1)
        out = _flat(call(layer, xs, training=True))[0]
        (out.float() ** 2).mean().backward()
        opt.step()
        changed = [not torch.equal(b, w.detach()) for b, w in zip(before, layer.trainable_weights)]
        assert any(changed), "one SGD step did not change any weight"
    return layer
