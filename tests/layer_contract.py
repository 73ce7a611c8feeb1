"""The shared layer contract: every layer test calls ``run_layer_contract``.

The contract checks, for one layer class and constructor arguments:

1. ``get_config``/``from_config`` round trip;
2. a call on real tensors builds the layer; the output shape is the expected one;
3. ``compute_output_shape`` (direct, and through a symbolic call) equals the real shape;
4. weight counts, ``get_weights``/``set_weights``, weights are ``nn.Parameter``s;
5. a ``.keras`` save/load round trip of a one-layer model gives equal weights and outputs;
6. masking as Keras: ``supports_masking`` and, for inputs that carry a ``(batch, steps)``
   ``_keras_mask``, the output and its mask equal Keras's for the same weights;
7. one SGD step changes every trainable weight.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


def _make_input(shape, dtype, int_high):
    if dtype.startswith("int"):
        return torch.randint(0, int_high, shape)
    return torch.randn(shape)


def _flat(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _shape_list(shapes):
    """``compute_output_shape``'s answer as a list of tuples (one per output)."""
    if isinstance(shapes, (list, tuple)) and shapes and isinstance(shapes[0], (list, tuple)):
        return [tuple(s) for s in shapes]
    return [tuple(shapes)]


def _numpy(x):
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


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
    run_saving_check=True,
    run_mask_check=True,
    unchanged_weights=(),
):
    """Run the contract; return the layer built and trained by it.

    Args:
        multi_input: ``None`` for one input of ``input_shape``; ``"list"`` when
            the layer takes a list of tensors (merging layers); ``"args"`` when it
            takes them as positional arguments (attention layers). For both,
            ``input_shape`` is a list of shapes.
        run_saving_check: Save a one-layer model as ``.keras``, load it, compare.
        run_mask_check: Compare masking behaviour with Keras's layer of the same name.
        unchanged_weights: Names of trainable weights allowed to stay unchanged by a
            training step (a gradient that is zero by construction); the caller says why.
    """
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, "get_config/from_config round trip changed the config"

    shapes = [tuple(s) for s in input_shape] if multi_input else [tuple(input_shape)]
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
    _check_compute_output_shape(layer, layer_cls, init_kwargs, shapes, input_dtype, call,
                                multi_input, real_shapes)  # fmt: skip
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
    if run_saving_check:
        _check_save_load(layer_cls, config, shapes, input_dtype, xs, call)
    if run_mask_check:
        _check_masking(layer, layer_cls, xs, call)
    if run_training_check and layer.trainable_weights:
        _check_training_step(layer, xs, call, unchanged_weights)
    return layer


def _check_compute_output_shape(
    layer, layer_cls, init_kwargs, shapes, dtype, call, multi_input, real_shapes
):
    # Direct: with the real batch size the answer is the real shape; with an unknown
    # batch size, the batch dimension is unknown and the rest is the same.
    def compute(batch):
        args = [(batch,) + s[1:] for s in shapes]
        if multi_input == "list":
            return _shape_list(layer.compute_output_shape(args))
        return _shape_list(layer.compute_output_shape(*args))

    assert compute(shapes[0][0]) == real_shapes, (compute(shapes[0][0]), real_shapes)
    unknown = compute(None)
    assert [s[1:] for s in unknown] == [s[1:] for s in real_shapes], (unknown, real_shapes)
    assert all(s[0] in (None, r[0]) for s, r in zip(unknown, real_shapes)), unknown
    # Through a symbolic call (the Functional API), on a fresh layer.
    symbolic = layer_cls(**init_kwargs)
    kts = [ketorch.Input(batch_shape=(None,) + s[1:], dtype=dtype) for s in shapes]
    sym_shapes = [tuple(t.shape) for t in _flat(call(symbolic, kts))]
    assert len(sym_shapes) == len(real_shapes)
    for s, r in zip(sym_shapes, real_shapes):
        assert len(s) == len(r), (sym_shapes, real_shapes)
        for ds, dr in zip(s[1:], r[1:]):
            assert ds is None or ds == dr, (sym_shapes, real_shapes)


def _check_save_load(layer_cls, config, shapes, dtype, xs, call):
    """A one-layer Functional model survives ``.keras`` save/load: same weights and outputs."""
    inputs = [ketorch.Input(batch_shape=(None,) + s[1:], dtype=dtype) for s in shapes]
    outputs = call(layer_cls.from_config(config), inputs)
    model = ketorch.Model(inputs if len(inputs) > 1 else inputs[0], outputs)
    before = [_numpy(o) for o in _flat(model(xs if len(xs) > 1 else xs[0]))]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = ketorch.models.load_model(path)
    assert [type(lay).__name__ for lay in loaded.layers] == [
        type(lay).__name__ for lay in model.layers
    ]
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    after = [_numpy(o) for o in _flat(loaded(xs if len(xs) > 1 else xs[0]))]
    assert len(before) == len(after)
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _masks_for(xs):
    """A ``(batch, steps)`` mask for each input of rank >= 3 (or rank 2 integer tokens)."""
    gen = torch.Generator().manual_seed(7)
    masks = []
    for x in xs:
        if x.ndim >= 3 or (x.ndim == 2 and not x.is_floating_point()):
            m = torch.rand(tuple(x.shape[:2]), generator=gen) > 0.4
            m[:, 0] = True  # every sample keeps a step
            masks.append(m)
        else:
            masks.append(None)
    return masks


def _with_masks(xs, masks):
    out = []
    for x, m in zip(xs, masks):
        x = x.clone()
        if m is not None:
            x._keras_mask = m
        out.append(x)
    return out


def _check_masking(layer, layer_cls, xs, call):
    """``supports_masking`` and, for masked inputs, output and output mask equal Keras's."""
    if getattr(keras.layers, layer_cls.__name__, None) is None:
        return  # a ketorch-only layer: no oracle
    theirs = keras.saving.deserialize_keras_object(ketorch.saving.serialize_keras_object(layer))
    assert bool(layer.supports_masking) == bool(theirs.supports_masking), (
        f"supports_masking: ours {layer.supports_masking}, Keras {theirs.supports_masking}"
    )
    masks = _masks_for(xs)
    if all(m is None for m in masks):
        return
    ours = type(layer).from_config(layer.get_config())
    try:
        call(theirs, _with_masks(xs, masks))  # builds
    except ValueError as keras_error:
        # Keras rejects this mask (e.g. Softmax wants one broadcastable to the inputs).
        with pytest.raises(ValueError, match="mask"):
            call(ours, _with_masks(xs, masks))
        assert "mask" in str(keras_error)
        return
    call(ours, _with_masks(xs, masks))
    ours.set_weights(layer.get_weights())
    theirs.set_weights(layer.get_weights())
    got = _flat(call(ours, _with_masks(xs, masks)))
    expected = _flat(call(theirs, _with_masks(xs, masks)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(_numpy(g), _numpy(e), rtol=1e-5, atol=1e-5)
        g_mask, e_mask = getattr(g, "_keras_mask", None), getattr(e, "_keras_mask", None)
        assert (g_mask is None) == (e_mask is None), (
            f"output mask: ours {'none' if g_mask is None else 'set'}, "
            f"Keras {'none' if e_mask is None else 'set'}"
        )
        if g_mask is not None:
            np.testing.assert_array_equal(_numpy(g_mask), _numpy(e_mask))


def _check_training_step(layer, xs, call, unchanged_weights):
    """One SGD step on a regression loss towards a random target changes every weight."""
    weights = layer.trainable_weights
    before = [w.detach().clone() for w in weights]
    opt = torch.optim.SGD(weights, lr=0.1)
    out = _flat(call(layer, xs, training=True))
    gen = torch.Generator().manual_seed(3)
    loss = sum(
        ((o.float() - torch.randn(tuple(o.shape), generator=gen)) ** 2).mean()
        for o in out
        if o.is_floating_point()
    )
    loss.backward()
    opt.step()
    unchanged = [
        w.name
        for b, w in zip(before, weights)
        if torch.equal(b, w.detach()) and w.name not in unchanged_weights
    ]
    assert not unchanged, f"one SGD step did not change these trainable weights: {unchanged}"
