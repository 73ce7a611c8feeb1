"""RandomColorDegeneration: blend images toward their grayscale version in training."""

from __future__ import annotations

from .... import random as krandom
from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import check_value_range


class RandomColorDegeneration(BaseImagePreprocessingLayer):
    """Blend each RGB image toward its grayscale version by a random amount (training).

    Per image, ``f`` is drawn from the factor range and the image becomes
    ``x + f * (gray(x) - x)``, clipped to ``value_range``: 0 keeps the colours, 1 is fully
    gray, negative values push colours away from gray.

    Args:
        factor: ``f`` (meaning ``[-f, f]``) or a pair in ``[-1, 1]``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.RandomColorDegeneration(0.5, seed=1)
        >>> layer(np.zeros((2, 4, 4, 3), "float32")).shape
        torch.Size([2, 4, 4, 3])
    """

    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        batch = _batch_or_fail(images)
        factor = krandom.uniform(
            (batch, 1, 1, 1), self.factor[0], self.factor[1], seed=self._seed_source(seed)
        )
        return {"factor": factor}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        images = images.to(self.torch_compute_dtype)
        factor = transformation["factor"].to(images)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        out = images + factor * (gray - images)
        return out.clamp(self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                f"images). Received: input_shape={input_shape}"
            )
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ValueError(
                f"Input images must have 3 channels, but received images with {channels} channels."
            )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config


def _batch_or_fail(images) -> int:
    if images.ndim == 3:
        return 1
    if images.ndim == 4:
        return int(images.shape[0])
    raise ValueError(
        f"Expected the input image to be rank 3 or 4. Received: inputs.shape={tuple(images.shape)}"
    )
