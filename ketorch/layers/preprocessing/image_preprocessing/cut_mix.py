"""CutMix: paste a random box from another image of the batch in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer


def box_masks(shape, data_format, x0, x1, y0, y1, dtype):
    """Per-image boolean masks of the boxes ``[x0, x1) x [y0, y1)``, broadcast to ``shape``."""
    h_axis = 2 if data_format == "channels_first" else 1
    height, width = int(shape[h_axis]), int(shape[h_axis + 1])
    device = x0.device
    gy = torch.arange(height, dtype=dtype, device=device)
    gx = torch.arange(width, dtype=dtype, device=device)
    if data_format == "channels_first":
        gy, gx = gy.reshape(1, 1, -1, 1), gx.reshape(1, 1, 1, -1)
    else:
        gy, gx = gy.reshape(1, -1, 1, 1), gx.reshape(1, 1, -1, 1)

    def col(v):
        return v.reshape(-1, 1, 1, 1)

    inside = (gx >= col(x0)) & (gx < col(x1)) & (gy >= col(y0)) & (gy < col(y1))
    return inside.expand(*shape)


class CutMix(BaseImagePreprocessingLayer):
    """Paste a random rectangle from another image of the batch into each image (training).

    Per call, ``alpha`` is drawn from the factor range; per image, a Beta(``alpha``,
    ``alpha``) weight ``w`` sets the box to ``sqrt(1 - w)`` of the height and width, at a
    random position. Labels passed in a dict are mixed in proportion to the areas kept and
    pasted. Single (unbatched) images pass through.

    Args:
        factor: ``f`` (meaning ``[0, f]``) or a pair in ``[0, 1]``: the range of the Beta
            concentration.
        seed: Integer seed.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.CutMix(seed=1)(np.zeros((4, 8, 8, 3), "float32")).shape
        torch.Size([4, 8, 8, 3])
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def _crop_bounds(self, batch, length, ratio, seed):
        crop = (ratio * length).to(self.torch_compute_dtype)
        start = krandom.uniform((batch,), 0, 1, dtype=self.compute_dtype, seed=seed)
        start = start * (length - crop)
        return start, start + crop

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        if images.ndim == 3:
            return None
        shape = tuple(images.shape)
        batch = shape[0]
        height, width = shape[self._height_axis], shape[self._width_axis]
        seed = self._seed_source(seed)
        alpha = (
            krandom.uniform((), self.factor[0], self.factor[1], dtype=self.compute_dtype, seed=seed)
            + 1e-6
        )
        mix_weight = krandom.beta((batch,), alpha, alpha, seed=seed, dtype=self.compute_dtype)
        ratio = torch.sqrt(1.0 - mix_weight)
        x0, x1 = self._crop_bounds(batch, width, ratio, seed)
        y0, y1 = self._crop_bounds(batch, height, ratio, seed)
        masks = box_masks(shape, self.data_format, x0, x1, y0, y1, self.torch_compute_dtype)
        mix_weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = krandom.shuffle(torch.arange(0, batch, dtype=torch.int32), seed=seed)
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": mix_weight}

    def transform_images(self, images, transformation=None, training=True):
        images = images.to(self.torch_compute_dtype)
        if training and transformation is not None:
            order = transformation["permutation_order"].to(images.device).long()
            masks = transformation["batch_masks"].to(images.device)
            images = torch.where(masks, images.index_select(0, order), images)
        return images

    def transform_labels(self, labels, transformation, training=True):
        if training and transformation is not None:
            order = transformation["permutation_order"].to(labels.device).long()
            weight = transformation["mix_weight"].reshape(-1, 1).to(labels.device)
            labels = weight * labels + (1.0 - weight) * labels.index_select(0, order)
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config
