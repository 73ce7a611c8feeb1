"""VGG16 (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015): five blocks of 3x3 convolutions and max pooling, then three
dense layers. Inputs are preprocessed in ``"caffe"`` mode (BGR, mean subtracted)."""

from __future__ import annotations

from typing import Any

from ketorch import backend, layers
from ketorch.applications import _builder, imagenet_utils

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
WEIGHTS = {  # (include_top) -> (file name, md5)
    "vgg16": {
        True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
        False: (
            "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "6d6bbae143d832006294945121d1f1fc",
        ),
    },
    "vgg19": {
        True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
        False: (
            "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "253f8cb515780f3b799900260a226db6",
        ),
    },
}


def build_vgg(
    variant: str,
    convs_per_block: tuple[int, ...],
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: Any,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Any:
    """A VGG network with ``convs_per_block[i]`` convolutions in block ``i + 1``."""
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
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(
                filters, 3, activation="relu", padding="same", name=f"block{block}_conv{conv}"
            )(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.global_pool(x, pooling)
    file_name, file_hash = WEIGHTS[variant][bool(include_top)]
    return _builder.make_model(
        _builder.model_inputs(input_tensor, img_input),
        x,
        name,
        weights,
        variant.upper(),
        (file_name, f"{_BASE_URL}{variant}/{file_name}", file_hash),
    )


def VGG16(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg16",
) -> Any:
    """Builds VGG16, optionally with ImageNet weights (default input 224x224x3).

    Args:
        include_top: Keep the three dense layers at the top.
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

    Example:

    >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape
    (None, 512)
    >>> model.get_layer("block5_conv3").kernel.shape
    torch.Size([3, 3, 512, 512])
    """
    return build_vgg(
        "vgg16", (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape,
        pooling, classes, classifier_activation, name,
    )  # fmt: skip


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Converts RGB [0, 255] images to BGR and subtracts the ImageNet channel means."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
