"""RandomElasticTransform: random smooth local displacements of the pixels in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from ....ops import image as image_ops
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import bounded_range

INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = {"constant", "nearest", "wrap", "mirror", "reflect"}


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Displace pixels by a smoothed random field (training only).

    Per image, with a probability drawn from the factor range, the image is deformed with
    a displacement of strength ``alpha = 0.1 * d * max(height, width)`` smoothed at
    ``sigma = 0.05 * d * min(height, width)``, ``d`` drawn once per call from the scale
    range; results are clipped to ``value_range``. A seeded layer repeats its fields.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``: the probability range.
        scale: ``s`` (meaning ``[0, s]``) or a pair in ``[0, 1]``: the distortion range.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"constant"``, ``"nearest"``, ``"wrap"`` or
            ``"mirror"``.
        fill_value: The value for ``fill_mode="constant"``.
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.RandomElasticTransform(seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = bounded_range(scale, "scale", self._FACTOR_BOUNDS)
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
            )
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {FILL_MODES}."
            )

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = int(images.shape[0]) if images.ndim == 4 else 1
        seed = self._seed_source(seed)
        probability = krandom.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = krandom.uniform((batch,), 0.0, 1.0, seed=seed)
        distortion = krandom.uniform(
            (), self.scale[0], self.scale[1], seed=seed, dtype=self.compute_dtype
        )
        # The displacement field's seed, drawn now so a given transformation is replayable.
        field_seed = krandom.draw_seed(seed)
        return {
            "apply_transform": threshold < probability,
            "distortion_factor": distortion,
            "seed": field_seed,
        }

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        height, width = images.shape[self._height_axis], images.shape[self._width_axis]
        distortion = float(transformation["distortion_factor"])
        alpha = max(height, width) * 0.1 * distortion
        sigma = min(height, width) * 0.05 * distortion
        generator = torch.Generator(device=images.device)
        generator.manual_seed(int(transformation["seed"]))
        warped = image_ops.elastic_transform(
            images,
            alpha=alpha,
            sigma=sigma,
            interpolation=interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            seed=generator,
            data_format=self.data_format,
        )
        apply = transformation["apply_transform"].to(images.device)
        apply = apply.reshape((-1,) + (1,) * (images.ndim - 1))
        out = torch.where(apply, warped, images)
        return out.clamp(self.value_range[0], self.value_range[1]).to(self.torch_compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "value_range": self.value_range,
                "seed": self.seed,
            }
        )
        return config
