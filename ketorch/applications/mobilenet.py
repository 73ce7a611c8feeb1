"""MobileNet (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications", 2017): depthwise separable convolutions, with a width
multiplier `alpha` and a depth multiplier. Inputs are preprocessed in ``"tf"`` mode."""

from __future__ import annotations

import warnings
from typing import Any

from ketorch import backend, layers
from ketorch.applications import _builder, imagenet_utils

__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
_SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of the 13 depthwise separable blocks
_BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
    (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)  # fmt: skip


def _rows_cols(input_shape: tuple) -> tuple:
    return input_shape[:2] if _builder.channels_last() else input_shape[1:]


def weights_file_name(alpha: float, rows: int, include_top: bool) -> str:
    """Keras's file name for the ImageNet weights of one width and input size."""
    tail = "" if include_top else "_no_top"
    return f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{tail}.h5"


def _conv_block(x: Any, filters: int, alpha: float, strides: int) -> Any:
    x = layers.Conv2D(
        int(filters * alpha), 3, padding="same", use_bias=False, strides=strides, name="conv1"
    )(x)
    x = layers.BatchNormalization(axis=-1 if _builder.channels_last() else 1, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_block(x, filters, alpha, depth_multiplier, strides, block_id) -> Any:
    axis = -1 if _builder.channels_last() else 1
    if strides != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        3,
        padding="same" if strides == 1 else "valid",
        depth_multiplier=depth_multiplier,
        strides=strides,
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(filters * alpha), 1, padding="same", use_bias=False, name=f"conv_pw_{block_id}"
    )(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(
    input_shape: Any = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """Builds MobileNet, optionally with ImageNet weights (default input 224x224x3).

    Args:
        input_shape: ``(height, width, channels)``; ImageNet weights exist for square
            inputs of 128, 160, 192 or 224 pixels (other sizes get the 224 weights).
        alpha: Width multiplier; ImageNet weights exist for 0.25, 0.5, 0.75 and 1.0.
        depth_multiplier: Depthwise convolutions' channel multiplier (1 with ImageNet
            weights).
        dropout: Dropout rate before the classifier.
        include_top: Keep the classifier (pooling, dropout, 1x1 convolution, softmax).
        weights: None (random initialization), ``"imagenet"`` or a weights file path.
        input_tensor: Optional tensor (e.g. from ``keras.Input``) to use as image input.
        pooling: Without the top: None (4D output), ``"avg"`` or ``"max"`` global pooling.
        classes: Number of classes (1000 with ImageNet weights and the top).
        classifier_activation: Activation of the last layer (None for logits).
        name: Model name; by default ``mobilenet_{alpha:.2f}_{rows}``.

    Returns:
        A Functional model.
    """
    _builder.check_common_args(weights, include_top, classes, pooling, classifier_activation)
    default_size = 224
    if input_shape is not None:
        rows, cols = _rows_cols(input_shape)
        if rows == cols and rows in _SIZES:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = _rows_cols(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, depth multiplier must be 1.  "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in _ALPHA_TEXT:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.25`, `0.50`, "
                f"`0.75` or `1.0` only.  Received alpha={alpha}"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                "as the default.",
                stacklevel=2,
            )
    img_input = _builder.image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=2)
    for block_id, (filters, strides) in enumerate(_BLOCKS, 1):
        x = _depthwise_block(x, filters, alpha, depth_multiplier, strides, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, 1, padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _builder.global_pool(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    imagenet_file = None
    if weights == "imagenet":
        file_name = weights_file_name(alpha, rows, include_top)
        imagenet_file = (file_name, BASE_WEIGHTS_URL + file_name, None)
    return _builder.make_model(
        _builder.model_inputs(input_tensor, img_input), x, name, weights, "MobileNet",
        imagenet_file,
    )  # fmt: skip


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales [0, 255] images to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
