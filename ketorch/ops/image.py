"""``keras.ops.image``: resizing, patches, geometric transforms, colour spaces and filters.

Images are ``(batch, height, width, channels)`` (``"channels_last"``, the default of
:func:`ketorch.config.image_data_format`) or ``(batch, channels, height, width)``; most ops
also take a single unbatched image. Every op runs fused torch kernels (``F.interpolate``,
``F.grid_sample``, grouped ``conv2d``, ``Tensor.unfold``) on the image's device; a
channels-last image is handed to them as a channels-last strided NCHW view, no copy.

Example:

>>> import torch
>>> from ketorch import ops
>>> ops.image.resize(torch.rand(2, 8, 8, 3), (4, 4)).shape
torch.Size([2, 4, 4, 3])
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F

from .. import config
from ..layers.node import KerasTensor
from . import _dtypes
from ._common import dtype_of, to_tensor
from .operation import keras_op

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]

_RESIZE_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}
_LANCZOS = ("lanczos3", "lanczos5")
_SAMPLE_ORDERS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_INT_TYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


# ------------------------------------------------------------------------------ helpers
def _fail(op, msg, exc=ValueError):
    return exc(f"ops.image.{op}: {msg}")


def _data_format(data_format, op):
    fmt = config.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise _fail(
            op,
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}",
        )
    return fmt


def _images(x, op, arg="images", ranks=(3, 4)):
    x = to_tensor(x)
    if x.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise _fail(
            op,
            f"`{arg}` must have rank {want} (a single image or a batch of images). "
            f"Received: {arg}.shape={tuple(x.shape)}",
        )
    return x


def _choice(value, options, op, arg):
    if value not in options:
        raise _fail(op, f"`{arg}` must be one of {tuple(options)}. Received: {arg}={value!r}")
    return value


def _int_tuple(value, n, op, arg, minimum=1):
    """An int or a length-``n`` sequence of ints (each ``>= minimum``) as a tuple."""
    if isinstance(value, (numbers.Integral,)) and not isinstance(value, bool):
        value = (int(value),) * n
    elif isinstance(value, (list, tuple)) and len(value) == n:
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
            raise _fail(op, f"`{arg}` must hold integers. Received: {arg}={value!r}", TypeError)
        value = tuple(int(v) for v in value)
    else:
        raise _fail(op, f"`{arg}` must be an int or a tuple of {n} ints. Received: {arg}={value!r}")
    if any(v < minimum for v in value):
        raise _fail(op, f"`{arg}` values must be >= {minimum}. Received: {arg}={value!r}")
    return value


def _nchw(x, fmt):
    """A batched image as an NCHW tensor (a channels-last strided view for NHWC input)."""
    return x.permute(0, 3, 1, 2) if fmt == "channels_last" else x


def _from_nchw(x, fmt):
    return x.permute(0, 2, 3, 1) if fmt == "channels_last" else x


def _cast_back(x, dtype):
    """A float result back to an image dtype (integers are rounded first)."""
    if x.dtype == dtype:
        return x
    if dtype in _INT_TYPES:
        x = torch.round(x)
    return x.to(dtype)


def _float_dtype(*dtypes):
    """The floating dtype a computation runs in: the promoted float dtypes, else float32."""
    floats = [d for d in dtypes if d.is_floating_point]
    if not floats:
        return torch.float32
    out = floats[0]
    for d in floats[1:]:
        out = torch.promote_types(out, d)
    return out


# ----------------------------------------------------------------------- colour spaces
def _colour_spec(op, channels, out_channels=None):
    """Symbolic rule of a colour-space op: checks what is known (rank, dtype, channels)."""

    def spec(images, data_format=None):
        fmt = _data_format(data_format, op)
        shape = list(images.shape)
        if len(shape) not in (3, 4):
            raise _fail(op, f"`images` must have rank 3 or 4. Received: images.shape={shape}")
        if out_channels is None and not _dtypes.is_float_dtype(images.dtype):
            raise _fail(op, f"`images` must have a float dtype. Received: dtype={images.dtype}")
        axis = -1 if fmt == "channels_last" else -3
        if shape[axis] is not None and shape[axis] not in channels:
            raise _fail(
                op,
                f"`images` must have {' or '.join(map(str, channels))} channels. "
                f"Received: images.shape={tuple(shape)}",
            )
        if out_channels is not None:
            shape[axis] = out_channels
        return KerasTensor(tuple(shape), images.dtype)

    return spec


@keras_op(spec=_colour_spec("rgb_to_grayscale", (3, 1), 1))
def rgb_to_grayscale(images, data_format=None):
    """Luma of RGB image(s) (ITU-R 601 weights); the channel axis becomes length 1.

    Args:
        images: A 3D or 4D RGB (or already one-channel) image tensor.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The grayscale image(s), in the input dtype.
    """
    fmt = _data_format(data_format, "rgb_to_grayscale")
    x = _images(images, "rgb_to_grayscale")
    axis = x.ndim - 1 if fmt == "channels_last" else x.ndim - 3
    if x.shape[axis] not in (1, 3):
        raise _fail(
            "rgb_to_grayscale",
            "`images` must have 3 (RGB) or 1 (grayscale) channels. "
            f"Received: images.shape={tuple(x.shape)}",
        )
    if x.shape[axis] == 1:
        return x.clone()
    dtype = x.dtype
    xf = x if dtype.is_floating_point else x.to(torch.float32)
    w = torch.tensor((0.2989, 0.587, 0.114), dtype=xf.dtype, device=x.device)
    if fmt == "channels_last":
        gray = torch.matmul(xf, w.unsqueeze(-1))
    else:
        gray = torch.tensordot(xf, w, dims=([axis], [0])).unsqueeze(axis)
    return gray.to(dtype)


def _hsv_checks(images, data_format, op):
    fmt = _data_format(data_format, op)
    x = _images(images, op)
    if not x.dtype.is_floating_point:
        raise _fail(op, f"`images` must have a float dtype. Received: dtype={dtype_of(x)}")
    axis = x.ndim - 1 if fmt == "channels_last" else x.ndim - 3
    if x.shape[axis] != 3:
        raise _fail(op, f"`images` must have 3 channels. Received: images.shape={tuple(x.shape)}")
    return x, axis


@keras_op(spec=_colour_spec("rgb_to_hsv", (3,)))
def rgb_to_hsv(images, data_format=None):
    """RGB image(s) with values in ``[0, 1]`` to HSV (hue, saturation, value in ``[0, 1]``).

    Args:
        images: A 3D or 4D float RGB image tensor.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The HSV image(s), same shape and dtype.
    """
    x, axis = _hsv_checks(images, data_format, "rgb_to_hsv")
    eps = torch.finfo(x.dtype).eps
    x = torch.where(x.abs() < eps, 0.0, x)
    r, g, b = x.unbind(axis)
    v = torch.maximum(torch.maximum(r, g), b)
    spread = v - torch.minimum(torch.minimum(r, g), b)
    has_v, has_spread = v > 0, spread > 0
    s = torch.where(has_v, spread / torch.where(has_v, v, 1.0), 0.0)
    inv = 1.0 / (6.0 * torch.where(has_spread, spread, 1.0))
    h = torch.where(v == g, inv * (b - r) + 2.0 / 6.0, inv * (r - g) + 4.0 / 6.0)
    h = torch.where(v == r, inv * (g - b), h)
    h = torch.where(has_spread, h, 0.0) + (h < 0.0).to(h.dtype)
    return torch.stack((h, s, v), dim=axis)


@keras_op(spec=_colour_spec("hsv_to_rgb", (3,)))
def hsv_to_rgb(images, data_format=None):
    """HSV image(s) (all channels in ``[0, 1]``) to RGB.

    Args:
        images: A 3D or 4D float HSV image tensor.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The RGB image(s), same shape and dtype.
    """
    x, axis = _hsv_checks(images, data_format, "hsv_to_rgb")
    h, s, v = x.split(1, dim=axis)
    tail = (1,) * (x.ndim - 1 - axis)
    # Per output channel c: clip(sign_c * |6h - centre_c| + offset_c, 0, 1).
    centre = torch.tensor((3.0, 2.0, 4.0), dtype=x.dtype, device=x.device).view(3, *tail)
    sign = torch.tensor((1.0, -1.0, -1.0), dtype=x.dtype, device=x.device).view(3, *tail)
    offset = torch.tensor((-1.0, 2.0, 2.0), dtype=x.dtype, device=x.device).view(3, *tail)
    dh = torch.remainder(h, 1.0) * 6.0
    d = torch.clip(sign * torch.abs(dh - centre) + offset, 0.0, 1.0)
    return v * ((1.0 - s) + s * d)


# ------------------------------------------------------------------------------ resize
def _resample_matrix(in_size, out_size, scale, translation, kernel, antialias, dtype, device):
    """``(in_size, out_size)`` weights of a separable resampling along one axis.

    Output sample ``j`` sits at input position ``(j + 0.5 - translation) / scale - 0.5``;
    its weights are ``kernel`` at the distances to the input pixels (stretched by
    ``1 / scale`` when antialiasing a downscale), normalised to sum to one, and zero for
    samples outside the input.
    """
    inv = 1.0 / scale
    if antialias:
        stretch = torch.maximum(inv, torch.ones((), dtype=inv.dtype, device=device))
    else:
        stretch = 1.0
    pos = (torch.arange(out_size, dtype=dtype, device=device) + 0.5) * inv
    pos = pos - translation * inv - 0.5
    src = torch.arange(in_size, dtype=dtype, device=device)
    w = kernel(torch.abs(pos.unsqueeze(0) - src.unsqueeze(1)) / stretch)
    total = w.sum(dim=0, keepdim=True)
    ok = torch.abs(total) > 1000.0 * float(np.finfo(np.float32).eps)
    w = torch.where(ok, w / torch.where(total != 0, total, 1.0), 0.0)
    inside = (pos >= -0.5) & (pos <= in_size - 0.5)
    return torch.where(inside.unsqueeze(0), w, 0.0)


def _triangle(x):
    return torch.clamp(1.0 - x, min=0.0)


def _keys_cubic(x):
    near = (1.5 * x - 2.5) * x * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return torch.where(x >= 2.0, 0.0, torch.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(x):
        big = x > 1e-3
        t = torch.where(big, x, 1.0)
        y = radius * torch.sin(math.pi * t) * torch.sin(math.pi * t / radius)
        y = torch.where(big, y / (math.pi**2 * t * t), 1.0)
        return torch.where(x > radius, 0.0, y)

    return kernel


_KERNELS = {
    "linear": _triangle,
    "bilinear": _triangle,
    "trilinear": _triangle,
    "cubic": _keys_cubic,
    "bicubic": _keys_cubic,
    "tricubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def _resample(x, axes, out_sizes, scales, translations, kernel, antialias, wdtype):
    """Separable resampling of ``x`` along ``axes`` (one small matmul per axis)."""
    for i, (axis, n) in enumerate(zip(axes, out_sizes)):
        w = _resample_matrix(
            x.shape[axis], n, scales[i], translations[i], kernel, antialias, wdtype, x.device
        )
        x = torch.matmul(x.movedim(axis, -1), w.to(x.dtype)).movedim(-1, axis)
    return x


@keras_op
def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Resize image(s) to ``size = (height, width)``.

    Args:
        images: A 3D or 4D image tensor (any real dtype; integers are rounded back).
        size: ``(height, width)`` of the output.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"`` or
            ``"lanczos5"``.
        antialias: Low-pass filter when downsampling (bilinear, bicubic, lanczos).
        crop_to_aspect_ratio: Crop the largest centred window of the target aspect ratio
            first.
        pad_to_aspect_ratio: Pad the short side evenly (with ``fill_value``) to the target
            aspect ratio first.
        fill_mode: Only ``"constant"``.
        fill_value: The padding value for ``pad_to_aspect_ratio``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The resized image(s), in the input dtype.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.image.resize(torch.rand(6, 8, 3), (3, 4), interpolation="nearest").shape
    torch.Size([3, 4, 3])
    """
    op = "resize"
    fmt = _data_format(data_format, op)
    try:
        th, tw = (int(s) for s in size)
    except (TypeError, ValueError):
        raise _fail(op, f"`size` must be a tuple of 2 integers. Received: size={size!r}") from None
    if th <= 0 or tw <= 0:
        raise _fail(op, f"`size` must have positive height and width. Received: size={size!r}")
    if interpolation not in _RESIZE_MODES and interpolation not in _LANCZOS:
        raise _fail(
            op,
            f"`interpolation` must be one of {(*_RESIZE_MODES, *_LANCZOS)}. "
            f"Received: interpolation={interpolation!r}",
        )
    if fill_mode != "constant":
        raise _fail(op, f"`fill_mode` must be 'constant'. Received: fill_mode={fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise _fail(op, "Only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` can be True.")
    x = _images(images, op)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    dtype = x.dtype
    if dtype not in (torch.float32, torch.float64):
        x = x.to(torch.float32)
    x = _nchw(x, fmt)
    h, w = x.shape[-2:]
    if crop_to_aspect_ratio:
        ch = max(min(h, int(float(w * th) / tw)), 1)
        cw = max(min(w, int(float(h * tw) / th)), 1)
        top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
        x = x[:, :, top : top + ch, left : left + cw]
    elif pad_to_aspect_ratio:
        ph = max(h, int(float(w * th) / tw))
        pw = max(w, int(float(h * tw) / th))
        top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
        if top > 0 or left > 0:
            x = F.pad(x, (left, left, top, top), value=float(fill_value))
    if interpolation in _LANCZOS:
        one = torch.ones((), dtype=x.dtype, device=x.device)
        scales = (one * (th / x.shape[-2]), one * (tw / x.shape[-1]))
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        out = _resample(
            x, (2, 3), (th, tw), scales, (zero, zero), _KERNELS[interpolation], antialias, x.dtype
        )
    else:
        smooth = interpolation in ("bilinear", "bicubic")
        out = F.interpolate(
            x,
            size=(th, tw),
            mode=_RESIZE_MODES[interpolation],
            align_corners=False if smooth else None,
            antialias=bool(antialias) and smooth,
        )
    if interpolation != "bilinear" and interpolation != "nearest" and dtype == torch.uint8:
        out = out.clamp(0, 255)
    out = _from_nchw(out, fmt)
    if unbatched:
        out = out.squeeze(0)
    return _cast_back(out, dtype)


def _scale_and_translate_spec(images, output_shape, scale, translation, *args, **kwargs):
    """Symbolic output: ``output_shape`` (it names every axis), the images' dtype."""
    return KerasTensor(tuple(output_shape), dtype_of(images))


@keras_op(spec=_scale_and_translate_spec)
def scale_and_translate(
    images,
    output_shape,
    scale,
    translation,
    spatial_dims,
    method,
    antialias=True,
):
    """Resample ``images`` along ``spatial_dims`` with a scale and a translation.

    Output sample ``j`` of spatial axis ``k`` reads input position
    ``(j + 0.5 - translation[k]) / scale[k] - 0.5``, interpolated with ``method``'s kernel
    (widened by ``1 / scale`` when ``antialias`` and downscaling).

    Args:
        images: A tensor of any rank.
        output_shape: The full output shape.
        scale: One scale per spatial dim.
        translation: One translation per spatial dim.
        spatial_dims: The axes to resample.
        method: ``"linear"``/``"bilinear"``/``"trilinear"``, ``"cubic"``/``"bicubic"``/
            ``"tricubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        antialias: Whether to low-pass filter when downscaling.

    Returns:
        The resampled tensor, in the input dtype (integers are rounded and clipped to the
        input's range).
    """
    op = "scale_and_translate"
    kernel = _KERNELS.get(method)
    if kernel is None:
        raise _fail(op, f"`method` must be one of {tuple(_KERNELS)}. Received: method={method!r}")
    x = to_tensor(images)
    scale, translation = to_tensor(scale), to_tensor(translation)
    wdtype = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(scale), dtype_of(translation)))
    if not wdtype.is_floating_point:
        wdtype = torch.float32
    scale, translation = scale.to(wdtype), translation.to(wdtype)
    dims = [int(d) % max(x.ndim, 1) for d in spatial_dims]
    if len(output_shape) != x.ndim:
        raise _fail(
            op,
            f"`output_shape` must have one entry per axis of `images` ({x.ndim}). "
            f"Received: output_shape={tuple(output_shape)}",
        )
    fixed = [i for i in range(x.ndim) if i not in dims]
    if x.device.type != "meta" and any(int(output_shape[i]) != x.shape[i] for i in fixed):
        raise _fail(
            op,
            "`output_shape` must match the shape of `images` outside `spatial_dims`. Received: "
            f"output_shape={tuple(output_shape)}, images.shape={tuple(x.shape)}, "
            f"spatial_dims={tuple(spatial_dims)}",
        )
    if not dims:
        return x
    rounding = not x.dtype.is_floating_point
    out = x.to(torch.float32) if rounding else x
    out = _resample(
        out,
        dims,
        [int(output_shape[d]) for d in dims],
        scale,
        translation,
        kernel,
        antialias,
        wdtype,
    )
    if rounding:
        out = torch.clip(torch.round(out), x.min(), x.max()).to(x.dtype)
    return out


# ------------------------------------------------------------------- patches, pad, crop
def _same_pads(length, k, stride, dilation):
    extent = (k - 1) * dilation + 1
    out = -(-length // stride)
    total = max(0, (out - 1) * stride + extent - length)
    return total // 2, total - total // 2


def _patches(x, n, size, strides, dilation_rate, padding, data_format, op):
    """Patches of an ``n``-D (batched or not) image: ``prod(size) * channels`` features
    ordered (patch row, patch column[, ...], channel), like a convolution with an identity
    kernel."""
    fmt = _data_format(data_format, op)
    ksize = _int_tuple(size, n, op, "size")
    strides = ksize if not strides else _int_tuple(strides, n, op, "strides")
    dilation = _int_tuple(dilation_rate, n, op, "dilation_rate")
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise _fail(op, f"`padding` must be 'valid' or 'same'. Received: padding={padding!r}")
    name = "images" if n == 2 else "volumes"
    x = _images(x, op, name, ranks=(n + 1, n + 2))
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x.unsqueeze(0)
    first = 1 if fmt == "channels_last" else 2  # first spatial axis
    if padding == "same":
        pads = [_same_pads(x.shape[first + i], ksize[i], strides[i], dilation[i]) for i in range(n)]
        flat = []
        for lo, hi in reversed(pads):
            flat += [lo, hi]
        if fmt == "channels_last":
            flat = [0, 0] + flat
        if any(flat):
            x = F.pad(x, flat)
    for i in range(n):
        extent = (ksize[i] - 1) * dilation[i] + 1
        x = x.unfold(first + i, extent, strides[i])
        if dilation[i] > 1:
            x = x[..., :: dilation[i]]
    # x: (B, *out, C, *k) for channels_last, (B, C, *out, *k) for channels_first.
    if fmt == "channels_last":
        order = (0, *range(1, n + 1), *range(n + 2, 2 * n + 2), n + 1)
        x = x.permute(order)
        x = x.reshape(*x.shape[: n + 1], -1)
    else:
        order = (0, *range(n + 2, 2 * n + 2), 1, *range(2, n + 2))
        x = x.permute(order)
        x = x.reshape(x.shape[0], -1, *x.shape[n + 2 :])
    return x.squeeze(0) if unbatched else x


@keras_op
def extract_patches(
    images,
    size,
    strides=None,
    dilation_rate=1,
    padding="valid",
    data_format=None,
):
    """Sliding-window patches of image(s), flattened into the channel axis.

    A patch of ``size = (ph, pw)`` becomes ``ph * pw * channels`` features ordered (patch
    row, patch column, channel). A 3-tuple ``size`` extracts volume patches as
    :func:`extract_patches_3d`.

    Args:
        images: A 3D or 4D image tensor.
        size: Patch size, an int or ``(ph, pw)``.
        strides: Step between patches (default: ``size``, non-overlapping).
        dilation_rate: Spacing of the sampled pixels inside a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        ``(batch, rows, cols, ph * pw * channels)`` (channels_last).

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.image.extract_patches(torch.rand(2, 32, 32, 3), 8).shape
    torch.Size([2, 4, 4, 192])
    """
    if isinstance(size, (list, tuple)) and len(size) == 3:
        return _patches(
            images, 3, size, strides, dilation_rate, padding, data_format, "extract_patches"
        )
    if not isinstance(size, (numbers.Integral, list, tuple)) or isinstance(size, bool):
        raise _fail(
            "extract_patches",
            f"`size` must be an int or a tuple. Received: size={size!r}",
            TypeError,
        )
    return _patches(
        images, 2, size, strides, dilation_rate, padding, data_format, "extract_patches"
    )


@keras_op(symbolic=False)
def extract_patches_3d(
    volumes,
    size,
    strides=None,
    dilation_rate=1,
    padding="valid",
    data_format=None,
):
    """Sliding-window patches of volume(s), flattened into the channel axis.

    Args:
        volumes: A 4D ``(depth, height, width, channels)`` or 5D (batched) tensor.
        size: Patch size, an int or ``(pd, ph, pw)``.
        strides: Step between patches (default: ``size``).
        dilation_rate: Spacing of the sampled voxels inside a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        ``(batch, d', h', w', pd * ph * pw * channels)`` (channels_last).
    """
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size),) * 3
    elif not isinstance(size, (list, tuple)) or len(size) != 3:
        raise _fail(
            "extract_patches_3d",
            f"`size` must be an int or a tuple of 3 ints. Received: size={size!r}",
            TypeError,
        )
    # Recorded in a graph as Keras records it: an ExtractPatches op with a 3-tuple size.
    return extract_patches(volumes, tuple(size), strides, dilation_rate, padding, data_format)


def _resolve_box(lead, trail, target, op, names):
    """Two of (leading amount, trailing amount, target) -> all three, validated."""
    given = [lead, trail, target]
    if given.count(None) != 1:
        raise _fail(
            op,
            f"Exactly two of `{names[0]}`, `{names[1]}`, `{names[2]}` must be given. "
            f"Received: {names[0]}={lead}, {names[1]}={trail}, {names[2]}={target}",
        )
    for name, value in zip(names, given):
        if value is not None and value < 0:
            raise _fail(op, f"`{name}` must be >= 0. Received: {name}={value}")
    return lead, trail, target


@keras_op
def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Zero-pad image(s); give two of (top, bottom, target height) and two of (left, right,
    target width).

    Returns:
        The padded image(s), same dtype.
    """
    op = "pad_images"
    fmt = _data_format(data_format, op)
    x = _images(images, op)
    top, bottom, th = _resolve_box(
        top_padding, bottom_padding, target_height, op,
        ("top_padding", "bottom_padding", "target_height"),
    )  # fmt: skip
    left, right, tw = _resolve_box(
        left_padding, right_padding, target_width, op,
        ("left_padding", "right_padding", "target_width"),
    )  # fmt: skip
    hax = x.ndim - 3 if fmt == "channels_last" else x.ndim - 2
    h, w = x.shape[hax], x.shape[hax + 1]
    top = th - bottom - h if top is None else top
    bottom = th - top - h if bottom is None else bottom
    left = tw - right - w if left is None else left
    right = tw - left - w if right is None else right
    for name, value in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
        if value < 0:
            raise _fail(
                op,
                f"the {name} padding must be >= 0, got {value} for images.shape="
                f"{tuple(x.shape)}, target_height={target_height}, target_width={target_width}",
            )
    pads = [left, right, top, bottom]
    if fmt == "channels_last":
        pads = [0, 0] + pads
    return F.pad(x, pads)


@keras_op
def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Crop image(s); give two of (top, bottom, target height) and two of (left, right,
    target width).

    Returns:
        The cropped image(s) (a view), same dtype.
    """
    op = "crop_images"
    fmt = _data_format(data_format, op)
    x = _images(images, op)
    top, bottom, th = _resolve_box(
        top_cropping, bottom_cropping, target_height, op,
        ("top_cropping", "bottom_cropping", "target_height"),
    )  # fmt: skip
    left, right, tw = _resolve_box(
        left_cropping, right_cropping, target_width, op,
        ("left_cropping", "right_cropping", "target_width"),
    )  # fmt: skip
    hax = x.ndim - 3 if fmt == "channels_last" else x.ndim - 2
    h, w = x.shape[hax], x.shape[hax + 1]
    top = h - th - bottom if top is None else top
    th = h - top - bottom if th is None else th
    left = w - tw - right if left is None else left
    tw = w - left - right if tw is None else tw
    if top < 0 or th < 0 or top + th > h or left < 0 or tw < 0 or left + tw > w:
        raise _fail(
            op,
            f"the crop (top={top}, height={th}, left={left}, width={tw}) does not fit the "
            f"images. Received: images.shape={tuple(x.shape)}",
        )
    return x.narrow(hax, top, th).narrow(hax + 1, left, tw)


# -------------------------------------------------------------------------- sampling
def _fix_index(idx, size, mode):
    """Integer indices mapped into ``[0, size)`` by a fill mode (constant: clamped; its
    out-of-range samples are masked separately)."""
    if mode in ("constant", "nearest"):
        return idx.clamp(0, size - 1)
    if mode == "wrap":
        return torch.remainder(idx, size)
    if mode == "mirror":  # a b c d | c b a: period 2 * (size - 1)
        if size == 1:
            return torch.zeros_like(idx)
        period = 2 * (size - 1)
        m = torch.remainder(idx, period)
        return torch.where(m >= size, period - m, m)
    period = 2 * size  # reflect: a b c d | d c b a
    m = torch.remainder(idx, period)
    return torch.where(m >= size, period - 1 - m, m)


def _axis_nodes(c, size, order, fill_mode):
    """The neighbours of coordinates ``c`` along an axis of ``size`` pixels: a list of
    ``(index fixed into range, in-range mask or None, weight or None)``."""
    if order == 0:
        nodes = [((torch.round(c) if c.is_floating_point() else c).long(), None)]
    else:
        if not c.is_floating_point():
            c = c.to(torch.float32)
        low = torch.floor(c)
        frac = c - low
        idx = low.long()
        nodes = [(idx, 1 - frac), (idx + 1, frac)]
    return [
        (
            _fix_index(i, size, fill_mode),
            (i >= 0) & (i < size) if fill_mode == "constant" else None,
            wt,
        )
        for i, wt in nodes
    ]


def _combine(corners, read, fill_value):
    """Sum over neighbour combinations of ``weight * value`` (``fill_value`` where a
    neighbour is out of range); ``read(indices)`` gathers the values of one combination."""
    out = None
    for corner in corners:
        value = read([i for i, _, _ in corner])
        masks = [m for _, m, _ in corner if m is not None]
        if masks:
            valid = masks[0]
            for m in masks[1:]:
                valid = valid & m
            value = torch.where(
                valid.view(*valid.shape, *(1,) * (value.ndim - valid.ndim)), value, fill_value
            )
        weights = [wt for _, _, wt in corner if wt is not None]
        if weights:
            weight = weights[0]
            for wt in weights[1:]:
                weight = weight * wt
            value = weight.view(*weight.shape, *(1,) * (value.ndim - weight.ndim)) * value
        out = value if out is None else out + value
    return out


def _sample_gather(img, py, px, order, fill_mode, fill_value):
    """Samples of NHWC ``img`` at pixel coordinates ``(py, px)`` (each ``(B, Ho, Wo)``) by
    gathering the neighbours (nearest rounds half to even); the exact arithmetic of
    :func:`map_coordinates`. Returns ``(B, Ho, Wo, C)``."""
    b, h, w, c = img.shape
    flat = img.reshape(b, h * w, c)

    def read(idx):
        index = (idx[0] * w + idx[1]).reshape(b, -1, 1).expand(-1, -1, c)
        return torch.gather(flat, 1, index).reshape(*py.shape, c)

    corners = itertools.product(
        _axis_nodes(py, h, order, fill_mode), _axis_nodes(px, w, order, fill_mode)
    )
    return _combine(corners, read, fill_value)


def _sample_bilinear(img, py, px, fill_mode, fill_value):
    """Bilinear samples of NHWC float ``img`` at pixel coordinates ``(py, px)`` with one
    ``F.grid_sample``; each fill mode acts on the four neighbours' indices, as
    :func:`map_coordinates` does. Returns NHWC in ``img``'s dtype."""
    h, w = img.shape[1:3]
    x = img.permute(0, 3, 1, 2)
    shift = None
    align = False
    pad_mode = {"constant": "zeros", "nearest": "border"}.get(fill_mode, "reflection")
    if fill_mode == "constant" and (
        isinstance(fill_value, torch.Tensor) or float(fill_value) != 0.0
    ):
        # Sampling (img - k) with zero padding and adding k back fills with k.
        shift = fill_value
        x = x - fill_value
    if fill_mode == "mirror":  # reflection about the first and last pixel centres
        align = True
        gx = px * (2.0 / (w - 1)) - 1.0 if w > 1 else torch.zeros_like(px)
        gy = py * (2.0 / (h - 1)) - 1.0 if h > 1 else torch.zeros_like(py)
    elif fill_mode == "wrap":  # one circular row/column past the end, wrapped coordinates
        x = F.pad(x, (0, 1, 0, 1), mode="circular")
        align, pad_mode = True, "border"
        gx = torch.remainder(px, w) * (2.0 / w) - 1.0
        gy = torch.remainder(py, h) * (2.0 / h) - 1.0
    else:  # pixel centres at (2i + 1) / size - 1; "reflect" mirrors about the pixel edges
        gx = (2.0 * px + 1.0) / w - 1.0
        gy = (2.0 * py + 1.0) / h - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode=pad_mode, align_corners=align)
    if shift is not None:
        out = out + shift
    return out.permute(0, 2, 3, 1)


def _sample(img, py, px, order, fill_mode, fill_value):
    """Sample NHWC ``img`` at ``(py, px)``; the result has ``img``'s dtype and
    ``py.shape + (C,)``."""
    dtype = img.dtype
    if dtype in _INT_TYPES or dtype == torch.bool:
        fill_value = int(fill_value) if isinstance(fill_value, (int, float)) else fill_value
    if order == 0:
        return _sample_gather(img, py, px, 0, fill_mode, fill_value)
    if not dtype.is_floating_point:  # exact neighbour sums, so rounding ties match Keras
        out = _sample_gather(img, py, px, 1, fill_mode, fill_value)
        return _cast_back(out, dtype)
    cdtype = _float_dtype(dtype, py.dtype)
    out = _sample_bilinear(img.to(cdtype), py.to(cdtype), px.to(cdtype), fill_mode, fill_value)
    return _cast_back(out, dtype)


def _geometry_args(interpolation, fill_mode, op):
    order = _SAMPLE_ORDERS.get(interpolation)
    if order is None:
        raise _fail(
            op,
            f"`interpolation` must be one of {tuple(_SAMPLE_ORDERS)}. "
            f"Received: interpolation={interpolation!r}",
        )
    _choice(fill_mode, _FILL_MODES, op, "fill_mode")
    return order


def _match_batch(params, batch, op, arg):
    """Per-image parameters ``(N, ...)`` for a batch of ``batch`` images (N = 1 broadcasts)."""
    n = params.shape[0]
    if n == batch:
        return params
    if n == 1 or params.device.type == "meta":
        return params[:1].expand(batch, *params.shape[1:])
    raise _fail(op, f"`{arg}` has {n} rows for a batch of {batch} images.")


@keras_op
def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    """Apply projective transform(s) to image(s).

    A transform row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps the output pixel ``(x, y)``
    to the input point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with
    ``k = c0 x + c1 y + 1`` (``c0 = c1 = 0`` for affine transforms).

    Args:
        images: A 3D or 4D image tensor.
        transform: ``(8,)`` or ``(batch, 8)`` (one row is applied to every image).
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: How points outside the input are filled: ``"constant"`` (with
            ``fill_value``), ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The transformed image(s), same shape and dtype.
    """
    op = "affine_transform"
    fmt = _data_format(data_format, op)
    order = _geometry_args(interpolation, fill_mode, op)
    x = _images(images, op)
    t = to_tensor(transform)
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise _fail(
            op,
            "`transform` must have shape (8,) or (batch, 8). "
            f"Received: transform.shape={tuple(t.shape)}",
        )
    if not t.is_floating_point():
        t = t.to(torch.float32)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if fmt == "channels_first":
        x = x.permute(0, 2, 3, 1)
    b, h, w = x.shape[:3]
    t = _match_batch(t.reshape(-1, 8), b, op, "transform")
    a0, a1, a2, b0, b1, b2, c0, c1 = (v.view(-1, 1, 1) for v in t.unbind(-1))
    ys = torch.arange(h, dtype=t.dtype, device=x.device).view(1, h, 1)
    xs = torch.arange(w, dtype=t.dtype, device=x.device).view(1, 1, w)
    px = a0 * xs + a1 * ys + a2
    py = b0 * xs + b1 * ys + b2
    k = c0 * xs + c1 * ys + 1.0
    out = _sample(x, py / k, px / k, order, fill_mode, fill_value)
    if fmt == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if unbatched else out


def _homography(start, end):
    """Rows ``[a0..a7]`` of the projective maps sending ``end`` corners to ``start`` ones.

    Both ``(N, 4, 2)``; solves the 8x8 system of the four point pairs (in float32 at least).
    """
    dtype = start.dtype if start.is_floating_point() else torch.float32
    work = torch.promote_types(dtype, torch.float32)
    sx, sy = start[..., 0].to(work), start[..., 1].to(work)
    ex, ey = end[..., 0].to(work), end[..., 1].to(work)
    one, zero = torch.ones_like(ex), torch.zeros_like(ex)
    row_x = torch.stack((ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey), dim=-1)
    row_y = torch.stack((zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey), dim=-1)
    a = torch.stack((row_x, row_y), dim=2).reshape(-1, 8, 8)  # rows x1, y1, x2, y2, ...
    rhs = torch.stack((sx, sy), dim=-1).reshape(-1, 8, 1)
    return torch.linalg.solve(a, rhs).reshape(-1, 8).to(dtype)


@keras_op
def perspective_transform(
    images,
    start_points,
    end_points,
    interpolation="bilinear",
    fill_value=0,
    data_format=None,
):
    """Warp image(s) so that the four ``start_points`` land on ``end_points``.

    Args:
        images: A 3D or 4D image tensor.
        start_points: ``(4, 2)`` or ``(batch, 4, 2)`` ``(x, y)`` corners in the input.
        end_points: The matching corners in the output, same shape.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_value: The value of output pixels that map outside the input.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The warped image(s), same shape and dtype.
    """
    op = "perspective_transform"
    fmt = _data_format(data_format, op)
    order = _geometry_args(interpolation, "constant", op)
    x = _images(images, op)
    start = to_tensor(start_points, dtype=x.dtype)
    end = to_tensor(end_points, dtype=x.dtype)
    for name, p in (("start_points", start), ("end_points", end)):
        if p.ndim not in (2, 3) or tuple(p.shape[-2:]) != (4, 2):
            raise _fail(
                op,
                f"`{name}` must have shape (4, 2) or (batch, 4, 2). "
                f"Received: {name}.shape={tuple(p.shape)}",
            )
    if start.shape != end.shape:
        raise _fail(
            op,
            "`start_points` and `end_points` must have the same shape. Received: "
            f"{tuple(start.shape)} and {tuple(end.shape)}",
        )
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if fmt == "channels_first":
        x = x.permute(0, 2, 3, 1)
    b, h, w = x.shape[:3]
    coef = _homography(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2))
    coef = _match_batch(coef, b, op, "start_points")
    gdtype = x.dtype if x.dtype.is_floating_point else coef.dtype
    a = [v.view(-1, 1, 1) for v in coef.unbind(-1)]
    ys = torch.arange(h, dtype=gdtype, device=x.device).view(1, h, 1)
    xs = torch.arange(w, dtype=gdtype, device=x.device).view(1, 1, w)
    denom = a[6] * xs + a[7] * ys + 1.0
    px = (a[0] * xs + a[1] * ys + a[2]) / denom
    py = (a[3] * xs + a[4] * ys + a[5]) / denom
    out = _sample(x, py, px, order, "constant", fill_value)
    if fmt == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if unbatched else out


@keras_op
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Sample ``inputs`` at fractional ``coordinates`` (one array per input axis).

    Args:
        inputs: A tensor of rank N.
        coordinates: A ``(N, ...)`` tensor or a sequence of N same-shape arrays of indices.
        order: 0 (nearest, rounding half to even) or 1 (linear).
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``;
            each of the neighbours of a sample is mapped into the input by it.
        fill_value: The value of out-of-range neighbours for ``fill_mode="constant"``.

    Returns:
        The samples, shape ``coordinates.shape[1:]``, in ``inputs``'s dtype.

    Example:

    >>> import torch
    >>> from ketorch import ops
    >>> ops.image.map_coordinates(torch.arange(4.0), torch.tensor([[0.5, 2.25]]), 1)
    tensor([0.5000, 2.2500])
    """
    op = "map_coordinates"
    x = to_tensor(inputs)
    if isinstance(coordinates, (list, tuple)):
        coords = [to_tensor(c) for c in coordinates]
    else:
        coords = list(to_tensor(coordinates).unbind(0))
    if len(coords) != x.ndim:
        raise _fail(
            op,
            f"`coordinates` must hold one array per axis of `inputs` ({x.ndim}); got "
            f"{len(coords)}. Received: inputs.shape={tuple(x.shape)}",
        )
    if not coords or coords[0].ndim < 1:
        raise _fail(op, "`coordinates` must have rank >= 2 (one array of points per axis).")
    if order not in (0, 1):
        raise _fail(op, f"`order` must be 0 or 1. Received: order={order!r}")
    _choice(fill_mode, _FILL_MODES, op, "fill_mode")
    coords = torch.broadcast_tensors(*coords)
    integer = not (x.is_floating_point() or x.is_complex())
    if integer and isinstance(fill_value, (int, float)):
        fill_value = int(fill_value)
    flat = x.reshape(-1)
    strides = [math.prod(x.shape[i + 1 :]) for i in range(x.ndim)]
    corners = itertools.product(
        *(_axis_nodes(c, size, order, fill_mode) for c, size in zip(coords, x.shape))
    )
    out = _combine(corners, lambda idx: flat[sum(i * s for i, s in zip(idx, strides))], fill_value)
    if integer and out.is_floating_point():
        out = torch.round(out)
    return out.to(x.dtype)


# ---------------------------------------------------------------------------- filters
def _gaussian_1d(size, sigma, dtype, device):
    t = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def _pair(value, op, arg, kind):
    if (isinstance(value, torch.Tensor) and value.ndim == 0) or isinstance(value, numbers.Number):
        return value, value
    if isinstance(value, (list, tuple, torch.Tensor, np.ndarray)) and len(value) == 2:
        return value[0], value[1]
    raise _fail(op, f"`{arg}` must be {kind} or a pair of them. Received: {arg}={value!r}")


def _depthwise(x_nchw, kernel2d, padding):
    """Every channel of ``x`` convolved (cross-correlated) with the same 2D kernel."""
    c = x_nchw.shape[1]
    weight = kernel2d.to(x_nchw.dtype).expand(c, 1, *kernel2d.shape)
    return F.conv2d(x_nchw, weight, padding=padding, groups=c)


@keras_op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Gaussian blur of image(s) (zero padding, output the size of the input).

    As in Keras's backends, the kernel is the outer product of a vertical Gaussian of
    ``kernel_size[1]`` taps and ``sigma[1]`` and a horizontal one of ``kernel_size[0]`` taps
    and ``sigma[0]`` (the pairs are equal in the common case).

    Args:
        images: A 3D or 4D image tensor.
        kernel_size: An int or a pair of ints.
        sigma: A float or a pair of floats.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The blurred image(s), same shape and dtype.
    """
    op = "gaussian_blur"
    fmt = _data_format(data_format, op)
    kw, kh = _int_tuple(kernel_size, 2, op, "kernel_size")
    sw, sh = _pair(sigma, op, "sigma", "a float")
    x = _images(images, op)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    dtype = x.dtype
    cdtype = dtype if dtype.is_floating_point else torch.float32
    kernel = torch.outer(
        _gaussian_1d(kh, sh, cdtype, x.device), _gaussian_1d(kw, sw, cdtype, x.device)
    )
    pads = (kw - 1) // 2, kw - 1 - (kw - 1) // 2, (kh - 1) // 2, kh - 1 - (kh - 1) // 2
    x = _nchw(x.to(cdtype), fmt)
    if kh % 2 and kw % 2:
        out = _depthwise(x, kernel, (kh // 2, kw // 2))
    else:  # even taps: SAME padding puts the extra row/column after the image
        out = _depthwise(F.pad(x, pads), kernel, 0)
    out = _cast_back(_from_nchw(out, fmt), dtype)
    return out.squeeze(0) if unbatched else out


@keras_op
def sobel_edges(images, data_format=None):
    """Sobel gradients of a batch of images: ``(..., 2)`` holding ``[d/dy, d/dx]``.

    Args:
        images: A 4D image tensor.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        ``(batch, height, width, channels, 2)`` (channels_last) or
        ``(batch, channels, height, width, 2)``; zero padding at the borders.
    """
    fmt = _data_format(data_format, "sobel_edges")
    x = _images(images, "sobel_edges", ranks=(4,))
    dtype = x.dtype
    xf = x if dtype.is_floating_point else x.to(torch.float32)
    nchw = _nchw(xf, fmt)
    c = nchw.shape[1]
    ky = torch.tensor(
        [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]], dtype=xf.dtype, device=x.device
    )
    weight = torch.stack((ky, ky.T)).repeat(c, 1, 1).unsqueeze(1)  # (2C, 1, 3, 3): dy, dx
    out = F.conv2d(nchw, weight, padding=1, groups=c)  # (B, 2C, H, W)
    b, _, h, w = out.shape
    if fmt == "channels_last":
        out = out.permute(0, 2, 3, 1).reshape(b, h, w, c, 2)
    else:
        out = out.reshape(b, c, 2, h, w).permute(0, 1, 3, 4, 2)
    return _cast_back(out, dtype)


@keras_op
def ssim(
    image1,
    image2,
    max_val=1.0,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
    data_format=None,
):
    """Structural similarity between two images (or batches), averaged over channels.

    Local statistics use a ``filter_size`` Gaussian window (``filter_sigma``), valid
    padding.

    Args:
        image1, image2: 3D or 4D image tensors of the same shape.
        max_val: The dynamic range of the pixel values.
        filter_size: Gaussian window size.
        filter_sigma: Gaussian window standard deviation.
        k1, k2: The SSIM stability constants.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        A scalar, or ``(batch,)``, in ``image1``'s dtype.
    """
    op = "ssim"
    fmt = _data_format(data_format, op)
    x1 = _images(image1, op, "image1")
    x2 = _images(image2, op, "image2")
    if x1.shape != x2.shape:
        raise _fail(
            op,
            "`image1` and `image2` must have the same shape. Received: "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}",
        )
    dtype = x1.dtype
    cdtype = _dtypes.torch_dtype(_dtypes.result_type(dtype_of(x1), float))
    x1, x2 = x1.to(cdtype), x2.to(cdtype)
    unbatched = x1.ndim == 3
    if unbatched:
        x1, x2 = x1.unsqueeze(0), x2.unsqueeze(0)
    x1, x2 = _nchw(x1, fmt), _nchw(x2, fmt)
    g = torch.arange(filter_size, dtype=cdtype, device=x1.device) - (filter_size - 1) / 2.0
    g = torch.exp(-(g**2) / (2.0 * filter_sigma**2))
    g = g / g.sum()
    stats = torch.cat((x1, x2, x1 * x1, x2 * x2, x1 * x2), dim=1)
    mu1, mu2, e11, e22, e12 = _depthwise(stats, torch.outer(g, g), 0).chunk(5, dim=1)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    m11, m22, m12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    num = (2.0 * m12 + c1) * (2.0 * (e12 - m12) + c2)
    den = (m11 + m22 + c1) * ((e11 - m11) + (e22 - m22) + c2)
    out = (num / den).mean(dim=(1, 2, 3))
    if unbatched:
        out = out.squeeze(0)
    return out.to(dtype)


# ------------------------------------------------------------------------------ random
def _generator(seed, device, op):
    if seed is None or device.type == "meta":
        return None
    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        gen = torch.Generator(device=device)
        gen.manual_seed(int(seed))
        return gen
    raise _fail(
        op, f"`seed` must be None, an int or a torch.Generator. Received: seed={seed!r}", TypeError
    )


@keras_op
def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Random elastic deformation of image(s).

    Each pixel is displaced by ``alpha * sigma * blur(N(0, 1))``: standard-normal fields
    (one per axis and image) smoothed by a Gaussian of std ``sigma`` (``int(6 * sigma) | 1``
    taps, zero padding), then sampled as :func:`map_coordinates` does.

    Args:
        images: A 3D or 4D image tensor.
        alpha: Displacement scale.
        sigma: Smoothness of the displacement field.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value for ``fill_mode="constant"``.
        seed: ``None`` (torch's global generator), an int (the same field every call) or a
            ``torch.Generator``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The deformed image(s), same shape and dtype.
    """
    op = "elastic_transform"
    fmt = _data_format(data_format, op)
    order = _geometry_args(interpolation, fill_mode, op)
    x = _images(images, op)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    if fmt == "channels_first":
        x = x.permute(0, 2, 3, 1)
    b, h, w = x.shape[:3]
    fdtype = x.dtype if x.dtype.is_floating_point else torch.float32
    gen = _generator(seed, x.device, op)
    sigma_t = to_tensor(sigma)
    alpha_t = to_tensor(alpha)
    size = int(6 * float(sigma)) | 1
    noise = [
        torch.normal(0.0, 1.0, size=(b, h, w), generator=gen, dtype=fdtype, device=x.device)
        * sigma_t
        for _ in range(2)
    ]
    field = torch.stack(noise, dim=1)  # (B, 2, H, W): dx, dy
    g = _gaussian_1d(size, sigma_t.to(fdtype), fdtype, x.device)
    field = _depthwise(field, torch.outer(g, g), size // 2)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    px = xs + alpha_t * field[:, 0]
    py = ys + alpha_t * field[:, 1]
    out = _sample(x, py, px, order, fill_mode, fill_value)
    if fmt == "channels_first":
        out = out.permute(0, 3, 1, 2)
    return out.squeeze(0) if unbatched else out
