"""load_img / img_to_array / array_to_img / save_img equal Keras's (both use Pillow)."""

import io

import numpy as np
import pytest
from parity import keras

import ketorch

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def image_file(tmp_path, rng):
    pixels = rng.integers(0, 256, size=(13, 17, 3), dtype=np.uint8)
    path = tmp_path / "image.png"
    PIL.fromarray(pixels, "RGB").save(path)
    return path, pixels


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
@pytest.mark.parametrize(
    "target_size,interpolation,keep",
    [
        (None, "nearest", False),
        ((8, 6), "nearest", False),
        ((8, 6), "bilinear", False),
        ((20, 9), "bicubic", True),
        ((5, 5), "lanczos", True),
        ((7, 11), "box", False),
        ((9, 9), "hamming", True),
    ],
)
def test_load_img_equals_keras(image_file, color_mode, target_size, interpolation, keep):
    path, _ = image_file
    kwargs = dict(
        color_mode=color_mode,
        target_size=target_size,
        interpolation=interpolation,
        keep_aspect_ratio=keep,
    )
    ours = ketorch.utils.load_img(path, **kwargs)
    theirs = keras.utils.load_img(path, **kwargs)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(
        ketorch.utils.img_to_array(ours), keras.utils.img_to_array(theirs)
    )


def test_load_img_sources(image_file):
    path, pixels = image_file
    from_str = ketorch.utils.load_img(str(path))
    from_bytes_io = ketorch.utils.load_img(io.BytesIO(path.read_bytes()))
    np.testing.assert_array_equal(np.asarray(from_str), pixels)
    np.testing.assert_array_equal(np.asarray(from_bytes_io), pixels)
    with pytest.raises(TypeError, match="path should be path-like or io.BytesIO"):
        ketorch.utils.load_img(3)
    with pytest.raises(ValueError, match="color_mode must be"):
        ketorch.utils.load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="Invalid interpolation method"):
        ketorch.utils.load_img(path, target_size=(3, 3), interpolation="area")


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("scale", [True, False])
def test_array_to_img_and_back_equal_keras(rng, channels, data_format, scale):
    x = rng.uniform(0, 255, size=(6, 5, channels)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    ours = ketorch.utils.array_to_img(x, data_format=data_format, scale=scale)
    theirs = keras.utils.array_to_img(x, data_format=data_format, scale=scale)
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    np.testing.assert_array_equal(
        ketorch.utils.img_to_array(ours, data_format=data_format, dtype="uint8"),
        keras.utils.img_to_array(theirs, data_format=data_format, dtype="uint8"),
    )


def test_array_to_img_wide_grayscale_and_tensors():
    import torch

    x = np.arange(12, dtype="float32").reshape(3, 4, 1) * 100  # above 255: mode "I"
    ours = ketorch.utils.array_to_img(x, scale=False)
    assert ours.mode == keras.utils.array_to_img(x, scale=False).mode == "I"
    same = ketorch.utils.array_to_img(torch.as_tensor(x), scale=False)
    np.testing.assert_array_equal(np.asarray(same), np.asarray(ours))
    with pytest.raises(ValueError, match="Expected image array to have rank 3"):
        ketorch.utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        ketorch.utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="Unsupported image shape"):
        ketorch.utils.img_to_array(np.zeros(3))


@pytest.mark.parametrize("suffix", ["png", "bmp"])
def test_save_img_round_trip_equals_keras(tmp_path, rng, suffix):
    x = rng.integers(0, 256, size=(9, 7, 3)).astype("float32")
    ours, theirs = tmp_path / f"ours.{suffix}", tmp_path / f"theirs.{suffix}"
    ketorch.utils.save_img(ours, x, scale=False)
    keras.utils.save_img(theirs, x, scale=False)
    assert ours.read_bytes() == theirs.read_bytes()
    back = ketorch.utils.img_to_array(ketorch.utils.load_img(ours))
    np.testing.assert_array_equal(back, x)


def test_save_img_jpeg_drops_alpha(tmp_path):
    x = np.full((4, 4, 4), 200.0, "float32")
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        ketorch.utils.save_img(tmp_path / "a.jpg", x, scale=False)
    assert ketorch.utils.load_img(tmp_path / "a.jpg", color_mode="rgba").size == (4, 4)


def test_smart_resize_matches_keras(rng):
    x = rng.uniform(size=(2, 10, 16, 3)).astype("float32")
    ours = ketorch.utils.image_utils.smart_resize(x, (6, 6))
    theirs = keras.preprocessing.image.smart_resize(x, (6, 6))
    np.testing.assert_allclose(np.asarray(ours), keras.ops.convert_to_numpy(theirs), atol=1e-5)
