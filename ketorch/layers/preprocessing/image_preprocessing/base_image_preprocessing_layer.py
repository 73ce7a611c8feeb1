"""The base of the image augmentation layers: Keras's transformation protocol on torch.

Every layer splits its work in two steps, as Keras's do:

1. ``get_random_transformation(data, training, seed)`` draws the random parameters of one
   call (angles, flips, crop boxes, ...) from the layer's :class:`ketorch.random.SeedGenerator`
   with the same draws, in the same order, as Keras, so a seeded layer repeats Keras's
   augmentations number for number;
2. ``transform_images`` / ``transform_labels`` / ``transform_segmentation_masks`` /
   ``transform_bounding_boxes`` apply one transformation, so the images, masks and boxes of a
   sample move together, and a transformation can be given by hand.

``call(data, training=True)`` takes a batch ``(batch, height, width, channels)``, one image
``(height, width, channels)`` or a dict with an ``"images"`` key and optional ``"labels"``,
``"segmentation_masks"`` and ``"bounding_boxes"``. Random layers are active when ``training``
is true -- the default when a layer is called directly, as in Keras -- and pass images through
(cast to the layer's dtype where Keras casts) under ``training=False``, which ``predict`` and
``evaluate`` use.
"""

from __future__ import annotations

import math

import torch

from .... import backend as _backend
from ...convolutional.base_conv import normalize_data_format
from ...layer import Layer
from ...node import KerasTensor, map_structure
from .bounding_boxes import densify_bounding_boxes
from .image_utils import as_tensor, to_device


class BaseImagePreprocessingLayer(Layer):
    """Base class of the image preprocessing and augmentation layers.

    Subclasses define ``get_random_transformation`` and the ``transform_*`` methods (or
    ``_transform_images`` for geometric layers, which then share image and mask handling).

    Args:
        factor: The layer's strength, for layers that use the shared factor rule: a number
            ``f`` means ``[-f, f]`` clipped to the layer's bounds, a pair ``[lower, upper]``.
        bounding_box_format: The format of ``data["bounding_boxes"]["boxes"]`` (``"xyxy"``,
            ``"rel_xyxy"``, ``"xywh"``, ``"center_xywh"``, ``"yxyx"``, ...).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)
    # A compiled training step would trace the host-side draws once and replay them.
    _jit_unfriendly = "draws its random transformation on the host from a SeedGenerator"
    # The interpolation the base transform_images passes to _transform_images.
    interpolation = "bilinear"

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(
                f"Layer {type(self).__name__} does not take a `factor` argument. "
                f"Received: factor={factor}"
            )
        self.built = True

    # ----------------------------------------------------------------- arguments
    def _set_factor(self, factor):
        low, high = self._FACTOR_BOUNDS
        message = (
            "The `factor` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={factor}"
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > high or factor[1] < low:
                raise ValueError(message)
            lower, upper = sorted(factor)
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < low or factor > high:
                raise ValueError(message)
            lower, upper = max(-abs(factor), low), abs(factor)
        else:
            raise ValueError(message)
        self.factor = (lower, upper)

    def _seed_source(self, seed=None):
        """The seed argument for this call's draws: ``seed`` or the layer's generator."""
        if seed is not None:
            return seed
        return self.generator

    @property
    def torch_compute_dtype(self) -> torch.dtype:
        """The torch dtype of :attr:`compute_dtype` (what images are cast to)."""
        return _backend.torch_dtype(self.compute_dtype)

    @property
    def _height_axis(self):
        return -2 if self.data_format == "channels_first" else -3

    @property
    def _width_axis(self):
        return -1 if self.data_format == "channels_first" else -2

    @property
    def _channel_axis(self):
        return -3 if self.data_format == "channels_first" else -1

    # -------------------------------------------------------------- the protocol
    def get_random_transformation(self, data, training=True, seed=None):
        """The random parameters of one call (``None`` for deterministic layers)."""
        return None

    def _transform_images(self, images, transformation, interpolation):
        raise NotImplementedError

    def transform_images(self, images, transformation, training=True):
        """Apply ``transformation`` to a batch of images (cast to the layer's dtype)."""
        images = images.to(self.torch_compute_dtype)
        if training:
            images = self._transform_images(images, transformation, self.interpolation)
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise NotImplementedError(f"{type(self).__name__} does not transform bounding boxes.")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if training:
            segmentation_masks = self._transform_images(
                segmentation_masks, transformation, "nearest"
            )
        return segmentation_masks

    def transform_single_image(self, image, transformation, training=True):
        out = self.transform_images(image.unsqueeze(0), transformation, training=training)
        return out.squeeze(0)

    def transform_single_label(self, label, transformation, training=True):
        out = self.transform_labels(label.unsqueeze(0), transformation, training=training)
        return out.squeeze(0)

    def transform_single_segmentation_mask(self, mask, transformation, training=True):
        out = self.transform_segmentation_masks(
            mask.unsqueeze(0), transformation, training=training
        )
        return out.squeeze(0)

    def transform_single_bounding_box(self, bounding_box, transformation, training=True):
        boxes = {
            k: (v.unsqueeze(0) if k in ("boxes", "labels") else v) for k, v in bounding_box.items()
        }
        out = self.transform_bounding_boxes(boxes, transformation, training=training)
        return {k: (v.squeeze(0) if k in ("boxes", "labels") else v) for k, v in out.items()}

    # ------------------------------------------------------------------- calling
    @staticmethod
    def _is_batched(images):
        rank = images.ndim
        if rank == 3:
            return False
        if rank == 4:
            return True
        raise ValueError(
            "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
            f"Received: data.shape={tuple(images.shape)}"
        )

    def call(self, data, training=True):
        if isinstance(data, dict):
            return self._call_on_dict(dict(data), training)
        images = as_tensor(data)
        batched = self._is_batched(images)
        transformation = self.get_random_transformation(images, training=training)
        transformation = to_device(transformation, images.device)
        if batched:
            return self.transform_images(images, transformation, training=training)
        return self.transform_single_image(images, transformation, training=training)

    def _call_on_dict(self, data, training):
        images = as_tensor(data["images"])
        data["images"] = images
        batched = self._is_batched(images)
        transformation = self.get_random_transformation(data, training=training)
        transformation = to_device(transformation, images.device)
        if batched:
            data["images"] = self.transform_images(images, transformation, training=training)
        else:
            data["images"] = self.transform_single_image(images, transformation, training=training)
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    "You passed an input with a 'bounding_boxes' key, but you didn't specify "
                    "a bounding box format. Pass a `bounding_box_format` argument to your "
                    f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
                )

            boxes = densify_bounding_boxes(
                data["bounding_boxes"], is_batched=batched, device=images.device
            )
            if batched:
                data["bounding_boxes"] = self.transform_bounding_boxes(
                    boxes, transformation, training=training
                )
            else:
                data["bounding_boxes"] = self.transform_single_bounding_box(
                    boxes, transformation, training=training
                )
        if "labels" in data:
            labels = as_tensor(data["labels"], images.device)
            if batched:
                data["labels"] = self.transform_labels(labels, transformation, training=training)
            else:
                data["labels"] = self.transform_single_label(
                    labels, transformation, training=training
                )
        if "segmentation_masks" in data:
            masks = as_tensor(data["segmentation_masks"], images.device)
            if batched:
                data["segmentation_masks"] = self.transform_segmentation_masks(
                    masks, transformation, training=training
                )
            else:
                data["segmentation_masks"] = self.transform_single_segmentation_mask(
                    masks, transformation, training=training
                )
        return data

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, *args, **kwargs):
        data = args[0] if args else next(iter(kwargs.values()))
        if not isinstance(data, dict):
            return super().compute_output_spec(*args, **kwargs)
        # A dict of images, labels, masks and boxes: images and masks change shape as the
        # images do; the rest keeps its shape.
        out = {}
        for key, value in data.items():
            if key in ("images", "segmentation_masks"):
                shape = self.compute_output_shape(tuple(value.shape))
                dtype = self.compute_dtype if key == "images" else value.dtype
                out[key] = KerasTensor(tuple(shape), dtype)
            else:
                out[key] = map_structure(
                    lambda t: KerasTensor(tuple(t.shape), t.dtype) if hasattr(t, "shape") else t,
                    value,
                )
        return out

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config

    # ------------------------------------------------------------------ helpers
    def _transform_value_range(self, images, original_range, target_range, dtype=None):
        """Map values linearly from ``original_range`` to ``target_range``."""
        if original_range[0] == target_range[0] and original_range[1] == target_range[1]:
            return images
        tdtype = _backend.torch_dtype(dtype or "float32")
        images = images.to(tdtype)
        o_min, o_max = float(original_range[0]), float(original_range[1])
        t_min, t_max = float(target_range[0]), float(target_range[1])
        scaled = (images - o_min) / (o_max - o_min)
        return scaled * (t_max - t_min) + t_min

    def _compute_affine_matrix(
        self,
        center_x,
        center_y,
        angle,
        translate_x,
        translate_y,
        scale,
        shear_x,
        shear_y,
        height,
        width,
    ):
        """Batched ``(batch, 8)`` affine transforms (output to input coordinates).

        The matrix is scaling * shear * rotation about the point ``(center_x * (width - 1),
        center_y * (height - 1))``, followed by a translation; angles are in degrees.
        """
        to_rad = math.pi / 180.0
        angle = angle * to_rad
        shear_x = torch.tan(shear_x * to_rad)
        shear_y = torch.tan(shear_y * to_rad)
        dtype, device = angle.dtype, angle.device
        cx = center_x * (torch.tensor(width, dtype=dtype, device=device) - 1)
        cy = center_y * (torch.tensor(height, dtype=dtype, device=device) - 1)
        cos, sin = torch.cos(angle), torch.sin(angle)
        a0 = scale * (cos + shear_x * sin)
        a1 = scale * (-sin + shear_x * cos)
        a2 = translate_x + cx - cx * a0 - cy * a1
        b0 = scale * (shear_y * cos + sin)
        b1 = scale * (shear_y * -sin + cos)
        b2 = translate_y + cy - cx * b0 - cy * b1
        zeros = torch.zeros((angle.shape[0], 2), dtype=dtype, device=device)
        columns = [c.reshape(-1, 1).to(dtype) for c in (a0, a1, a2, b0, b1, b2)]
        return torch.cat([*columns, zeros], dim=1)
