"""VGG19: VGG16 with four convolutions in each of the last three blocks.
Inputs are preprocessed in ``"caffe"`` mode (BGR, mean subtracted)."""

from __future__ import annotations

from typing import Any

from ketorch.applications.vgg16 import build_vgg, decode_predictions, preprocess_input

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]


def VGG19(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg19",
) -> Any:
    """Builds VGG19, optionally with ImageNet weights (default input 224x224x3).

    Arguments as :func:`ketorch.applications.VGG16`.
    """
    return build_vgg(
        "vgg19", (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape,
        pooling, classes, classifier_activation, name,
    )  # fmt: skip
