"""ResNetV2 (He et al., "Identity Mappings in Deep Residual Networks", ECCV 2016):
pre-activation residual blocks. Inputs are preprocessed in ``"tf"`` mode ([-1, 1])."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ketorch.applications import imagenet_utils
from ketorch.applications.resnet import resnet_application, stack_residual_blocks_v2

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]


def _v2_stages(depths: tuple[int, int, int, int]) -> Callable[[Any], Any]:
    def stack_fn(x: Any) -> Any:
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return stack_fn


ResNet50V2 = resnet_application(
    "ResNet50V2", __name__, _v2_stages((3, 4, 6, 3)), True, "resnet50v2"
)
ResNet101V2 = resnet_application(
    "ResNet101V2", __name__, _v2_stages((3, 4, 23, 3)), True, "resnet101v2"
)
ResNet152V2 = resnet_application(
    "ResNet152V2", __name__, _v2_stages((3, 8, 36, 3)), True, "resnet152v2"
)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales [0, 255] images to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list:
    """See :func:`ketorch.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
