"""InceptionV3 (Szegedy et al., "Rethinking the Inception Architecture for Computer
Vision", CVPR 2016). Inputs are preprocessed in ``"tf"`` mode ([-1, 1])."""

from __future__ import annotations

from typing import Any

from ketorch import layers
from ketorch.applications import _builder, imagenet_utils

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS = {  # include_top -> (file name, md5)
    True: (
        "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "9a0d58056eeedaa3f26cb7ebd46da564",
    ),
    False: (
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
}


def conv2d_bn(x, filters, rows, cols, padding="same", strides=(1, 1), name=None) -> Any:
    """Convolution (no bias), batch norm without scale, ReLU."""
    x = layers.Conv2D(
        filters, (rows, cols), strides=strides, padding=padding, use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(
        axis=_builder.bn_axis(), scale=False, name=None if name is None else f"{name}_bn"
    )(x)
    return layers.Activation("relu", name=name)(x)


def _avg_branch(x: Any, filters: int) -> Any:
    y = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    return conv2d_bn(y, filters, 1, 1)


def _mixed_35(x: Any, pool_filters: int, name: str) -> Any:
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    bp = _avg_branch(x, pool_filters)
    return layers.concatenate([b1, b5, b3, bp], axis=_builder.bn_axis(), name=name)


def _mixed_17(x: Any, width: int, name: str) -> Any:
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(x, width, 1, 1)
    b7 = conv2d_bn(b7, width, 1, 7)
    b7 = conv2d_bn(b7, 192, 7, 1)
    d7 = conv2d_bn(x, width, 1, 1)
    for filters, (r, c) in ((width, (7, 1)), (width, (1, 7)), (width, (7, 1)), (192, (1, 7))):
        d7 = conv2d_bn(d7, filters, r, c)
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b7, d7, bp], axis=_builder.bn_axis(), name=name)


def _mixed_8(x: Any, i: int) -> Any:
    axis = _builder.bn_axis()
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = layers.concatenate(
        [conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], axis=axis, name=f"mixed9_{i}"
    )
    d3 = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    d3 = layers.concatenate([conv2d_bn(d3, 384, 1, 3), conv2d_bn(d3, 384, 3, 1)], axis=axis)
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b3, d3, bp], axis=axis, name=f"mixed{9 + i}")


def InceptionV3(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_v3",
) -> Any:
    """Builds InceptionV3, optionally with ImageNet weights (default input 299x299x3).

    Args:
        include_top: Keep the classifier (global average pooling and dense layer).
        weights: None (random initialization), ``"imagenet"`` or a weights file path.
        input_tensor: Optional tensor (e.g. from ``keras.Input``) to use as image input.
        input_shape: ``(height, width, channels)``, only needed without the top;
            height and width at least 75.
        pooling: Without the top: None (4D output), ``"avg"`` or ``"max"`` global pooling.
        classes: Number of classes (1000 with ImageNet weights and the top).
        classifier_activation: Activation of the last layer (None for logits).
        name: Model name.

    Returns:
        A Functional model.
    """
    img_input, _ = _builder.begin(
        weights, include_top, classes, pooling, classifier_activation, input_tensor,
        input_shape, default_size=299, min_size=75,
    )  # fmt: skip
    axis = _builder.bn_axis()
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = _mixed_35(x, 32, "mixed0")
    x = _mixed_35(x, 64, "mixed1")
    x = _mixed_35(x, 64, "mixed2")
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    d3 = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    d3 = conv2d_bn(d3, 96, 3, 3, strides=(2, 2), padding="valid")
    bp = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.concatenate([b3, d3, bp], axis=axis, name="mixed3")
    x = _mixed_17(x, 128, "mixed4")
    x = _mixed_17(x, 160, "mixed5")
    x = _mixed_17(x, 160, "mixed6")
    x = _mixed_17(x, 192, "mixed7")
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(b7, 192, 1, 7)
    b7 = conv2d_bn(b7, 192, 7, 1)
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    bp = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.concatenate([b3, b7, bp], axis=axis, name="mixed8")
    x = _mixed_8(x, 0)
    x = _mixed_8(x, 1)
    x = _builder.classifier_head(x, include_top, pooling, classes, classifier_activation)
    file_name, file_hash = WEIGHTS[bool(include_top)]
    return _builder.finish(
        input_tensor, img_input, x, name, weights, "InceptionV3", file_name, BASE_WEIGHTS_URL,
        file_hash,
    )  # fmt: skip


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales [0, 255] images to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
