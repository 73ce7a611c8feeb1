"""ResNet (He et al., "Deep Residual Learning for Image Recognition", CVPR 2015) and the
building blocks shared with ResNetV2 (pre-activation, "Identity Mappings in Deep Residual
Networks", ECCV 2016). Inputs are preprocessed in ``"caffe"`` mode."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ketorch import layers
from ketorch.applications import _builder, imagenet_utils

__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {  # variant -> (md5 with top, md5 without)
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPS = 1.001e-5


def _bn(name: str) -> Any:
    return layers.BatchNormalization(axis=_builder.bn_axis(), epsilon=_EPS, name=name)


def build_resnet(
    stack_fn: Callable[[Any], Any],
    preact: bool,
    use_bias: bool,
    variant: str,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: Any = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet",
) -> Any:
    """The ResNet stem, ``stack_fn``'s residual stages, and the head.

    `preact` selects the V2 layout (batch norm and ReLU before each convolution, one
    final ``post_bn``); `variant` names the ImageNet weight files.
    """
    img_input, _ = _builder.begin(
        weights, include_top, classes, pooling, classifier_activation, input_tensor,
        input_shape, default_size=224, min_size=32,
    )  # fmt: skip
    x = layers.ZeroPadding2D(((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = _builder.classifier_head(
        x, include_top, pooling, classes, classifier_activation,
        pool_names=("avg_pool", "max_pool"),
    )  # fmt: skip
    suffix = "" if include_top else "_notop"
    return _builder.finish(
        input_tensor, img_input, x, name, weights,
        variant.replace("resnet", "ResNet").replace("v2", "V2"),
        f"{variant}_weights_tf_dim_ordering_tf_kernels{suffix}.h5", BASE_WEIGHTS_URL,
        WEIGHTS_HASHES[variant][0 if include_top else 1],
    )  # fmt: skip


def residual_block_v1(
    x: Any, filters: int, kernel_size: int = 3, stride: int = 1, conv_shortcut=True, name=""
) -> Any:
    """Bottleneck block (1x1, 3x3, 1x1 convolutions, 4x expansion), post-activation."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x: Any, filters: int, blocks: int, stride1=2, name="") -> Any:
    """One stage: a projecting (and possibly striding) block, then identity blocks."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(
    x: Any, filters: int, kernel_size: int = 3, stride: int = 1, conv_shortcut=False, name=""
) -> Any:
    """Pre-activation bottleneck block; the stride sits on the 3x3 convolution."""
    preact = _bn(f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(
        x
    )
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x: Any, filters: int, blocks: int, stride1=2, name="") -> Any:
    """One V2 stage: projecting first block, identity blocks, striding last block."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1_stages(depths: tuple[int, int, int, int]) -> Callable[[Any], Any]:
    def stack_fn(x: Any) -> Any:
        x = stack_residual_blocks_v1(x, 64, depths[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, depths[3], name="conv5")

    return stack_fn


_ARGS_DOC = """
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


def resnet_application(
    fn_name: str, module: str, stack_fn: Callable[[Any], Any], preact: bool, variant: str
) -> Callable[..., Any]:
    """The public ``ResNet*`` constructor of `variant` (its default name too)."""
    doc = (
        f"Builds {fn_name}, optionally with ImageNet weights (default input 224x224x3).\n"
        + _ARGS_DOC
    )
    build = functools.partial(build_resnet, stack_fn, preact, True, variant)
    return _builder.application(fn_name, module, doc, build, name=variant)


ResNet50 = resnet_application("ResNet50", __name__, _v1_stages((3, 4, 6, 3)), False, "resnet50")
ResNet101 = resnet_application("ResNet101", __name__, _v1_stages((3, 4, 23, 3)), False, "resnet101")
ResNet152 = resnet_application("ResNet152", __name__, _v1_stages((3, 8, 36, 3)), False, "resnet152")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Converts RGB [0, 255] images to BGR and subtracts the ImageNet channel means."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
