"""AugMix: mix several chains of random augmentations with the original image."""

from __future__ import annotations

import random as py_random

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .rand_augment import build_augmentations

ALL_OPS = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
)
# The operations that cannot change an image's overall colour statistics.
GEOMETRIC_AND_TONE_OPS = ALL_OPS[:7]


class AugMix(BaseImagePreprocessingLayer):
    """AugMix (Hendrycks et al., 2020), in training.

    ``num_chains`` chains of up to ``chain_depth`` random operations each transform the
    image; the chains are averaged with Dirichlet(``alpha``) weights and the average is
    blended with the original by a Beta(``alpha``, ``alpha``) weight. Operations are picked
    with Python's ``random`` module (as in Keras); their parameters come from this layer's
    seed generator.

    Args:
        value_range: ``(min, max)`` of the input values (default ``(0, 255)``).
        num_chains: Number of augmentation chains.
        chain_depth: Maximum number of operations per chain.
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``: operation strength.
        alpha: Concentration of the Dirichlet and Beta mixing weights.
        all_ops: Use all operations; ``False`` leaves out brightness, colour, contrast and
            sharpness (those that overlap common test-time corruptions).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.AugMix(seed=1)(np.zeros((2, 8, 8, 3), "float32")).shape
        torch.Size([2, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self._set_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)
        self._augment_layers = list(ALL_OPS if all_ops else GEOMETRIC_AND_TONE_OPS)
        build_augmentations(
            self,
            self._augment_layers,
            value_range,
            self.factor,
            interpolation,
            seed,
            self.data_format,
        )

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._seed_source(seed)
        gamma = krandom.gamma((self.num_chains,), alpha=self.alpha, seed=seed)
        chain_weights = gamma / gamma.sum(dim=-1, keepdim=True)
        weight_sample = krandom.beta((), alpha=self.alpha, beta=self.alpha, seed=seed)
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                name = py_random.choice(self._augment_layers + [None])
                if name is None:
                    continue
                layer = getattr(self, name)
                steps.append(
                    {
                        "layer_name": name,
                        "transformation": layer.get_random_transformation(
                            data, seed=self.generator
                        ),
                    }
                )
            chains.append(steps)
        return {
            "chain_mixing_weights": chain_weights,
            "weight_sample": weight_sample,
            "chain_transforms": chains,
        }

    def _mix(self, x, transformation, method):
        dtype = x.dtype if x.is_floating_point() else self.torch_compute_dtype
        weights = transformation["chain_mixing_weights"].to(x.device, dtype)
        blend = transformation["weight_sample"].to(x.device, dtype)
        mixed = torch.zeros_like(x, dtype=dtype)
        for i, chain in enumerate(transformation["chain_transforms"]):
            y = x
            for step in chain:
                y = getattr(getattr(self, step["layer_name"]), method)(y, step["transformation"])
            mixed = mixed + y * weights[i]
        return blend * x + (1 - blend) * mixed

    def transform_images(self, images, transformation, training=True):
        images = images.to(self.torch_compute_dtype)
        if not training:
            return images
        out = self._mix(images, transformation, "transform_images")
        return out.clamp(self.value_range[0], self.value_range[1]).to(self.torch_compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training:
            return segmentation_masks
        return self._mix(segmentation_masks, transformation, "transform_segmentation_masks")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "num_chains": self.num_chains,
                "chain_depth": self.chain_depth,
                "factor": self.factor,
                "alpha": self.alpha,
                "all_ops": self.all_ops,
                "interpolation": self.interpolation,
                "seed": self.seed,
            }
        )
        return config
