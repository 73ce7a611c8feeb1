"""MixUp: blend each image (and label) with another one of the batch in training."""

from __future__ import annotations

import torch

from .... import random as krandom
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .image_utils import batch_size_of


class MixUp(BaseImagePreprocessingLayer):
    """Replace each sample by ``w * x + (1 - w) * x[perm]`` (training only).

    ``perm`` is a random permutation of the batch and ``w`` a Beta(``alpha``, ``alpha``) draw
    per sample; labels passed in a dict (``{"images": ..., "labels": ...}``) are mixed with
    the same weights, so use one-hot (or soft) labels.

    Args:
        alpha: The Beta distribution's concentration (small values keep samples nearly
            unmixed).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> out = layers.MixUp(seed=1)({"images": np.ones((4, 2, 2, 3), "float32"),
        ...                             "labels": np.eye(4, dtype="float32")})
        >>> out["labels"].sum(axis=-1).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.alpha = alpha
        self.seed = seed
        self.generator = krandom.SeedGenerator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        batch = batch_size_of(images)
        seed = self._seed_source(seed)
        order = krandom.shuffle(torch.arange(0, batch, dtype=torch.int64), seed=seed)
        mix_weight = krandom.beta((batch,), self.alpha, self.alpha, seed=seed)
        return {"mix_weight": mix_weight, "permutation_order": order}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        images = images.to(self.torch_compute_dtype)
        weight = transformation["mix_weight"].reshape(-1, 1, 1, 1).to(images)
        order = transformation["permutation_order"].to(images.device)
        return weight * images + (1.0 - weight) * images.index_select(0, order)

    def transform_labels(self, labels, transformation, training=True):
        if not training:
            return labels
        order = transformation["permutation_order"].to(labels.device)
        weight = transformation["mix_weight"].reshape(-1, 1).to(labels.device)
        return weight * labels + (1.0 - weight) * labels.index_select(0, order)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training:
            return segmentation_masks
        order = transformation["permutation_order"].to(segmentation_masks.device)
        weight = transformation["mix_weight"].reshape(-1, 1, 1, 1).to(segmentation_masks.device)
        return weight * segmentation_masks + (1.0 - weight) * segmentation_masks.index_select(
            0, order
        )

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        order = transformation["permutation_order"].to(bounding_boxes["boxes"].device)
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        return {
            "boxes": torch.cat([boxes, boxes.index_select(0, order)], dim=1),
            "labels": torch.cat([labels, labels.index_select(0, order)], dim=1),
        }

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "seed": self.seed})
        return config
