"""``ketorch.ops.image``: bad arguments raise errors naming the op; what the parity cases
cannot compare (random warps, symbolic calls Keras's harness form cannot express)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ketorch import ops  # noqa: E402
from ketorch.layers.node import KerasTensor  # noqa: E402

IMG = torch.rand(2, 7, 9, 3)
AFFINE = [1.2, 0.3, -2.0, -0.2, 0.9, 1.5, 0.0, 0.0]
START = [[0.0, 0.0], [8.0, 0.0], [0.0, 6.0], [8.0, 6.0]]
END = [[1.0, 0.5], [7.0, 1.0], [0.5, 5.0], [8.5, 6.2]]

BAD_CALLS = [
    ("resize", lambda: ops.image.resize(torch.rand(7, 9), (3, 3)), "rank"),
    ("resize", lambda: ops.image.resize(IMG, (3, 3, 3)), "size"),
    ("resize", lambda: ops.image.resize(IMG, (0, 3)), "size"),
    ("resize", lambda: ops.image.resize(IMG, (3, 3), interpolation="area"), "interpolation"),
    ("resize", lambda: ops.image.resize(IMG, (3, 3), fill_mode="reflect"), "fill_mode"),
    (
        "resize",
        lambda: ops.image.resize(IMG, (3, 3), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
        "pad_to_aspect_ratio",
    ),
    ("resize", lambda: ops.image.resize(IMG, (3, 3), data_format="nhwc"), "data_format"),
    ("extract_patches", lambda: ops.image.extract_patches(IMG, (2, 2, 2, 2)), "size"),
    ("extract_patches", lambda: ops.image.extract_patches(IMG, 2, padding="full"), "padding"),
    ("extract_patches", lambda: ops.image.extract_patches(IMG, 2, strides=(1, 1, 1)), "strides"),
    ("extract_patches", lambda: ops.image.extract_patches(IMG, 0), "size"),
    ("extract_patches", lambda: ops.image.extract_patches(IMG[0, 0], 2), "rank"),
    ("extract_patches", lambda: ops.image.extract_patches(torch.rand(2, 4, 4, 4, 1), (2, 2, 2), dilation_rate=(1, 1)), "dilation_rate"),
    ("pad_images", lambda: ops.image.pad_images(IMG, 1, 1, 1, 1, 10, 10), "top_padding"),
    ("pad_images", lambda: ops.image.pad_images(IMG, -1, 1, 1, 1), "top_padding"),
    ("pad_images", lambda: ops.image.pad_images(IMG, 1, 1, target_height=3, target_width=12), "padding"),
    ("crop_images", lambda: ops.image.crop_images(IMG, 1, 1), "top_cropping"),
    ("crop_images", lambda: ops.image.crop_images(IMG, 5, 0, 0, 0, target_height=5), "top_cropping"),
    ("crop_images", lambda: ops.image.crop_images(IMG, 5, 0, target_height=5, target_width=2), "crop"),
    ("affine_transform", lambda: ops.image.affine_transform(IMG, AFFINE, "bicubic"), "interpolation"),
    ("affine_transform", lambda: ops.image.affine_transform(IMG, AFFINE, fill_mode="edge"), "fill_mode"),
    ("affine_transform", lambda: ops.image.affine_transform(IMG, AFFINE[:6]), "transform"),
    ("affine_transform", lambda: ops.image.affine_transform(IMG, [AFFINE] * 3), "transform"),
    ("perspective_transform", lambda: ops.image.perspective_transform(IMG, START[:3], END[:3]), "start_points"),
    ("perspective_transform", lambda: ops.image.perspective_transform(IMG, START, [END, END]), "same shape"),
    ("perspective_transform", lambda: ops.image.perspective_transform(IMG, START, END, "cubic"), "interpolation"),
    ("map_coordinates", lambda: ops.image.map_coordinates(IMG[0, 0], torch.rand(3, 4), 1), "coordinates"),
    ("map_coordinates", lambda: ops.image.map_coordinates(IMG[0, 0], torch.rand(2, 4), 3), "order"),
    ("map_coordinates", lambda: ops.image.map_coordinates(IMG[0, 0], torch.rand(2, 4), 1, "edge"), "fill_mode"),
    ("map_coordinates", lambda: ops.image.map_coordinates(IMG[0, 0, 0], torch.rand(1), 1), "rank"),
    ("rgb_to_grayscale", lambda: ops.image.rgb_to_grayscale(torch.rand(2, 4, 4, 2)), "channels"),
    ("rgb_to_hsv", lambda: ops.image.rgb_to_hsv(torch.ones(2, 4, 4, 3, dtype=torch.int32)), "float"),
    ("rgb_to_hsv", lambda: ops.image.rgb_to_hsv(torch.rand(2, 4, 4, 4)), "channels"),
    ("hsv_to_rgb", lambda: ops.image.hsv_to_rgb(torch.rand(4, 3)), "rank"),
    ("gaussian_blur", lambda: ops.image.gaussian_blur(IMG, kernel_size=(3,)), "kernel_size"),
    ("gaussian_blur", lambda: ops.image.gaussian_blur(IMG, sigma=(1.0, 1.0, 1.0)), "sigma"),
    ("sobel_edges", lambda: ops.image.sobel_edges(IMG[0]), "rank"),
    ("ssim", lambda: ops.image.ssim(IMG, IMG[:1]), "same shape"),
    ("ssim", lambda: ops.image.ssim(IMG[0, 0], IMG[0, 0]), "rank"),
    ("scale_and_translate", lambda: ops.image.scale_and_translate(IMG, (2, 3, 3, 3), [1.0, 1.0], [0.0, 0.0], (1, 2), "area"), "method"),
    ("scale_and_translate", lambda: ops.image.scale_and_translate(IMG, (2, 3, 3, 4), [1.0, 1.0], [0.0, 0.0], (1, 2), "linear"), "output_shape"),
    ("elastic_transform", lambda: ops.image.elastic_transform(IMG, interpolation="bicubic"), "interpolation"),
    ("elastic_transform", lambda: ops.image.elastic_transform(IMG, fill_mode="edge"), "fill_mode"),
]  # fmt: skip


@pytest.mark.parametrize(
    "name,call,arg", BAD_CALLS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD_CALLS)]
)
def test_bad_arguments(name, call, arg):
    with pytest.raises(ValueError, match=f"ops.image.{name}") as info:
        call()
    assert arg in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ops.image.extract_patches(IMG, "2"),
        lambda: ops.image.extract_patches_3d(torch.rand(2, 4, 4, 4, 1), (2, 2)),
        lambda: ops.image.elastic_transform(IMG, seed="abc"),
        lambda: ops.image.extract_patches(IMG, (2, 2.5)),
    ],
)
def test_bad_types(call):
    with pytest.raises(TypeError, match="ops.image."):
        call()


def test_symbolic_errors():
    with pytest.raises(ValueError, match="ops.image.rgb_to_hsv"):
        ops.image.rgb_to_hsv(KerasTensor((None, 5, 6, 4)))
    with pytest.raises(ValueError, match="ops.image.rgb_to_grayscale"):
        ops.image.rgb_to_grayscale(KerasTensor((None, 2, 5, 6)), data_format="channels_first")
    with pytest.raises(ValueError, match="ops.image.resize"):
        ops.image.resize(KerasTensor((None, 5, 6, 3)), (2, 2), interpolation="area")


def test_symbolic_forms_keras_shares():
    """Symbolic shapes where Keras's harness form (unknown leading axis) cannot be used."""
    pairs = [
        ("map_coordinates", ((5, 6), (2, None, 4)), (1,)),
        ("map_coordinates", ((4, 5, 6), (3, 7)), (0, "wrap")),
        ("affine_transform", ((None, 7, 9, 3), (None, 8)), ()),
        ("perspective_transform", ((None, 7, 9, 3), (None, 4, 2), (None, 4, 2)), ()),
    ]
    for name, shapes, extra in pairs:
        want = getattr(keras.ops.image, name)(*(keras.KerasTensor(s) for s in shapes), *extra)
        got = getattr(ops.image, name)(*(KerasTensor(s) for s in shapes), *extra)
        assert isinstance(got, KerasTensor)
        assert tuple(got.shape) == tuple(want.shape), name
        assert got.dtype == want.dtype


def test_extract_patches_3d_records_keras_class():
    out = ops.image.extract_patches_3d(KerasTensor((None, 4, 6, 6, 2)), 2)
    assert tuple(out.shape) == (None, 2, 3, 3, 16)
    assert type(out._keras_history[0]).__name__ == "ExtractPatches"


def test_elastic_transform_matches_keras_under_the_global_seed():
    """With ``seed=None`` both draw their displacement fields from torch's global generator in
    the same order, so the same global seed gives the same warp."""
    images = torch.rand(2, 12, 10, 3)
    for kwargs in (
        {"alpha": 3.0, "sigma": 1.5},
        {"alpha": 8.0, "sigma": 2.0, "interpolation": "nearest", "fill_mode": "constant"},
        {"alpha": 5.0, "sigma": 1.0, "fill_mode": "wrap", "data_format": "channels_first"},
    ):
        x = images.permute(0, 3, 1, 2) if kwargs.get("data_format") else images
        torch.manual_seed(7)
        want = keras.ops.image.elastic_transform(x, **kwargs)
        torch.manual_seed(7)
        got = ops.image.elastic_transform(x, **kwargs)
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_elastic_transform_seed():
    images = torch.rand(2, 12, 10, 3)
    a = ops.image.elastic_transform(images, alpha=4.0, sigma=1.0, seed=3)
    b = ops.image.elastic_transform(images, alpha=4.0, sigma=1.0, seed=3)
    c = ops.image.elastic_transform(images, alpha=4.0, sigma=1.0, seed=4)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)
    assert a.shape == images.shape and a.dtype == images.dtype
    gen = torch.Generator().manual_seed(3)
    torch.testing.assert_close(
        ops.image.elastic_transform(images, alpha=4.0, sigma=1.0, seed=gen), a
    )


def test_map_coordinates_size_one_axes():
    """Keras's torch backend divides by zero for mirror on a length-1 axis; every mode reads
    the only pixel there."""
    x = torch.arange(4.0).reshape(1, 4)
    coords = torch.tensor([[-1.5, 0.0, 2.0], [0.5, 1.25, 7.0]])
    for mode in ("nearest", "wrap", "mirror", "reflect"):
        out = ops.image.map_coordinates(x, coords, 1, mode)
        assert out.shape == (3,)
        assert torch.isfinite(out).all()
    torch.testing.assert_close(
        ops.image.map_coordinates(x, coords, 1, "mirror"), torch.tensor([0.5, 1.25, 1.0])
    )
