"""InceptionResNetV2 (Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning", AAAI 2017). Inputs are preprocessed in ``"tf"`` mode."""

from __future__ import annotations

from typing import Any

from ketorch import layers
from ketorch.applications import _builder, imagenet_utils

__all__ = ["InceptionResNetV2", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
)
WEIGHTS = {  # include_top -> (file name, md5)
    True: (
        "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
        "e693bd0210a403b3192acc6073ad2e96",
    ),
    False: (
        "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "d19885ff4a710c122648d3b5c3b684e4",
    ),
}


@_builder.keras_saveable("inception_resnet_v2")
class CustomScaleLayer(layers.Layer):
    """Residual sum with a scaled branch: ``inputs[0] + inputs[1] * scale``.

    Args:
        scale: Factor of the residual branch.
    """

    def __init__(self, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        shortcut, branch = inputs
        return shortcut + branch * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale}


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None) -> Any:  # fmt: skip
    """Convolution, then (without bias) batch norm without scale, then the activation."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name
    )(x)
    if not use_bias:
        x = layers.BatchNormalization(
            axis=_builder.bn_axis(), scale=False, name=None if name is None else f"{name}_bn"
        )(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu") -> Any:
    """One residual Inception block: ``block35`` (35x35 grid), ``block17`` or ``block8``."""
    if block_type == "block35":
        b0 = conv2d_bn(x, 32, 1)
        b1 = conv2d_bn(conv2d_bn(x, 32, 1), 32, 3)
        b2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 32, 1), 48, 3), 64, 3)
        branches = [b0, b1, b2]
    elif block_type == "block17":
        b0 = conv2d_bn(x, 192, 1)
        b1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 128, 1), 160, [1, 7]), 192, [7, 1])
        branches = [b0, b1]
    elif block_type == "block8":
        b0 = conv2d_bn(x, 192, 1)
        b1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1), 224, [1, 3]), 256, [3, 1])
        branches = [b0, b1]
    else:
        raise ValueError(
            'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", '
            f"but got: {block_type}"
        )
    block_name = f"{block_type}_{block_idx}"
    axis = _builder.bn_axis()
    mixed = layers.Concatenate(axis=axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(
        mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{block_name}_conv"
    )
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_resnet_v2",
) -> Any:
    """Builds InceptionResNetV2, optionally with ImageNet weights (default input 299x299x3).

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
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    # mixed 5b (Inception-A)
    b0 = conv2d_bn(x, 96, 1)
    b1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    b2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)
    bp = conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = layers.Concatenate(axis=axis, name="mixed_5b")([b0, b1, b2, bp])
    for idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=idx)
    # mixed 6a (Reduction-A)
    b0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2, padding="valid")
    bp = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_6a")([b0, b1, bp])
    for idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=idx)
    # mixed 7a (Reduction-B)
    b0 = conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    b2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2, padding="valid")
    bp = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=axis, name="mixed_7a")([b0, b1, b2, bp])
    for idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    x = _builder.classifier_head(x, include_top, pooling, classes, classifier_activation)
    file_name, file_hash = WEIGHTS[bool(include_top)]
    return _builder.finish(
        input_tensor, img_input, x, name, weights, "InceptionResNetV2", file_name, BASE_WEIGHTS_URL,
        file_hash,
    )  # fmt: skip


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales [0, 255] images to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
