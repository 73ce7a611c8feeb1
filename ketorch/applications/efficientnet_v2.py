"""EfficientNetV2 B0-B3, S, M, L (Tan & Le, "EfficientNetV2: Smaller Models and Faster
Training", ICML 2021): fused MBConv blocks in the early stages.

With ``include_preprocessing`` (the default) the models take [0, 255] images and
normalize them themselves, so `preprocess_input` passes images through unchanged.
"""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

from ketorch import initializers, layers
from ketorch.applications import _builder, imagenet_utils
from ketorch.applications.efficientnet import conv_initializer, dense_initializer

__all__ = [
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "preprocess_input",
    "decode_predictions",
]  # fmt: skip

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
WEIGHTS_HASHES = {  # (md5 with top, md5 without)
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
# Stages as (kernel, repeats, filters in, filters out, expand ratio, squeeze-excite ratio,
# stride, fused); all kernels are 3x3.
_B_STAGES = (
    (3, 1, 32, 16, 1, 0, 1, True), (3, 2, 16, 32, 4, 0, 2, True),
    (3, 2, 32, 48, 4, 0, 2, True), (3, 3, 48, 96, 4, 0.25, 2, False),
    (3, 5, 96, 112, 6, 0.25, 1, False), (3, 8, 112, 192, 6, 0.25, 2, False),
)  # fmt: skip
STAGES = {
    "b0": _B_STAGES, "b1": _B_STAGES, "b2": _B_STAGES, "b3": _B_STAGES,
    "s": (
        (3, 2, 24, 24, 1, 0, 1, True), (3, 4, 24, 48, 4, 0, 2, True),
        (3, 4, 48, 64, 4, 0, 2, True), (3, 6, 64, 128, 4, 0.25, 2, False),
        (3, 9, 128, 160, 6, 0.25, 1, False), (3, 15, 160, 256, 6, 0.25, 2, False),
    ),
    "m": (
        (3, 3, 24, 24, 1, 0, 1, True), (3, 5, 24, 48, 4, 0, 2, True),
        (3, 5, 48, 80, 4, 0, 2, True), (3, 7, 80, 160, 4, 0.25, 2, False),
        (3, 14, 160, 176, 6, 0.25, 1, False), (3, 18, 176, 304, 6, 0.25, 2, False),
        (3, 5, 304, 512, 6, 0.25, 1, False),
    ),
    "l": (
        (3, 4, 32, 32, 1, 0, 1, True), (3, 7, 32, 64, 4, 0, 2, True),
        (3, 7, 64, 96, 4, 0, 2, True), (3, 10, 96, 192, 4, 0.25, 2, False),
        (3, 19, 192, 224, 6, 0.25, 1, False), (3, 25, 224, 384, 6, 0.25, 2, False),
        (3, 7, 384, 640, 6, 0.25, 1, False),
    ),
}  # fmt: skip
# (width, depth, default size) per variant
_SCALING = {
    "b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260),
    "b3": (1.2, 1.4, 300), "s": (1.0, 1.0, 384), "m": (1.0, 1.0, 480), "l": (1.0, 1.0, 480),
}  # fmt: skip


def round_filters(filters: float, width: float, min_depth: int = 8, divisor: int = 8) -> int:
    filters *= width
    return int(max(min_depth or divisor, int(filters + divisor / 2) // divisor * divisor))


def _se(x, filters, filters_in, se_ratio, activation, name) -> Any:
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    shape = (1, 1, filters) if _builder.channels_last() else (filters, 1, 1)
    se = layers.Reshape(shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(
        max(1, int(filters_in * se_ratio)), 1, padding="same", activation=activation,
        kernel_initializer=conv_initializer(), name=f"{name}se_reduce",
    )(se)  # fmt: skip
    se = layers.Conv2D(
        filters, 1, padding="same", activation="sigmoid",
        kernel_initializer=conv_initializer(), name=f"{name}se_expand",
    )(se)  # fmt: skip
    return layers.multiply([x, se], name=f"{name}se_excite")


def _bn(name: str, momentum: float) -> Any:
    return layers.BatchNormalization(axis=_builder.bn_axis(), momentum=momentum, name=name)


def _conv(filters, kernel, strides, name) -> Any:
    return layers.Conv2D(
        filters, kernel, strides=strides, kernel_initializer=conv_initializer(),
        padding="same", use_bias=False, name=name,
    )  # fmt: skip


def _mbconv(inputs, f_in, f_out, expand, kernel, stride, se_ratio, momentum, activation,
            drop, name, fused):  # fmt: skip
    """(Fused) mobile inverted bottleneck; `drop` is the rate of the per-sample dropout
    on the residual branch (Keras passes it as "survival_probability")."""
    filters = f_in * expand
    x = inputs
    if expand != 1:
        k, s = (kernel, stride) if fused else (1, 1)
        x = _conv(filters, k, s, f"{name}expand_conv")(x)
        x = _bn(f"{name}expand_bn", momentum)(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if not fused:
        x = layers.DepthwiseConv2D(
            kernel, strides=stride, depthwise_initializer=conv_initializer(),
            padding="same", use_bias=False, name=f"{name}dwconv2",
        )(x)  # fmt: skip
        x = _bn(f"{name}bn", momentum)(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _se(x, filters, f_in, se_ratio, activation, name)
    if fused and expand == 1:
        x = _conv(f_out, kernel, stride, f"{name}project_conv")(x)
    else:
        x = _conv(f_out, 1, 1, f"{name}project_conv")(x)
    x = _bn(f"{name}project_bn", momentum)(x)
    if fused and expand == 1:
        x = layers.Activation(activation, name=f"{name}project_activation")(x)
    if stride == 1 and f_in == f_out:
        if drop:
            x = layers.Dropout(drop, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _efficientnet_v2(variant, include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, include_preprocessing, name,
                     dropout_rate=0.2, drop_connect_rate=0.2, bn_momentum=0.9,
                     activation="swish"):  # fmt: skip
    width, depth, default_size = _SCALING[variant]
    img_input, input_shape = _builder.begin(
        weights, include_top, classes, pooling, classifier_activation, input_tensor,
        input_shape, default_size=default_size, min_size=32,
    )  # fmt: skip
    axis = _builder.bn_axis()
    x = img_input
    if include_preprocessing:
        if variant.startswith("b") and input_shape[axis - 1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(
                mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2], axis=axis
            )(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    stages = copy.deepcopy(STAGES[variant])
    x = _conv(round_filters(stages[0][2], width), 3, 2, "stem_conv")(x)
    x = _bn("stem_bn", bn_momentum)(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(stage[1] for stage in stages))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, se, stride, fused) in enumerate(stages):
        f_in, f_out = round_filters(f_in, width), round_filters(f_out, width)
        for j in range(int(math.ceil(depth * repeats))):
            x = _mbconv(
                x, f_in if j == 0 else f_out, f_out, expand, kernel, stride if j == 0 else 1,
                se, bn_momentum, activation, drop_connect_rate * b / total,
                f"block{i + 1}{chr(j + 97)}_", fused,
            )  # fmt: skip
            b += 1
    x = _conv(round_filters(1280, width), 1, 1, "top_conv")(x)
    x = _bn("top_bn", bn_momentum)(x)
    x = layers.Activation(activation, name="top_activation")(x)
    x = _builder.classifier_head(
        x, include_top, pooling, classes, classifier_activation, dropout_rate,
        pool_names=("avg_pool", "max_pool"), kernel_initializer=dense_initializer(),
        bias_initializer=initializers.Constant(0.0),
    )  # fmt: skip
    return _builder.finish(
        input_tensor, img_input, x, name, weights, f"EfficientNetV2{variant.upper()}",
        f"efficientnetv2-{variant}" + (".h5" if include_top else "_notop.h5"), BASE_WEIGHTS_URL,
        WEIGHTS_HASHES[variant][0 if include_top else 1],
    )  # fmt: skip


_DOC = """Builds EfficientNetV2{v}, optionally with ImageNet weights (default input {s}x{s}x3).

    Args:
        include_top: Keep the classifier (pooling, dropout and dense layer).
        weights: None (random initialization), ``"imagenet"`` or a weights file path.
        input_tensor: Optional tensor (e.g. from ``keras.Input``) to use as image input.
        input_shape: ``(height, width, channels)``, only needed without the top;
            height and width at least 32.
        pooling: Without the top: None (4D output), ``"avg"`` or ``"max"`` global pooling.
        classes: Number of classes (1000 with ImageNet weights and the top).
        classifier_activation: Activation of the last layer (None for logits).
        include_preprocessing: Start with layers that normalize [0, 255] images.
        name: Model name.

    Returns:
        A Functional model.
    """


def _make(variant: str):
    return _builder.application(
        f"EfficientNetV2{variant.upper()}",
        __name__,
        _DOC.format(v=variant.upper(), s=_SCALING[variant][2]),
        functools.partial(_efficientnet_v2, variant),
        name=f"efficientnetv2-{variant}",
        include_preprocessing=True,
    )


EfficientNetV2B0 = _make("b0")
EfficientNetV2B1 = _make("b1")
EfficientNetV2B2 = _make("b2")
EfficientNetV2B3 = _make("b3")
EfficientNetV2S = _make("s")
EfficientNetV2M = _make("m")
EfficientNetV2L = _make("l")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Returns `x` unchanged: EfficientNetV2 models normalize their inputs themselves.

    Args:
        x: Images with values in [0, 255].
        data_format: Ignored; kept for the common signature.
    """
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
