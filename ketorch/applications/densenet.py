"""DenseNet 121/169/201 (Huang et al., "Densely Connected Convolutional Networks",
CVPR 2017). Inputs are preprocessed in ``"torch"`` mode (ImageNet mean and std)."""

from __future__ import annotations

from typing import Any

from ketorch import backend, layers
from ketorch.applications import _builder, imagenet_utils

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
WEIGHTS_HASHES = {  # (md5 with top, md5 without)
    "densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPS = 1.001e-5


def _bn(name: str) -> Any:
    return layers.BatchNormalization(axis=_builder.bn_axis(), epsilon=_EPS, name=name)


def conv_block(x: Any, growth_rate: int, name: str) -> Any:
    """BN-ReLU-1x1 conv-BN-ReLU-3x3 conv, whose `growth_rate` maps are appended to `x`."""
    y = _bn(f"{name}_0_bn")(x)
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn(f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(axis=_builder.bn_axis(), name=f"{name}_concat")([x, y])


def dense_block(x: Any, blocks: int, name: str) -> Any:
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x: Any, reduction: float, name: str) -> Any:
    """Compresses the channels by `reduction` and halves the spatial size."""
    x = _bn(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    channels = x.shape[_builder.bn_axis()]
    x = layers.Conv2D(int(channels * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def build_densenet(variant, blocks, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation, name):  # fmt: skip
    _builder.check_channels_last("DenseNet")
    _builder.check_common_args(weights, include_top, classes, pooling, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = _builder.image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{stage + 2}")
        if stage < 3:
            x = transition_block(x, 0.5, name=f"pool{stage + 2}")
    x = _bn("bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.global_pool(x, pooling, "avg_pool", "max_pool")
    tail = "" if include_top else "_notop"
    file_name = f"{variant}_weights_tf_dim_ordering_tf_kernels{tail}.h5"
    file_hash = WEIGHTS_HASHES[variant][0 if include_top else 1]
    return _builder.make_model(
        _builder.model_inputs(input_tensor, img_input), x, name, weights,
        variant.replace("densenet", "DenseNet"),
        (file_name, BASE_WEIGHTS_URL + file_name, file_hash),
    )  # fmt: skip


_DOC = """Builds DenseNet{n}, optionally with ImageNet weights (default input 224x224x3).

    Args:
        include_top: Keep the classifier (global average pooling and dense layer).
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


def _make(depth: int, blocks: tuple[int, int, int, int]):
    def builder(
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = f"densenet{depth}",
    ) -> Any:
        return build_densenet(
            f"densenet{depth}", blocks, include_top, weights, input_tensor, input_shape,
            pooling, classes, classifier_activation, name,
        )  # fmt: skip

    builder.__name__ = builder.__qualname__ = f"DenseNet{depth}"
    builder.__doc__ = _DOC.format(n=depth)
    return builder


DenseNet121 = _make(121, (6, 12, 24, 16))
DenseNet169 = _make(169, (6, 12, 32, 32))
DenseNet201 = _make(201, (6, 12, 48, 32))


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales [0, 255] images to [0, 1], then standardizes each channel (ImageNet mean, std)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
