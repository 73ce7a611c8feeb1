"""``keras.ops.nn``: bad arguments raise errors naming the op; symbolic shapes of the
convolution-like ops (whose kernels the parity harness cannot keep fully known)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ketorch import ops  # noqa: E402
from ketorch.layers.node import KerasTensor  # noqa: E402

X = torch.randn(2, 3, 4)
IMG = torch.randn(2, 6, 6, 3)


@pytest.mark.parametrize(
    "name, call",
    [
        ("softmax", lambda: ops.softmax(X, axis=3)),
        ("softmax", lambda: ops.softmax(X, axis=(0, 5))),
        ("log_softmax", lambda: ops.log_softmax(X, axis=-4)),
        ("sparsemax", lambda: ops.sparsemax(X, axis=3)),
        ("glu", lambda: ops.glu(X, axis=1)),
        ("glu", lambda: ops.glu(X, axis=7)),
        ("conv", lambda: ops.conv(X[0], torch.randn(3, 4, 2))),
        ("conv", lambda: ops.conv(IMG, torch.randn(3, 3, 3))),
        ("conv", lambda: ops.conv(IMG, torch.randn(3, 3, 2, 4))),
        ("conv", lambda: ops.conv(IMG, torch.randn(3, 3, 3, 4), padding="full")),
        ("conv", lambda: ops.conv(IMG, torch.randn(3, 3, 3, 4), strides=(1, 2, 3))),
        ("conv", lambda: ops.conv(IMG, torch.randn(3, 3, 3, 4), strides=0)),
        ("conv", lambda: ops.conv(IMG, torch.randn(3, 3, 3, 4), data_format="NHWC")),
        ("conv", lambda: ops.conv(IMG, torch.randn(9, 9, 3, 4))),
        ("depthwise_conv", lambda: ops.depthwise_conv(IMG, torch.randn(3, 3, 2, 2))),
        (
            "separable_conv",
            lambda: ops.separable_conv(IMG, torch.randn(3, 3, 3, 2), torch.randn(1, 1, 5, 4)),
        ),
        ("conv_transpose", lambda: ops.conv_transpose(IMG, torch.randn(3, 3, 4, 2))),
        (
            "conv_transpose",
            lambda: ops.conv_transpose(IMG, torch.randn(3, 3, 4, 3), output_padding=-1),
        ),
        ("max_pool", lambda: ops.max_pool(IMG, 2, padding="causal")),
        ("max_pool", lambda: ops.max_pool(X[0], 2)),
        ("max_pool", lambda: ops.max_pool(IMG, 8)),
        ("average_pool", lambda: ops.average_pool(IMG, (2, 2, 2))),
        ("adaptive_average_pool", lambda: ops.adaptive_average_pool(IMG, (2, 2, 2))),
        ("adaptive_max_pool", lambda: ops.adaptive_max_pool(torch.randn(2, 3), 2)),
        ("one_hot", lambda: ops.one_hot(torch.tensor([1, 2]), 3, sparse=True)),
        ("one_hot", lambda: ops.one_hot(torch.tensor([1, 2]), 3, axis=2)),
        ("one_hot", lambda: ops.one_hot(torch.tensor([1, 2]), 0)),
        ("multi_hot", lambda: ops.multi_hot(torch.tensor([[1, 2]]))),
        ("binary_crossentropy", lambda: ops.binary_crossentropy(X, X[0])),
        ("categorical_crossentropy", lambda: ops.categorical_crossentropy(X, X[..., :2])),
        ("categorical_crossentropy", lambda: ops.categorical_crossentropy(X, X, axis=3)),
        (
            "sparse_categorical_crossentropy",
            lambda: ops.sparse_categorical_crossentropy(torch.tensor([1, 2]), X),
        ),
        ("moments", lambda: ops.moments(X, axes=[0, 3])),
        ("batch_normalization", lambda: ops.batch_normalization(X, X[0, 0], X[0, 0], axis=1)),
        ("batch_normalization", lambda: ops.batch_normalization(X, X[0, 0], X[0, 0], axis=5)),
        ("layer_normalization", lambda: ops.layer_normalization(X, axis=3)),
        ("layer_normalization", lambda: ops.layer_normalization(X, gamma=torch.ones(5))),
        ("rms_normalization", lambda: ops.rms_normalization(X, scale=torch.ones(3))),
        ("normalize", lambda: ops.normalize(X, order=0)),
        ("normalize", lambda: ops.normalize(X, axis=4)),
        ("psnr", lambda: ops.psnr(X, X[0], 1.0)),
        ("unfold", lambda: ops.unfold(X, 2)),
        ("fold", lambda: ops.fold(IMG, 4, 2)),
        ("depth_to_space", lambda: ops.depth_to_space(IMG, 2)),
        ("depth_to_space", lambda: ops.depth_to_space(torch.randn(1, 2, 2, 8), 1)),
        ("space_to_depth", lambda: ops.space_to_depth(torch.randn(1, 3, 4, 2), 2)),
        ("space_to_depth", lambda: ops.space_to_depth(X, 2)),
        ("dot_product_attention", lambda: ops.dot_product_attention(X, X, X)),
        (
            "dot_product_attention",
            lambda: ops.dot_product_attention(
                IMG, IMG, IMG, bias=torch.zeros(1), mask=torch.ones(1, dtype=torch.bool)
            ),
        ),
        (
            "dot_product_attention",
            lambda: ops.dot_product_attention(IMG, IMG[:, :, :4], IMG[:, :, :4]),
        ),
        (
            "ctc_decode",
            lambda: ops.ctc_decode(torch.randn(2, 5, 3), torch.tensor([5, 5]), strategy="viterbi"),
        ),
        (
            "ctc_decode",
            lambda: ops.ctc_decode(
                torch.randn(2, 5, 3), torch.tensor([5, 5]), strategy="beam_search", beam_width=0
            ),
        ),
        ("ctc_decode", lambda: ops.ctc_decode(torch.randn(5, 3), torch.tensor([5]))),
        (
            "ctc_loss",
            lambda: ops.ctc_loss(
                torch.ones(3, 2, dtype=torch.int32),
                torch.randn(2, 5, 4),
                torch.tensor([2, 2]),
                torch.tensor([5, 5]),
            ),
        ),
    ],
)
def test_bad_arguments_name_the_op(name, call):
    with pytest.raises((ValueError, TypeError), match=f"ops.{name}"):
        call()


def test_relu_on_bool_is_a_value_error():
    with pytest.raises(ValueError, match="ops.relu"):
        ops.relu(torch.tensor([True, False]))


# Symbolic shape inference with fully known kernels (batch axis unknown), against Keras.
SYMBOLIC = [
    ("conv", [(None, 7, 6, 3), (3, 3, 3, 4)], {}),
    ("conv", [(None, 7, 6, 3), (3, 2, 3, 4)], {"strides": 2, "dilation_rate": 1}),
    ("conv", [(None, 3, 9), (2, 3, 5)], {"data_format": "channels_first", "strides": 2}),
    ("conv", [(None, 5, 6, 4, 2), (2, 2, 2, 2, 3)], {"padding": "same", "strides": 2}),
    ("depthwise_conv", [(None, 7, 6, 3), (3, 3, 3, 2)], {"strides": 2}),
    ("conv_transpose", [(None, 7, 6, 3), (3, 3, 4, 3)], {"strides": 2}),
    ("conv_transpose", [(None, 7, 6, 3), (3, 3, 4, 3)], {"strides": 2, "padding": "same"}),
    ("conv_transpose", [(None, 5, 3), (3, 2, 3)], {"strides": 3, "output_padding": 1}),
    ("max_pool", [(None, 7, 6, 3)], {"pool_size": 3, "strides": 2}),
    ("average_pool", [(None, 7, 6, 3)], {"pool_size": 2, "padding": "same"}),
    (
        "adaptive_average_pool",
        [(None, 3, 9, 8)],
        {"output_size": (2, 3), "data_format": "channels_first"},
    ),
    ("ctc_loss", [(3, 4), (3, 9, 5), (3,), (3,)], {}),
    ("sparse_categorical_crossentropy", [(2, 3), (2, 3, 4)], {}),
]


@pytest.mark.parametrize("name, shapes, kwargs", SYMBOLIC, ids=[s[0] for s in SYMBOLIC])
def test_symbolic_shapes_with_known_kernels(name, shapes, kwargs):
    dtypes = ["int32" if name == "ctc_loss" and i != 1 else "float32" for i in range(len(shapes))]
    if name == "sparse_categorical_crossentropy":
        dtypes[0] = "int32"
        shapes = [(None,) + shapes[0][1:], (None,) + shapes[1][1:]]
    want = getattr(keras.ops, name)(
        *[keras.KerasTensor(s, d) for s, d in zip(shapes, dtypes)], **kwargs
    )
    got = getattr(ops, name)(*[KerasTensor(s, d) for s, d in zip(shapes, dtypes)], **kwargs)
    assert isinstance(got, KerasTensor)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.dtype == want.dtype


def test_symbolic_ctc_decode_and_moments():
    paths, scores = ops.ctc_decode(
        KerasTensor((None, 8, 5)),
        KerasTensor((None,), "int32"),
        strategy="beam_search",
        top_paths=3,
    )
    assert paths.shape == (3, None, 8) and paths.dtype == "int32"
    assert scores.shape == (None, 3) and scores.dtype == "float32"
    mean, var = ops.moments(KerasTensor((None, 4, 5)), axes=[0, 1], keepdims=True)
    assert mean.shape == (1, 1, 5) and var.shape == (1, 1, 5)


def test_swish_aliases_are_keras_silu_ops():
    assert ops.swish is ops.silu and ops.hard_swish is ops.hard_silu
    assert ops.nn.swish is ops.silu
