"""RandomColorJitter: random brightness, contrast, saturation and hue, in that order."""

from __future__ import annotations

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .random_brightness import RandomBrightness
from .random_contrast import RandomContrast
from .random_hue import RandomHue
from .random_saturation import RandomSaturation


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Apply random brightness, contrast, saturation and hue changes in sequence (training).

    Each adjustment runs only when its factor is given; see :class:`RandomBrightness`,
    :class:`RandomContrast`, :class:`RandomSaturation` and :class:`RandomHue` for the
    meaning of the factors. All draws come from this layer's seed generator.

    Args:
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        brightness_factor: Factor of the brightness change, or ``None``.
        contrast_factor: Factor of the contrast change, or ``None``.
        saturation_factor: Factor of the saturation change, or ``None``.
        hue_factor: Factor of the hue change, or ``None``.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.RandomColorJitter(brightness_factor=0.2, hue_factor=0.1, seed=1)
        >>> layer(np.zeros((2, 4, 4, 3), "float32")).shape
        torch.Size([2, 4, 4, 3])
    """

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        common = {"value_range": value_range, "seed": seed, "data_format": data_format}
        self.random_brightness = (
            RandomBrightness(factor=brightness_factor, **common)
            if brightness_factor is not None
            else None
        )
        self.random_contrast = (
            RandomContrast(factor=contrast_factor, **common)
            if contrast_factor is not None
            else None
        )
        self.random_saturation = (
            RandomSaturation(factor=saturation_factor, **common)
            if saturation_factor is not None
            else None
        )
        self.random_hue = RandomHue(factor=hue_factor, **common) if hue_factor is not None else None

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = images.to(self.torch_compute_dtype)
        for layer in (
            self.random_brightness,
            self.random_contrast,
            self.random_saturation,
            self.random_hue,
        ):
            if layer is not None:
                step = layer.get_random_transformation(images, seed=self.generator)
                step = {k: v.to(images.device) for k, v in step.items()}
                images = layer.transform_images(images, step)
        return images.to(self.torch_compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor,
                "seed": self.seed,
            }
        )
        return config
