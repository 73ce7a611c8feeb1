"""EfficientNet B0 to B7 (Tan & Le, "EfficientNet: Rethinking Model Scaling for
Convolutional Neural Networks", ICML 2019).

The models normalize their [0, 255] inputs themselves (a ``Rescaling`` and a
``Normalization`` layer whose statistics come with the ImageNet weights), so
`preprocess_input` passes images through unchanged.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from ketorch import layers
from ketorch.applications import _builder, imagenet_utils

__all__ = [f"EfficientNetB{i}" for i in range(8)] + ["preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = "https://storage.googleapis.com/keras-applications/"
WEIGHTS_HASHES = {  # (md5 with top, md5 without)
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (width, depth, default size, dropout) per variant
_SCALING = {
    "b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5),
}  # fmt: skip
# (kernel, repeats, filters in, filters out, expand ratio, stride) of the seven stages;
# every block has squeeze-excite (ratio 0.25) and an identity skip when shapes allow
STAGES = (
    (3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1),
)  # fmt: skip
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def conv_initializer() -> dict:
    return {
        "class_name": "VarianceScaling",
        "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
    }


def dense_initializer() -> dict:
    return {
        "class_name": "VarianceScaling",
        "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
    }


def _se(x: Any, filters: int, filters_se: int, activation: str, name: str) -> Any:
    """Squeeze and excite: channel weights from a global summary, multiplied back in."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    shape = (1, 1, filters) if _builder.channels_last() else (filters, 1, 1)
    se = layers.Reshape(shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(
        filters_se, 1, padding="same", activation=activation,
        kernel_initializer=conv_initializer(), name=f"{name}se_reduce",
    )(se)  # fmt: skip
    se = layers.Conv2D(
        filters, 1, padding="same", activation="sigmoid",
        kernel_initializer=conv_initializer(), name=f"{name}se_expand",
    )(se)  # fmt: skip
    return layers.multiply([x, se], name=f"{name}se_excite")


def _block(inputs, activation, drop_rate, name, filters_in, filters_out, kernel, stride, expand):
    """Mobile inverted bottleneck: expand, depthwise conv, squeeze-excite, project."""
    axis = _builder.bn_axis()
    filters = filters_in * expand
    x = inputs
    if expand != 1:
        x = layers.Conv2D(
            filters, 1, padding="same", use_bias=False,
            kernel_initializer=conv_initializer(), name=f"{name}expand_conv",
        )(x)  # fmt: skip
        x = layers.BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if stride == 2:
        pad = imagenet_utils.correct_pad(x, kernel)
        x = layers.ZeroPadding2D(pad, name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel, strides=stride, padding="valid" if stride == 2 else "same", use_bias=False,
        depthwise_initializer=conv_initializer(), name=f"{name}dwconv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    x = _se(x, filters, max(1, int(filters_in * 0.25)), activation, name)
    x = layers.Conv2D(
        filters_out, 1, padding="same", use_bias=False,
        kernel_initializer=conv_initializer(), name=f"{name}project_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if stride == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _efficientnet(variant: str, include_top, weights, input_tensor, input_shape, pooling,
                  classes, classifier_activation, name, activation="swish",
                  drop_connect_rate=0.2, depth_divisor=8):  # fmt: skip
    width, depth, default_size, dropout_rate = _SCALING[variant]
    img_input, input_shape = _builder.begin(
        weights, include_top, classes, pooling, classifier_activation, input_tensor,
        input_shape, default_size=default_size, min_size=32,
    )  # fmt: skip
    axis = _builder.bn_axis()

    def round_filters(filters: float) -> int:
        filters *= width
        rounded = max(
            depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor
        )
        return int(rounded + depth_divisor if rounded < 0.9 * filters else rounded)

    def round_repeats(repeats: int) -> int:
        return int(math.ceil(depth * repeats))

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=axis)(x)
    if weights == "imagenet":
        # the published statistics hold the std where the variance belongs: undo it
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        round_filters(32), 3, strides=2, padding="valid", use_bias=False,
        kernel_initializer=conv_initializer(), name="stem_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(round_repeats(stage[1]) for stage in STAGES))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, stride) in enumerate(STAGES):
        f_in, f_out = round_filters(f_in), round_filters(f_out)
        for j in range(round_repeats(repeats)):
            x = _block(
                x, activation, drop_connect_rate * b / total, f"block{i + 1}{chr(j + 97)}_",
                f_in if j == 0 else f_out, f_out, kernel, stride if j == 0 else 1, expand,
            )  # fmt: skip
            b += 1
    x = layers.Conv2D(
        round_filters(1280), 1, padding="same", use_bias=False,
        kernel_initializer=conv_initializer(), name="top_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    x = _builder.classifier_head(
        x, include_top, pooling, classes, classifier_activation, dropout_rate,
        pool_names=("avg_pool", "max_pool"), kernel_initializer=dense_initializer(),
    )  # fmt: skip
    return _builder.finish(
        input_tensor, img_input, x, name, weights, f"EfficientNet{variant.upper()}",
        f"efficientnet{variant}{'.h5' if include_top else '_notop.h5'}", BASE_WEIGHTS_URL,
        WEIGHTS_HASHES[variant][0 if include_top else 1],
    )  # fmt: skip


_DOC = """Builds EfficientNet{v}, optionally with ImageNet weights (default input {s}x{s}x3).

    The model takes [0, 255] images and normalizes them itself.

    Args:
        include_top: Keep the classifier (pooling, dropout and dense layer).
        weights: None (random initialization), ``"imagenet"`` or a weights file path.
        input_tensor: Optional tensor (e.g. from ``keras.Input``) to use as image input.
        input_shape: ``(height, width, channels)``, only needed without the top;
            height and width at least 32.
        pooling: Without the top: None (4D output), ``"avg"`` or ``"max"`` global pooling.
        classes: Number of classes (1000 with ImageNet weights and the top).
        classifier_activation: Activation of the last layer (None for logits).
        name: Model name.

    Returns:
        A Functional model.
    """


def _make(variant: str):
    return _builder.application(
        f"EfficientNet{variant.upper()}",
        __name__,
        _DOC.format(v=variant.upper(), s=_SCALING[variant][2]),
        functools.partial(_efficientnet, variant),
        name=f"efficientnet{variant}",
    )


EfficientNetB0 = _make("b0")
EfficientNetB1 = _make("b1")
EfficientNetB2 = _make("b2")
EfficientNetB3 = _make("b3")
EfficientNetB4 = _make("b4")
EfficientNetB5 = _make("b5")
EfficientNetB6 = _make("b6")
EfficientNetB7 = _make("b7")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Returns `x` unchanged: EfficientNet models normalize their inputs themselves.

    Args:
        x: Images with values in [0, 255].
        data_format: Ignored; kept for the common signature.
    """
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
