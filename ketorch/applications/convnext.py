"""ConvNeXt Tiny, Small, Base, Large, XLarge (Liu et al., "A ConvNet for the 2020s",
CVPR 2022).

With ``include_preprocessing`` (the default) the models take [0, 255] images and
normalize them themselves, so `preprocess_input` passes images through unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ketorch import initializers, layers
from ketorch.applications import _builder, imagenet_utils
from ketorch.models import Sequential

__all__ = [
    "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
    "preprocess_input", "decode_predictions",
]  # fmt: skip

BASE_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
WEIGHTS_HASHES = {  # (sha256 with top, sha256 without)
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
MODEL_CONFIGS = {  # variant -> (blocks per stage, channels per stage)
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048)),
}


@_builder.keras_saveable("convnext")
class StochasticDepth(layers.Layer):
    """Drops the whole residual branch of a random subset of the samples in training.

    Args:
        drop_path_rate: Probability of dropping the branch of a sample; kept branches
            are scaled by ``1 / (1 - drop_path_rate)``.
    """

    def __init__(self, drop_path_rate: float, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if not training or not self.drop_path_rate:
            return x
        keep = 1.0 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        mask = torch.floor(keep + torch.rand(shape, dtype=x.dtype, device=x.device))
        return x / keep * mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


@_builder.keras_saveable("convnext")
class LayerScale(layers.Layer):
    """Multiplies each channel by a learned factor (initially `init_values`).

    Args:
        init_values: Initial value of the factors.
        projection_dim: Number of channels.
    """

    def __init__(self, init_values: float, projection_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            trainable=True,
        )
        self.built = True

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


def _block(x: Any, projection_dim: int, drop_path_rate: float, layer_scale: float | None, name):
    """Depthwise 7x7 conv, LayerNorm, inverted MLP (4x, GELU), layer scale, residual."""
    inputs = x
    x = layers.Conv2D(
        projection_dim, 7, padding="same", groups=projection_dim, name=f"{name}_depthwise_conv"
    )(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale is not None:
        x = LayerScale(layer_scale, projection_dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
    else:
        branch = layers.Activation("linear", name=f"{name}_identity")
    return inputs + branch(x)


def _downsampling(i: int, channels: int, name: str) -> Any:
    if i == 0:
        return _sequential(
            [
                layers.Conv2D(channels, 4, strides=4, name=f"{name}_stem_conv"),
                layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
            ],
            f"{name}_stem",
        )
    j = i - 1
    return _sequential(
        [
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{j}"),
            layers.Conv2D(channels, 2, strides=2, name=f"{name}_downsampling_conv_{j}"),
        ],
        f"{name}_downsampling_block_{j}",
    )


def _sequential(stack: list, name: str) -> Any:

    return Sequential(stack, name=name)


def build_convnext(variant, depths, projection_dims, drop_path_rate=0.0,
                   layer_scale_init_value=1e-6, default_size=224, name="convnext",
                   include_preprocessing=True, include_top=True, weights=None,
                   input_tensor=None, input_shape=None, pooling=None, classes=1000,
                   classifier_activation="softmax") -> Any:  # fmt: skip
    """A ConvNeXt with `depths[i]` blocks of `projection_dims[i]` channels in stage `i`."""
    _builder.check_channels_last("ConvNeXt")
    _builder.check_common_args(weights, include_top, classes, pooling, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format="channels_last",
        require_flatten=include_top,
        weights=weights,
    )
    if weights == "imagenet":
        expected = MODEL_CONFIGS[variant]
        if tuple(depths) != expected[0] or tuple(projection_dims) != expected[1]:
            raise ValueError(
                f"Architecture configuration does not match convnext_{variant} variant: "
                f"ImageNet weights need depths {list(expected[0])} and projection_dims "
                f"{list(expected[1])}; got {list(depths)} and {list(projection_dims)}."
            )
    img_input = _builder.image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization",
        )(x)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = _downsampling(i, projection_dims[i], name)(x)
        for j in range(depths[i]):
            x = _block(
                x, projection_dims[i], rates[cur + j], layer_scale_init_value,
                f"{name}_stage_{i}_block_{j}",
            )  # fmt: skip
        cur += depths[i]
    if include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = _builder.global_pool(x, pooling)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    key = f"convnext_{variant}"
    file_name = key + (".h5" if include_top else "_notop.h5")
    file_hash = WEIGHTS_HASHES[key][0 if include_top else 1]
    return _builder.make_model(
        _builder.model_inputs(input_tensor, img_input), x, name, weights,
        f"ConvNeXt{variant.capitalize().replace('Xl', 'XL')}",
        (file_name, BASE_WEIGHTS_URL + file_name, file_hash),
    )  # fmt: skip


_DOC = """Builds ConvNeXt{v}, optionally with ImageNet weights (default input 224x224x3).

    Args:
        include_top: Keep the classifier (pooling, LayerNorm, dense layer).
        include_preprocessing: Start with a ``Normalization`` layer for [0, 255] images.
        weights: None (random initialization), ``"imagenet"`` or a weights file path.
        input_tensor: Optional tensor (e.g. from ``keras.Input``) to use as image input.
        input_shape: ``(height, width, channels)``, only needed without the top;
            height and width at least 32.
        pooling: Without the top: None (4D output), ``"avg"`` or ``"max"`` global pooling.
        classes: Number of classes (1000 with ImageNet weights and the top).
        classifier_activation: Activation of the last layer (None for logits).
        name: Model name (its prefix names the layers).

    Returns:
        A Functional model.
    """


def _make(variant: str):
    def builder(
        include_top: bool = True,
        include_preprocessing: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = f"convnext_{variant}",
    ) -> Any:
        depths, dims = MODEL_CONFIGS[variant]
        return build_convnext(
            variant, depths, dims, name=name, include_preprocessing=include_preprocessing,
            include_top=include_top, weights=weights, input_tensor=input_tensor,
            input_shape=input_shape, pooling=pooling, classes=classes,
            classifier_activation=classifier_activation,
        )  # fmt: skip

    label = "XLarge" if variant == "xlarge" else variant.capitalize()
    builder.__name__ = builder.__qualname__ = f"ConvNeXt{label}"
    builder.__doc__ = _DOC.format(v=label)
    return builder


ConvNeXtTiny = _make("tiny")
ConvNeXtSmall = _make("small")
ConvNeXtBase = _make("base")
ConvNeXtLarge = _make("large")
ConvNeXtXLarge = _make("xlarge")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Returns `x` unchanged: ConvNeXt models normalize their inputs themselves.

    Args:
        x: Images with values in [0, 255].
        data_format: Ignored; kept for the common signature.
    """
    return x


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
