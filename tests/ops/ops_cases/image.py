"""Cases for ``keras.ops.image``.

Geometric ops get their transforms/points as plain lists where gradients are compared:
Keras's torch ``affine_transform`` writes into ``transform`` in place, which autograd
refuses on a leaf that requires grad. ``elastic_transform`` is random, so it is compared
only with ``alpha=0`` (the identity warp) here; tests/ops/test_image_errors.py compares a
real deformation under the same global torch seed.
"""

import numpy as np
from op_cases import Case, T


def _keras_image(name, **overrides):
    """A NumPy reference calling Keras's op with some arguments replaced."""

    def ref(*args, **kwargs):
        import keras
        import torch

        args = [
            torch.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a
            for a in args
        ]
        kwargs.update(overrides)
        return getattr(keras.ops.image, name)(*args, **kwargs).numpy()

    return ref


def _lanczos_ref(method):
    """jax.image.resize's definition of lanczos resizing: scale_and_translate (no shift)."""

    def ref(x, size, interpolation, antialias=False, **kwargs):
        import keras
        import torch

        h, w = x.shape[-3:-1]
        out = keras.ops.image.scale_and_translate(
            torch.from_numpy(x),
            x.shape[:-3] + tuple(size) + x.shape[-1:],
            [size[0] / h, size[1] / w],
            [0.0, 0.0],
            (x.ndim - 3, x.ndim - 2),
            method,
            antialias,
        )
        return out.numpy()

    return ref


def _np_blur(x, kernel_size, sigma, data_format="channels_last"):
    """Depthwise Gaussian blur with SAME zero padding; kernel rows use (kernel_size[1],
    sigma[1]) and columns (kernel_size[0], sigma[0]), as Keras's jax/numpy backends."""

    def g(n, s):
        t = np.arange(n) - (n - 1) / 2
        k = np.exp(-0.5 * (t / s) ** 2)
        return k / k.sum()

    k = np.outer(g(kernel_size[1], sigma[1]), g(kernel_size[0], sigma[0]))
    if data_format == "channels_first":
        x = np.moveaxis(x, -3, -1)
    kh, kw = k.shape
    h, w = x.shape[-3:-1]
    pads = [(0, 0)] * (x.ndim - 3) + [
        ((kh - 1) // 2, kh - 1 - (kh - 1) // 2),
        ((kw - 1) // 2, kw - 1 - (kw - 1) // 2),
        (0, 0),
    ]
    xp = np.pad(x.astype(np.float64), pads)
    out = np.zeros(x.shape, np.float64)
    for i in range(kh):
        for j in range(kw):
            out += k[i, j] * xp[..., i : i + h, j : j + w, :]
    if data_format == "channels_first":
        out = np.moveaxis(out, -1, -3)
    return out.astype(x.dtype)


IMG = T((2, 7, 9, 3))
IMG01 = T((2, 5, 6, 3), low=0.0, high=1.0)
AFFINE = [[1.2, 0.3, -2.0, -0.2, 0.9, 1.5, 0.0, 0.0], [0.7, -0.4, 3.0, 0.5, 1.3, -4.0, 0.0, 0.0]]
ZOOM = [0.5, 0.0, 0.5, 0.0, 0.5, -1.5, 0.0, 0.0]  # samples at half-pixels: rounding ties
START = [[0.0, 0.0], [8.0, 0.0], [0.0, 6.0], [8.0, 6.0]]
END = [[1.0, 0.5], [7.0, 1.0], [0.5, 5.0], [8.5, 6.2]]
GRAY_VALUES = (
    0.5,
    0.5,
    0.5,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0.2,
    0.7,
    0.7,
    0.9,
    0.9,
    0.1,
    0,
    0,
    0,
    1,
    1,
    1,
)

CASES = [
    # ---------------------------------------------------------------- colour spaces
    Case("image.rgb_to_grayscale", (IMG,), grad=True),
    Case("image.rgb_to_grayscale", (T((5, 6, 3)),), id="unbatched"),
    Case(
        "image.rgb_to_grayscale",
        (T((2, 3, 5, 6)),),
        {"data_format": "channels_first"},
        grad=True,
        id="cf",
    ),
    Case("image.rgb_to_grayscale", (T((2, 5, 6, 3), "int32", 0, 256),), id="int32"),
    Case("image.rgb_to_grayscale", (T((5, 6, 3), "uint8", 0, 256),), id="uint8"),
    Case(
        "image.rgb_to_grayscale",
        (T((2, 5, 6, 3), "float16", 0, 1),),
        atol=1e-3,
        rtol=1e-3,
        id="f16",
    ),
    Case("image.rgb_to_grayscale", (T((2, 5, 6, 1)),), id="one-channel"),
    Case("image.rgb_to_hsv", (IMG01,), grad=True),
    Case("image.rgb_to_hsv", (T((8, 1, 3), kind="values", values=GRAY_VALUES),), id="edge-values"),
    Case(
        "image.rgb_to_hsv",
        (T((3, 5, 6), low=0, high=1),),
        {"data_format": "channels_first"},
        grad=True,
        id="cf",
    ),
    Case("image.rgb_to_hsv", (T((2, 5, 6, 3), "float64", 0, 1),), id="f64"),
    Case("image.hsv_to_rgb", (IMG01,), grad=True),
    Case("image.hsv_to_rgb", (T((2, 5, 6, 3), low=-1.5, high=2.5),), grad=True, id="wrapped-hue"),
    Case(
        "image.hsv_to_rgb",
        (T((2, 3, 5, 6), low=0, high=1),),
        {"data_format": "channels_first"},
        id="cf",
    ),
    # ------------------------------------------------------------------------ resize
    Case("image.resize", (IMG, (4, 5)), grad=True),
    Case("image.resize", (IMG, (11, 13)), grad=True, id="upsample"),
    Case("image.resize", (IMG, (4, 5)), {"antialias": True}, grad=True, id="antialias"),
    Case("image.resize", (IMG, (4, 5), "nearest"), id="nearest"),
    Case("image.resize", (IMG, (14, 5), "nearest", True), id="nearest-antialias-ignored"),
    Case("image.resize", (IMG, (4, 12), "bicubic"), grad=True, id="bicubic"),
    Case("image.resize", (IMG, (4, 5), "bicubic", True), grad=True, id="bicubic-antialias"),
    Case("image.resize", (T((7, 9, 3)), (3, 4)), id="unbatched"),
    Case(
        "image.resize",
        (T((2, 3, 7, 9)), (3, 4)),
        {"data_format": "channels_first"},
        grad=True,
        id="cf",
    ),
    Case("image.resize", (IMG, (4, 8)), {"crop_to_aspect_ratio": True}, grad=True, id="crop"),
    Case("image.resize", (IMG, (8, 4)), {"crop_to_aspect_ratio": True}, id="crop-tall"),
    Case(
        "image.resize",
        (IMG, (8, 4)),
        {"pad_to_aspect_ratio": True, "fill_value": 0.5},
        grad=True,
        id="pad",
    ),
    Case("image.resize", (IMG, (3, 9)), {"pad_to_aspect_ratio": True}, id="pad-wide"),
    Case("image.resize", (T((2, 7, 9, 3), "int32", 0, 256), (4, 5)), id="int32"),
    Case(
        "image.resize", (T((2, 7, 9, 3), "uint8", 0, 256), (12, 5), "bicubic"), id="uint8-bicubic"
    ),
    Case("image.resize", (T((2, 7, 9, 3), "float16"), (4, 5)), atol=1e-3, rtol=1e-3, id="f16"),
    Case("image.resize", (T((2, 7, 9, 3), "float64"), (4, 5), "bicubic"), id="f64"),
    Case(
        "image.resize",
        (IMG, (11, 5), "lanczos3"),
        ref=_lanczos_ref("lanczos3"),
        atol=1e-5,
        note="Keras's torch backend rejects lanczos; ketorch follows jax.image.resize "
        "(scale_and_translate with the lanczos kernel), compared with Keras's scale_and_translate",
        id="lanczos3",
    ),
    Case(
        "image.resize",
        (IMG, (4, 13), "lanczos5", True),
        ref=_lanczos_ref("lanczos5"),
        note="as lanczos3",
        id="lanczos5-antialias",
    ),
    Case(
        "image.scale_and_translate",
        (IMG, (2, 11, 5, 3), [1.7, 0.6], [0.5, -1.2], (1, 2), "linear"),
        grad=True,
    ),
    Case(
        "image.scale_and_translate",
        (
            IMG,
            (2, 11, 5, 3),
            T((2,), kind="values", values=(1.7, 0.6)),
            T((2,), kind="values", values=(0.5, -1.2)),
            (1, 2),
            "bicubic",
        ),
        grad=True,
        id="tensor-params-cubic",
    ),
    Case(
        "image.scale_and_translate",
        (IMG, (2, 11, 5, 3), [1.7, 0.6], [0.5, -1.2], (1, 2), "lanczos3", False),
        grad=True,
        id="lanczos3",
    ),
    Case(
        "image.scale_and_translate",
        (IMG, (2, 4, 9, 3), [0.6], [0.3], (1,), "lanczos5"),
        grad=True,
        id="lanczos5-one-axis",
    ),
    Case(
        "image.scale_and_translate",
        (T((2, 7, 9), "int32", 0, 256), (2, 5, 12), [0.7, 1.3], [0.0, 0.0], (-2, -1), "cubic"),
        id="int32",
    ),
    Case(
        "image.scale_and_translate",
        (IMG, (2, 7, 9, 3), [1.0, 1.0], [0.0, 0.0], (1, 2), "trilinear"),
        grad=True,
        id="identity",
    ),
    # ---------------------------------------------------------- patches, pad, crop
    Case("image.extract_patches", (T((2, 8, 8, 3)), 4), grad=True),
    Case(
        "image.extract_patches",
        (IMG, (2, 3)),
        {"strides": (1, 2), "padding": "same"},
        grad=True,
        id="same",
    ),
    Case(
        "image.extract_patches",
        (IMG, (2, 2)),
        {"strides": 1, "dilation_rate": 2},
        grad=True,
        id="dilated",
    ),
    Case(
        "image.extract_patches",
        (IMG, 3),
        {"strides": 2, "dilation_rate": (1, 2), "padding": "same"},
        id="dilated-same",
    ),
    Case(
        "image.extract_patches",
        (T((2, 3, 7, 9)), (2, 3)),
        {"strides": (1, 2), "data_format": "channels_first"},
        grad=True,
        id="cf",
    ),
    Case("image.extract_patches", (T((7, 9, 3)), 2), id="unbatched"),
    Case("image.extract_patches", (T((2, 6, 6, 3), "int32", -50, 50), 3), id="int32"),
    Case("image.extract_patches", (T((2, 4, 6, 6, 2)), (2, 3, 2)), grad=True, id="3d-size"),
    Case("image.extract_patches_3d", (T((2, 4, 6, 6, 2)), 2), grad=True),
    Case(
        "image.extract_patches_3d",
        (T((2, 5, 6, 7, 2)), 2),
        {"strides": (1, 2, 3), "padding": "same"},
        grad=True,
        id="same",
    ),
    Case(
        "image.extract_patches_3d",
        (T((2, 4, 6, 6)), (2, 3, 3)),
        {"data_format": "channels_first"},
        id="cf-unbatched",
    ),
    Case("image.pad_images", (IMG, 1, 2), {"target_height": 10, "target_width": 14}, grad=True),
    Case(
        "image.pad_images",
        (IMG,),
        {"bottom_padding": 2, "right_padding": 1, "target_height": 12, "target_width": 10},
        id="bottom-right",
    ),
    Case(
        "image.pad_images",
        (T((3, 7, 9)), 1, 2, 3, 4),
        {"data_format": "channels_first"},
        id="cf-unbatched",
    ),
    Case("image.pad_images", (T((2, 7, 9, 3), "int32", 0, 9), 0, 2, 3, 0), id="int32"),
    Case("image.crop_images", (IMG, 1, 2), {"target_height": 4, "target_width": 5}, grad=True),
    Case(
        "image.crop_images",
        (IMG,),
        {"bottom_cropping": 1, "right_cropping": 2, "target_height": 4, "target_width": 5},
        id="bottom-right",
    ),
    Case(
        "image.crop_images",
        (T((3, 7, 9)), 1, 2, 3, 4),
        {"data_format": "channels_first"},
        id="cf-unbatched",
    ),
    Case("image.crop_images", (T((2, 7, 9, 3), "uint8", 0, 200), 0, 0, 0, 0), id="uint8-noop"),
    # -------------------------------------------------------------------- sampling
    *[
        Case(
            "image.map_coordinates",
            (T((5, 6)), T((2, 3, 4), low=-9.0, high=14.0, seed=1), order, mode, 0.5),
            grad=order == 1,
            id=f"{mode}-{order}",
        )
        for mode in ("constant", "nearest", "wrap", "mirror", "reflect")
        for order in (0, 1)
    ],
    Case(
        "image.map_coordinates",
        (T((4, 5, 6)), [T((7,), low=-1, high=6, seed=s) for s in range(3)], 1),
        grad=True,
        id="3d-list",
    ),
    Case(
        "image.map_coordinates",
        (T((9,)), T((1, 4, 2), low=-2, high=10), 1, "wrap"),
        grad=True,
        id="1d",
    ),
    Case(
        "image.map_coordinates",
        (T((5, 6), "int32", 0, 100), T((2, 8), low=-1, high=6), 1, "constant", 7.9),
        id="int32",
    ),
    Case(
        "image.map_coordinates",
        (T((5, 6)), T((2, 3), "int32", -2, 8), 1, "mirror"),
        id="int-coords",
    ),
    Case(
        "image.map_coordinates",
        (
            T((5, 6)),
            T((2, 6), kind="values", values=(0.5, 1.5, 2.5, -0.5, 3.5, 4.5) * 2),
            0,
            "reflect",
        ),
        id="ties",
    ),
    *[
        Case(
            "image.affine_transform",
            (IMG, AFFINE, interp, mode, 0.3),
            grad=interp == "bilinear",
            atol=1e-5,
            id=f"{mode}-{interp}",
        )
        for mode in ("constant", "nearest", "wrap", "mirror", "reflect")
        for interp in ("nearest", "bilinear")
    ],
    Case("image.affine_transform", (IMG, [ZOOM, ZOOM], "nearest", "reflect"), id="ties"),
    Case(
        "image.affine_transform",
        (IMG, T((2, 8), kind="values", values=tuple(AFFINE[0] + AFFINE[1]))),
        id="tensor-transform",
    ),
    Case(
        "image.affine_transform",
        (T((7, 9, 3)), AFFINE[0]),
        {"fill_mode": "wrap"},
        grad=True,
        id="unbatched",
    ),
    Case(
        "image.affine_transform",
        (T((2, 3, 7, 9)), AFFINE),
        {"data_format": "channels_first", "fill_mode": "reflect"},
        grad=True,
        id="cf",
    ),
    Case("image.affine_transform", (T((2, 7, 9, 3), "int32", 0, 256), AFFINE), id="int32"),
    Case(
        "image.affine_transform",
        (T((2, 7, 9, 3), "float16"), AFFINE, "bilinear", "mirror"),
        atol=2e-3,
        rtol=2e-3,
        id="f16",
    ),
    Case("image.perspective_transform", (IMG, START, END), grad=True),
    Case("image.perspective_transform", (IMG, START, END, "nearest", 0.7), id="nearest"),
    Case(
        "image.perspective_transform",
        (
            IMG,
            T((4, 2), kind="values", values=sum(START, [])),
            T((4, 2), kind="values", values=sum(END, [])),
        ),
        grad=True,
        atol=1e-4,
        rtol=1e-4,
        id="point-grads",
    ),
    Case(
        "image.perspective_transform",
        (T((2, 3, 7, 9)), [START, START], [END, START]),
        {"data_format": "channels_first"},
        id="cf-batched-points",
    ),
    Case("image.perspective_transform", (T((2, 7, 9, 3), "int32", 0, 256), START, END), id="int32"),
    Case(
        "image.elastic_transform",
        (IMG,),
        {"alpha": 0.0},
        grad=True,
        note="alpha=0: the identity warp, deterministic",
    ),
    Case(
        "image.elastic_transform",
        (T((3, 7, 9)),),
        {
            "alpha": 0.0,
            "interpolation": "nearest",
            "fill_mode": "constant",
            "data_format": "channels_first",
        },
        id="nearest-cf",
    ),
    # --------------------------------------------------------------------- filters
    Case("image.gaussian_blur", (IMG,), {"data_format": "channels_last"}, grad=True),
    Case(
        "image.gaussian_blur",
        (IMG, (5, 5), (1.0, 2.0)),
        {"data_format": "channels_last"},
        grad=True,
        id="sigma-pair",
    ),
    Case(
        "image.gaussian_blur",
        (T((3, 7, 9)), (5, 5), (0.8, 1.6)),
        {"data_format": "channels_first"},
        grad=True,
        id="cf-unbatched",
    ),
    Case(
        "image.gaussian_blur",
        (T((2, 7, 9, 3), "float64"), (7, 7), (2.0, 2.0)),
        {"data_format": "channels_last"},
        id="f64",
    ),
    Case(
        "image.gaussian_blur",
        (T((2, 7, 9, 3), "float16"),),
        {"data_format": "channels_last"},
        atol=2e-3,
        rtol=2e-3,
        id="f16",
    ),
    Case(
        "image.gaussian_blur",
        (IMG,),
        ref=_keras_image("gaussian_blur", data_format="channels_last"),
        note="Keras's eager torch gaussian_blur treats data_format=None as channels_first "
        "(it skips standardize_data_format); ketorch uses the configured channels_last",
        id="default-format",
    ),
    Case(
        "image.gaussian_blur",
        (IMG, (3, 5), (1.0, 2.0)),
        {"data_format": "channels_last"},
        ref=lambda x, k, s, data_format: _np_blur(x, k, s, data_format),
        note="Keras's torch backend reshapes a non-square kernel wrongly and changes the "
        "output size; ketorch follows the jax/numpy backends (SAME padding)",
        id="non-square",
    ),
    Case(
        "image.gaussian_blur",
        (IMG, (4, 4), (1.0, 1.0)),
        {"data_format": "channels_last"},
        ref=lambda x, k, s, data_format: _np_blur(x, k, s, data_format),
        note="even kernel: Keras's torch backend grows the output by one pixel; ketorch "
        "keeps the size (SAME padding, as jax/numpy)",
        id="even",
    ),
    Case("image.sobel_edges", (IMG,), grad=True),
    Case("image.sobel_edges", (T((2, 3, 7, 9)), "channels_first"), grad=True, id="cf"),
    Case("image.sobel_edges", (T((2, 7, 9, 3), "int32", -9, 9),), id="int32"),
    Case("image.sobel_edges", (T((2, 7, 9, 3), "float64"),), id="f64"),
    Case(
        "image.ssim",
        (T((2, 16, 15, 3), low=0, high=1), T((2, 16, 15, 3), low=0, high=1, seed=1)),
        grad=True,
    ),
    Case(
        "image.ssim",
        (T((12, 13, 3), low=0, high=1), T((12, 13, 3), low=0, high=1, seed=1)),
        {"filter_size": 5, "filter_sigma": 1.0},
        grad=True,
        id="unbatched",
    ),
    Case(
        "image.ssim",
        (T((2, 2, 12, 12), low=0, high=255), T((2, 2, 12, 12), low=0, high=255, seed=2)),
        {"max_val": 255.0, "filter_size": 7, "data_format": "channels_first"},
        rtol=1e-4,
        id="cf-255",
    ),
    Case(
        "image.ssim",
        (T((2, 12, 12, 1), "float64", 0, 1), T((2, 12, 12, 1), "float64", 0, 1, seed=3)),
        id="f64",
    ),
    Case(
        "image.ssim",
        (T((2, 12, 12, 1), "int32", 0, 5), T((2, 12, 12, 1), "int32", 0, 5, seed=3)),
        {"filter_size": 3},
        id="int32",
    ),
]
