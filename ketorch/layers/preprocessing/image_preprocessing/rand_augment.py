"""RandAugment: apply a few augmentations drawn at random from a fixed list (training)."""

from __future__ import annotations

from .... import random as krandom
from .auto_contrast import AutoContrast
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .equalization import Equalization
from .random_brightness import RandomBrightness
from .random_color_degeneration import RandomColorDegeneration
from .random_contrast import RandomContrast
from .random_posterization import RandomPosterization
from .random_rotation import RandomRotation
from .random_sharpness import RandomSharpness
from .random_shear import RandomShear
from .random_translation import RandomTranslation
from .solarization import Solarization

AUGMENTATIONS = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)


def build_augmentations(owner, names, value_range, factor, interpolation, seed, data_format):
    """Create the named augmentation layers as attributes of ``owner`` (RandAugment, AugMix)."""
    common = {"data_format": data_format}
    makers = {
        "random_shear": lambda: RandomShear(
            x_factor=factor, y_factor=factor, interpolation=interpolation, seed=seed, **common
        ),
        "random_translation": lambda: RandomTranslation(
            height_factor=factor,
            width_factor=factor,
            interpolation=interpolation,
            seed=seed,
            **common,
        ),
        "random_rotation": lambda: RandomRotation(
            factor=factor, interpolation=interpolation, seed=seed, **common
        ),
        "random_brightness": lambda: RandomBrightness(
            factor=factor, value_range=value_range, seed=seed, **common
        ),
        "random_color_degeneration": lambda: RandomColorDegeneration(
            factor=factor, value_range=value_range, seed=seed, **common
        ),
        "random_contrast": lambda: RandomContrast(
            factor=factor, value_range=value_range, seed=seed, **common
        ),
        "random_sharpness": lambda: RandomSharpness(
            factor=factor, value_range=value_range, seed=seed, **common
        ),
        "random_posterization": lambda: RandomPosterization(
            factor=max(1, int(8 * factor[1])), value_range=value_range, seed=seed, **common
        ),
        "solarization": lambda: Solarization(
            addition_factor=factor, threshold_factor=factor, value_range=value_range, seed=seed
        ),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, **common),
        "equalization": lambda: Equalization(value_range=value_range, **common),
    }
    for name in names:
        setattr(owner, name, makers[name]())


class RandAugment(BaseImagePreprocessingLayer):
    """RandAugment (Cubuk et al., 2019): ``num_ops`` augmentations chosen at random per call.

    The candidates are shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization, all at
    strength ``factor``. Inactive at inference.

    Args:
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        num_ops: How many augmentations to apply in sequence.
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``: the strength.
        interpolation: ``"bilinear"`` (default) or ``"nearest"`` for geometric operations.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandAugment(seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _AUGMENT_LAYERS = AUGMENTATIONS

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self._set_factor(factor)
        self.interpolation = interpolation
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        build_augmentations(
            self,
            AUGMENTATIONS,
            value_range,
            self.factor,
            interpolation,
            seed,
            self.data_format,
        )

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        indices = krandom.randint((self.num_ops,), 0, len(AUGMENTATIONS), seed=self.generator)
        transforms = {
            name: getattr(self, name).get_random_transformation(
                data, training=training, seed=self.generator
            )
            for name in AUGMENTATIONS
        }
        return {"transforms": transforms, "layer_idxes": indices}

    def transform_images(self, images, transformation, training=True):
        images = images.to(self.torch_compute_dtype)
        if not training:
            return images
        chosen = transformation["layer_idxes"].tolist()
        for i in range(self.num_ops):
            name = AUGMENTATIONS[chosen[i]]
            layer = getattr(self, name)
            out = layer.transform_images(images, transformation["transforms"][name])
            images = out.to(self.torch_compute_dtype)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training:
            return segmentation_masks
        chosen = transformation["layer_idxes"].tolist()
        for i in range(self.num_ops):
            name = AUGMENTATIONS[chosen[i]]
            segmentation_masks = getattr(self, name).transform_segmentation_masks(
                segmentation_masks, transformation["transforms"][name]
            )
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        chosen = transformation["layer_idxes"].tolist()
        for i in range(self.num_ops):
            name = AUGMENTATIONS[chosen[i]]
            layer = getattr(self, name)
            layer.bounding_box_format = self.bounding_box_format
            bounding_boxes = layer.transform_bounding_boxes(
                dict(bounding_boxes), transformation["transforms"][name]
            )
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "num_ops": self.num_ops,
                "factor": self.factor,
                "interpolation": self.interpolation,
                "seed": self.seed,
            }
        )
        return config
