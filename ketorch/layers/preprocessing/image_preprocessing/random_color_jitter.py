"""RandomColorJitter: random brightness, contrast, saturation and hue, in that order."""

from __future__ import annotations

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .random_brightness import RandomBrightness
from .random_contrast import RandomContrast
from .random_hue import RandomHue
from .random_saturation import RandomSaturation


def _sub_layer(cls, arg, factor, common):
    """The ``cls`` adjustment for ``factor`` (``None`` when not given); an invalid factor is
    reported under this layer's argument name (``brightness_factor=...``), not ``factor``."""
    if factor is None:
        return None
    try:
        return cls(factor=factor, **common)
    except ValueError as exc:
        message = str(exc)
        if "factor=" not in message:
            raise
        head = message.split(" Received:")[0].replace("The `factor` argument", f"`{arg}`")
        raise ValueError(f"{head} Received: {arg}={factor!r}") from None


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
        self.random_brightness = _sub_layer(
            RandomBrightness, "brightness_factor", brightness_factor, common
        )
        self.random_contrast = _sub_layer(
            RandomContrast, "contrast_factor", contrast_factor, common
        )
        self.random_saturation = _sub_layer(
            RandomSaturation, "saturation_factor", saturation_factor, common
        )
        self.random_hue = _sub_layer(RandomHue, "hue_factor", hue_factor, common)

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
