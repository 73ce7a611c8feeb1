"""Bounding box utilities (``keras.utils.bounding_boxes``): format conversion, clipping,
cropping, padding, affine transforms, anchor deltas and IoU measures, on torch tensors."""

from .deltas import decode_deltas_to_boxes, encode_box_to_deltas
from .formats import convert_format
from .geometry import affine_transform, clip_to_image_size, crop, pad
from .iou import compute_ciou, compute_iou

__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
