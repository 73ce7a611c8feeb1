"""image_dataset_from_directory: labelled image batches from a folder, read with Pillow."""

from __future__ import annotations

import numpy as np
import torch

from .dataset_utils import _build, _check_label_args, _check_split_args, index_directory

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

# ---------------------------------------------------------------- images
_INTERPOLATIONS = {
    "bilinear": "bilinear",
    "nearest": "nearest-exact",
    "bicubic": "bicubic",
    "area": "area",
}


def _resize(
    image: torch.Tensor, size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio
) -> torch.Tensor:
    """Resize one ``(channels, height, width)`` float image as ``keras.ops.image.resize`` on torch."""
    height, width = image.shape[-2:]
    target_h, target_w = size
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(width * target_h / target_w)), 1)
        crop_w = max(min(width, int(height * target_w / target_h)), 1)
        top, left = int((height - crop_h) / 2), int((width - crop_w) / 2)
        image = image[:, top : top + crop_h, left : left + crop_w]
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(width * target_h / target_w))
        pad_w = max(width, int(height * target_w / target_h))
        top, left = int((pad_h - height) / 2), int((pad_w - width) / 2)
        image = torch.nn.functional.pad(image, (left, left, top, top))
    mode = _INTERPOLATIONS[interpolation]
    align = False if mode in ("bilinear", "bicubic") else None
    out = torch.nn.functional.interpolate(
        image[None], size=tuple(size), mode=mode, align_corners=align
    )
    return out[0]


def load_image(
    path: str,
    image_size,
    color_mode="rgb",
    interpolation="bilinear",
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format="channels_last",
) -> np.ndarray:
    """Read an image file with Pillow and resize it to ``image_size`` (float32, 0-255).

    Args:
        path: The image file.
        image_size: ``(height, width)``.
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"``.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"`` or ``"area"``.
        crop_to_aspect_ratio: Center-crop to the target aspect ratio first.
        pad_to_aspect_ratio: Pad (with 0) to the target aspect ratio first.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        A float32 array ``(height, width, channels)`` (or channels first).
    """
    from PIL import Image  # optional dependency, loaded on first use

    modes = {"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}
    with Image.open(path) as img:
        if color_mode == "grayscale" and img.mode in ("L", "I;16", "I"):
            array = np.array(img)
        else:
            array = np.array(
                img if img.mode == modes[color_mode] else img.convert(modes[color_mode])
            )
    array = array.astype("float32")
    if array.ndim == 2:
        array = array[..., None]
    chw = torch.from_numpy(array).permute(2, 0, 1)
    resized = _resize(chw, image_size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)
    if data_format == "channels_last":
        resized = resized.permute(1, 2, 0)
    return resized.contiguous().numpy()


def image_dataset_from_directory(
    directory: str,
    labels="inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size=(256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
):
    """A dataset of ``(images, labels)`` batches from a folder of image files.

    With ``labels="inferred"`` each subfolder of ``directory`` is a class
    (classes in alphanumeric order, or as listed in ``class_names``). Files
    are listed, shuffled and split between training and validation exactly
    as Keras does, so the same ``seed`` gives the same files in each subset.

    Batches are numpy arrays: images float32 ``(batch, height, width,
    channels)`` with values in 0-255; labels int32 ``(batch,)`` for
    ``"int"``, float32 ``(batch, 1)`` for ``"binary"``, float32 one-hot
    ``(batch, num_classes)`` for ``"categorical"``. Each epoch after the first
    visits the training files in a new order (Keras reshuffles through a
    buffer, so the within-epoch order differs from Keras's).

    Args:
        directory: The root folder.
        labels: ``"inferred"``, None, or a list of integer labels (one per
            file, in the sorted order of the file paths).
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None.
        class_names: The subfolders to use, in label order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        batch_size: Batch size; None yields single images.
        image_size: ``(height, width)`` (or an int) to resize to.
        shuffle: Whether to shuffle (otherwise alphanumeric order).
        seed: The shuffle seed (required with ``validation_split`` and shuffling).
        validation_split: Fraction of the files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns a
            list ``[train, validation]``).
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"`` or ``"area"``.
        follow_links: Follow symbolic links to folders.
        crop_to_aspect_ratio: Center-crop to the target aspect ratio first.
        pad_to_aspect_ratio: Pad to the target aspect ratio first.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        verbose: Print the number of files found.

    Returns:
        A lazy ``tf.data``-style `Dataset` (``map``, ``batch``, ``shuffle``,
        ``prefetch``, ..., also indexable: ``ds[i]``) with ``class_names`` and
        ``file_paths`` attributes (or
        a list of two with ``subset="both"``).
    """
    _check_label_args(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in ("rgb", "rgba", "grayscale"):
        raise ValueError(
            f'Argument `color_mode` must be "rgb", "rgba" or "grayscale". Received: color_mode={color_mode!r}'
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            f"Argument `image_size` must be a tuple of 2 integers. Received: image_size={image_size!r}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` must be one of {tuple(_INTERPOLATIONS)}. Received: interpolation={interpolation!r}"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True. "
            "Received: crop_to_aspect_ratio=True, pad_to_aspect_ratio=True"
        )
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Argument `data_format` must be channels_last or channels_first. Received: data_format={data_format!r}"
        )
    _check_split_args(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(
        directory, labels, IMAGE_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'label_mode="binary" needs exactly 2 classes. Received: class_names={class_names}'
        )
    size = tuple(int(s) for s in image_size)

    def load(batch_paths):
        images = [
            load_image(
                p,
                size,
                color_mode,
                interpolation,
                crop_to_aspect_ratio,
                pad_to_aspect_ratio,
                data_format,
            )
            for p in batch_paths
        ]
        return np.stack(images)

    return _build(
        paths,
        labels,
        label_mode,
        class_names,
        batch_size,
        load,
        shuffle,
        seed,
        validation_split,
        subset,
        verbose,
        "image ",
    )
