"""MobileNetV3 Small and Large (Howard et al., "Searching for MobileNetV3", ICCV 2019).

The models rescale their [0, 255] inputs themselves (``include_preprocessing``), so
`preprocess_input` passes images through unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ketorch import backend, layers
from ketorch.applications import _builder, imagenet_utils
from ketorch.applications.mobilenet_v2 import make_divisible

__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
WEIGHTS_HASHES = {  # (md5 with top, md5 without)
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb",
        "40af19a13ebea4e2ee0c676887f69a2e",
    ),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c",
        "ec5221f64a2f6d1ef965a614bdae7973",
    ),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7",
        "ebdb5cc8e0b497cd13a7c275d475c819",
    ),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37",
        "cde8136e733e811080d9fcd8a252f7e4",
    ),
}

# (expansion, filters, kernel ("k": 5, or 3 when minimalistic), stride, squeeze-excite,
#  activation ("relu" or "act": hard swish, or relu when minimalistic)) per block
_SMALL = (
    (1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"),
    (88 / 24, 24, 3, 1, False, "relu"), (4, 40, "k", 2, True, "act"),
    (6, 40, "k", 1, True, "act"), (6, 40, "k", 1, True, "act"), (3, 48, "k", 1, True, "act"),
    (3, 48, "k", 1, True, "act"), (6, 96, "k", 2, True, "act"), (6, 96, "k", 1, True, "act"),
    (6, 96, "k", 1, True, "act"),
)  # fmt: skip
_LARGE = (
    (1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
    (3, 40, "k", 2, True, "relu"), (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
    (6, 80, 3, 2, False, "act"), (2.5, 80, 3, 1, False, "act"), (2.3, 80, 3, 1, False, "act"),
    (2.3, 80, 3, 1, False, "act"), (6, 112, 3, 1, True, "act"), (6, 112, 3, 1, True, "act"),
    (6, 160, "k", 2, True, "act"), (6, 160, "k", 1, True, "act"), (6, 160, "k", 1, True, "act"),
)  # fmt: skip


def _relu(x: Any) -> Any:
    return layers.ReLU()(x)


def _hard_sigmoid(x: Any) -> Any:
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x: Any) -> Any:
    return layers.Activation("hard_swish")(x)


def _bn(name: str) -> Any:
    axis = -1 if _builder.channels_last() else 1
    return layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs: Any, filters: int, se_ratio: float, prefix: str) -> Any:
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs
    )
    x = layers.Conv2D(
        make_divisible(filters * se_ratio), 1, padding="same", name=f"{prefix}squeeze_excite_conv"
    )(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(
    x: Any, expansion, filters, kernel_size, stride, se_ratio, activation: Callable, block_id
) -> Any:
    shortcut = x
    in_filters = x.shape[-1 if _builder.channels_last() else 1]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(
            make_divisible(in_filters * expansion),
            1,
            padding="same",
            use_bias=False,
            name=f"{prefix}expand",
        )(x)
        x = _bn(f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        pad = imagenet_utils.correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(pad, name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
        name=f"{prefix}depthwise",
    )(x)
    x = _bn(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, make_divisible(in_filters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_bn")(x)
    if stride == 1 and in_filters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _input_shape_of(input_shape: Any, input_tensor: Any) -> tuple:
    if input_shape is not None and input_tensor is not None:
        if not backend.is_keras_tensor(input_tensor):
            raise ValueError(f"input_tensor specified: {input_tensor} is not a keras tensor")
        width_axis = 2 if _builder.channels_last() else 1
        if tuple(input_tensor.shape)[width_axis] != input_shape[1]:
            raise ValueError(
                "input_shape must match the shape of input_tensor.  Received "
                f"input_shape={input_shape}, input_tensor.shape={tuple(input_tensor.shape)}"
            )
    if input_shape is None and input_tensor is not None and backend.is_keras_tensor(input_tensor):
        shape = tuple(input_tensor.shape)
        rows, cols = (shape[1], shape[2]) if _builder.channels_last() else (shape[2], shape[3])
        # Keras's order (width first); only square inputs have published weights anyway
        input_shape = (cols, rows, 3) if _builder.channels_last() else (3, cols, rows)
    if input_shape is None:
        input_shape = (None, None, 3) if _builder.channels_last() else (3, None, None)
    return tuple(input_shape)


def _mobilenet_v3(
    blocks: tuple,
    last_point_ch: int,
    model_type: str,
    input_shape: Any,
    alpha: float,
    minimalistic: bool,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    classes: int,
    pooling: Any,
    dropout_rate: float,
    classifier_activation: Any,
    include_preprocessing: bool,
    name: str,
) -> Any:
    _builder.check_common_args(weights, include_top, classes, pooling, classifier_activation)
    input_shape = _input_shape_of(input_shape, input_tensor)
    rows, cols = input_shape[:2] if _builder.channels_last() else input_shape[1:]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                "non minimalistic or `1.0` for minimalistic only."
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not 224. Weights for "
                "input shape (224, 224) will be loaded as the default.",
                stacklevel=3,
            )
    img_input = _builder.image_input(input_tensor, input_shape)
    if minimalistic:
        kernel, activation, se_ratio = 3, _relu, None
    else:
        kernel, activation, se_ratio = 5, _hard_swish, 0.25
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False, name="conv")(x)
    x = _bn("conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(
            x,
            expansion,
            make_divisible(filters * alpha),
            kernel if k == "k" else k,
            stride,
            se_ratio if se else None,
            _relu if act == "relu" else activation,
            block_id,
        )
    channels = x.shape[-1 if _builder.channels_last() else 1]
    if alpha > 1.0:
        last_point_ch = make_divisible(last_point_ch * alpha)
    x = layers.Conv2D(
        make_divisible(channels * 6), 1, padding="same", use_bias=False, name="conv_1"
    )(x)
    x = _bn("conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, 1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, 1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = _builder.global_pool(x, pooling, "avg_pool", "max_pool")
    imagenet_file = None
    if weights == "imagenet":
        key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        tail = "" if include_top else "_no_top_v2"
        file_name = f"weights_mobilenet_v3_{key}{tail}.h5"
        file_hash = WEIGHTS_HASHES[key][0 if include_top else 1]
        imagenet_file = (file_name, BASE_WEIGHTS_URL + file_name, file_hash)
    arch = f"MobileNetV3{model_type.capitalize()}"
    return _builder.make_model(
        _builder.model_inputs(input_tensor, img_input), x, name, weights, arch, imagenet_file
    )


_DOC = """Builds MobileNetV3{size}, optionally with ImageNet weights.

    The model takes [0, 255] images of any size of at least 32x32 (ImageNet weights were
    trained at 224x224) and rescales them itself unless ``include_preprocessing=False``.

    Args:
        input_shape: ``(height, width, channels)``; by default ``(None, None, 3)``.
        alpha: Width multiplier; ImageNet weights exist for 0.75 and 1.0 (1.0 only when
            minimalistic).
        minimalistic: The variant without squeeze-excite, hard swish and 5x5 kernels.
        include_top: Keep the classifier.
        weights: None (random initialization), ``"imagenet"`` or a weights file path.
        input_tensor: Optional tensor (e.g. from ``keras.Input``) to use as image input.
        classes: Number of classes (1000 with ImageNet weights and the top).
        pooling: Without the top: None (4D output), ``"avg"`` or ``"max"`` global pooling.
        dropout_rate: Dropout rate before the last convolution.
        classifier_activation: Activation of the last layer (None for logits).
        include_preprocessing: Start with a ``Rescaling`` layer mapping [0, 255] to [-1, 1].
        name: Model name.

    Returns:
        A Functional model.
    """


def MobileNetV3Small(
    input_shape: Any = None,
    alpha: float = 1.0,
    minimalistic: bool = False,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    classes: int = 1000,
    pooling: str | None = None,
    dropout_rate: float = 0.2,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "MobileNetV3Small",
) -> Any:
    return _mobilenet_v3(
        _SMALL, 1024, "small", input_shape, alpha, minimalistic, include_top, weights,
        input_tensor, classes, pooling, dropout_rate, classifier_activation,
        include_preprocessing, name,
    )  # fmt: skip


def MobileNetV3Large(
    input_shape: Any = None,
    alpha: float = 1.0,
    minimalistic: bool = False,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    classes: int = 1000,
    pooling: str | None = None,
    dropout_rate: float = 0.2,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "MobileNetV3Large",
) -> Any:
    return _mobilenet_v3(
        _LARGE, 1280, "large", input_shape, alpha, minimalistic, include_top, weights,
        input_tensor, classes, pooling, dropout_rate, classifier_activation,
        include_preprocessing, name,
    )  # fmt: skip


MobileNetV3Small.__doc__ = _DOC.format(size="Small")
MobileNetV3Large.__doc__ = _DOC.format(size="Large")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Returns `x` unchanged: MobileNetV3 models rescale their inputs themselves.

    Args:
        x: Images with values in [0, 255].
        data_format: Ignored; kept for the common signature.
    """
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
