"""MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
CVPR 2018). Inputs are preprocessed in ``"tf"`` mode ([-1, 1])."""

from __future__ import annotations

import warnings
from typing import Any

from ketorch import backend, layers
from ketorch.applications import _builder, imagenet_utils

__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of the 17 inverted residual blocks
_BLOCKS = (
    (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
    (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6),
    (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
)  # fmt: skip


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """`v` rounded to a multiple of `divisor`, never more than 10% below `v`."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


def _bn(name: str) -> Any:
    axis = -1 if _builder.channels_last() else 1
    return layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs: Any, expansion, stride, alpha, filters, block_id) -> Any:
    in_channels = inputs.shape[-1 if _builder.channels_last() else 1]
    out_channels = make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        pad = imagenet_utils.correct_pad(x, 3)
        x = layers.ZeroPadding2D(pad, name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(out_channels, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == out_channels and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _size_of(shape: Any) -> Any:
    rows, cols = shape[:2] if _builder.channels_last() else shape[1:]
    return rows if rows == cols and rows in _SIZES else 224


def MobileNetV2(
    input_shape: Any = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """Builds MobileNetV2, optionally with ImageNet weights (default input 224x224x3).

    Args:
        input_shape: ``(height, width, channels)``; ImageNet weights exist for square
            inputs of 96, 128, 160, 192 or 224 pixels (others get the 224 weights).
        alpha: Width multiplier; ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3, 1.4.
        include_top: Keep the classifier (global average pooling and dense layer).
        weights: None (random initialization), ``"imagenet"`` or a weights file path.
        input_tensor: Optional tensor (e.g. from ``keras.Input``) to use as image input.
        pooling: Without the top: None (4D output), ``"avg"`` or ``"max"`` global pooling.
        classes: Number of classes (1000 with ImageNet weights and the top).
        classifier_activation: Activation of the last layer (None for logits).
        name: Model name; by default ``mobilenetv2_{alpha:.2f}_{rows}``.

    Returns:
        A Functional model.
    """
    _builder.check_common_args(weights, include_top, classes, pooling, classifier_activation)
    if input_tensor is not None and not backend.is_keras_tensor(input_tensor):
        if not hasattr(input_tensor, "shape"):
            raise ValueError(
                "input_tensor must be a valid Keras tensor type; Received "
                f"{input_tensor} of type {type(input_tensor)}"
            )
    if input_shape is not None and input_tensor is not None:
        width_axis = 2 if _builder.channels_last() else 1
        if tuple(input_tensor.shape)[width_axis] != input_shape[1]:
            raise ValueError(
                "input_shape must match the shape of input_tensor; Received "
                f"`input_tensor.shape={tuple(input_tensor.shape)}`, `input_shape={input_shape}`"
            )
    if input_shape is not None:
        default_size = _size_of(input_shape)
    elif input_tensor is not None and backend.is_keras_tensor(input_tensor):
        default_size = _size_of(tuple(input_tensor.shape)[1:])
    else:
        default_size = 224
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = input_shape[:2] if _builder.channels_last() else input_shape[1:]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                "loaded as the default.",
                stacklevel=2,
            )
    img_input = _builder.image_input(input_tensor, input_shape)
    x = layers.Conv2D(
        make_divisible(32 * alpha, 8), 3, strides=2, padding="same", use_bias=False, name="Conv1"
    )(img_input)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, 1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.global_pool(x, pooling)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    imagenet_file = None
    if weights == "imagenet":
        tail = "" if include_top else "_no_top"
        file_name = (
            f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{tail}.h5"
        )
        imagenet_file = (file_name, BASE_WEIGHTS_URL + file_name, None)
    return _builder.make_model(
        _builder.model_inputs(input_tensor, img_input), x, name, weights, "MobileNetV2",
        imagenet_file,
    )  # fmt: skip


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales [0, 255] images to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
