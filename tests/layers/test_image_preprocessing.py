"""Image preprocessing layers: the layer contract for every one, and deterministic parity.

Resizing, CenterCrop, AutoContrast, Equalization and CLAHE are compared with Keras's layers
(torch backend) on the same inputs, over their options, data formats, dtypes and ranks.
"""

import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import keras, to_numpy

import ketorch
from ketorch import layers

IMG = (2, 8, 6, 3)

# (class name, arguments, input shape, output shape, contract options)
CONTRACT_CASES = [
    ("Resizing", {"height": 4, "width": 5}, IMG, (2, 4, 5, 3), {}),
    ("CenterCrop", {"height": 4, "width": 5}, IMG, (2, 4, 5, 3), {}),
    ("RandomCrop", {"height": 4, "width": 5, "seed": 1}, IMG, (2, 4, 5, 3), {}),
    ("RandomFlip", {"seed": 1}, IMG, IMG, {}),
    ("RandomRotation", {"factor": 0.2, "seed": 1}, IMG, IMG, {}),
    ("RandomZoom", {"height_factor": 0.2, "seed": 1}, IMG, IMG, {}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.1, "seed": 1}, IMG, IMG, {}),
    ("RandomContrast", {"factor": 0.2, "seed": 1}, IMG, IMG, {}),
    ("RandomBrightness", {"factor": 0.2, "seed": 1}, IMG, IMG, {}),
    ("AutoContrast", {}, IMG, IMG, {}),
    ("Solarization", {"addition_factor": 0.2, "threshold_factor": 0.5, "seed": 1}, IMG, IMG, {}),
    ("MixUp", {"seed": 1}, IMG, IMG, {}),
    ("CutMix", {"seed": 1}, IMG, IMG, {}),
    # Keras's RandAugment on torch brightens in place whichever operation is drawn (its
    # RandomBrightness adds into its input), so no output comparison with it.
    ("RandAugment", {"seed": 1}, IMG, IMG, {"run_mask_check": False}),
    ("Equalization", {}, IMG, IMG, {}),
    ("RandomGrayscale", {"seed": 1}, IMG, IMG, {}),
    ("RandomHue", {"factor": 0.2, "seed": 1}, IMG, IMG, {}),
    ("RandomSaturation", {"factor": 0.2, "seed": 1}, IMG, IMG, {}),
    ("RandomSharpness", {"factor": 0.2, "seed": 1}, IMG, IMG, {}),
    # Keras cannot read its own RandomShear config back ((-f, f) fails its [0, 1] check).
    ("RandomShear", {"x_factor": 0.2, "seed": 1}, IMG, IMG, {"run_mask_check": False}),
    (
        "RandomColorJitter",
        {"brightness_factor": 0.2, "hue_factor": 0.1, "seed": 1},
        IMG,
        IMG,
        {},
    ),
    ("RandomColorDegeneration", {"factor": 0.2, "seed": 1}, IMG, IMG, {}),
    ("RandomPosterization", {"factor": 4, "seed": 1}, IMG, IMG, {}),
    ("RandomInvert", {"seed": 1}, IMG, IMG, {}),
    ("RandomPerspective", {"seed": 1}, IMG, IMG, {}),
    # Keras's elastic field ignores the seed on torch (it draws from the global generator).
    ("RandomElasticTransform", {"seed": 1}, IMG, IMG, {"run_mask_check": False}),
    ("RandomErasing", {"seed": 1}, IMG, IMG, {}),
    ("RandomGaussianBlur", {"seed": 1}, IMG, IMG, {}),
    # AugMix picks operations with Python's `random`, which the contract does not seed.
    ("AugMix", {"seed": 1}, IMG, IMG, {"run_mask_check": False, "run_saving_check": False}),
    ("MaxNumBoundingBoxes", {"max_number": 3}, IMG, IMG, {}),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"tile_grid_size": (2, 2)}, IMG, IMG, {}),
    ("STFTSpectrogram", {"frame_length": 16}, (2, 64, 2), (2, 7, 18), {}),
    (
        "MelSpectrogram",
        {"fft_length": 32, "sequence_stride": 16, "num_mel_bins": 8},
        (2, 64),
        (2, 8, 5),
        {},
    ),
    ("Discretization", {"bin_boundaries": [0.0, 0.5]}, (2, 5), (2, 5), {}),
]


@pytest.mark.parametrize(
    "name,kwargs,shape,out_shape,options", CONTRACT_CASES, ids=[c[0] for c in CONTRACT_CASES]
)
def test_contract(name, kwargs, shape, out_shape, options):
    layer = run_layer_contract(
        getattr(layers, name),
        kwargs,
        shape,
        expected_output_shape=out_shape,
        expected_num_trainable_weights=2 if name == "STFTSpectrogram" else 0,
        **options,
    )
    if name not in ("STFTSpectrogram", "MelSpectrogram", "Discretization"):
        theirs = getattr(keras.layers, name)(**kwargs).get_config()
        ours = layer.get_config()
        assert set(theirs) <= set(ours)
        for key in set(theirs) - {"name"}:
            assert ours[key] == theirs[key], key


def test_stft_weights_match_keras():
    ours = layers.STFTSpectrogram(frame_length=16)
    theirs = keras.layers.STFTSpectrogram(frame_length=16)
    x = np.zeros((1, 32, 1), "float32")
    ours(x), theirs(x)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, to_numpy(b), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- deterministic layers
def _compare(ours, theirs, x, atol=1e-4, **call_kwargs):
    got = to_numpy(ours(x, **call_kwargs))
    expected = to_numpy(theirs(x, **call_kwargs))
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_allclose(got.astype("float64"), expected.astype("float64"), rtol=1e-5,
                               atol=atol)  # fmt: skip
    return got


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize(
    "aspect",
    [{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 7.0}],
    ids=["stretch", "crop", "pad"],
)
@pytest.mark.parametrize("size", [(4, 5), (11, 7)], ids=["down", "up"])
def test_resizing_parity(interpolation, aspect, size, rng):
    x = (rng.random((2, 9, 12, 3)) * 255).astype("float32")
    kwargs = {"height": size[0], "width": size[1], "interpolation": interpolation, **aspect}
    _compare(layers.Resizing(**kwargs), keras.layers.Resizing(**kwargs), x)


@pytest.mark.parametrize("antialias", [False, True])
def test_resizing_antialias_parity(antialias, rng):
    x = (rng.random((2, 16, 12, 3)) * 255).astype("float32")
    kwargs = {"height": 5, "width": 4, "antialias": antialias}
    _compare(layers.Resizing(**kwargs), keras.layers.Resizing(**kwargs), x)


def test_resizing_integer_unbatched_and_channels_first(rng):
    x = rng.integers(0, 256, (9, 12, 3)).astype("uint8")
    out = _compare(layers.Resizing(5, 7), keras.layers.Resizing(5, 7), x, atol=0)
    assert out.dtype == np.uint8 and out.shape == (5, 7, 3)
    xc = (rng.random((2, 3, 9, 12)) * 255).astype("float32")
    kwargs = {
        "height": 5,
        "width": 7,
        "data_format": "channels_first",
        "crop_to_aspect_ratio": True,
    }
    _compare(layers.Resizing(**kwargs), keras.layers.Resizing(**kwargs), xc)


def test_resizing_is_always_on_and_in_models(rng):
    x = (rng.random((2, 9, 12, 3)) * 255).astype("float32")
    layer = layers.Resizing(4, 6)
    assert tuple(layer(x, training=False).shape) == (2, 4, 6, 3)
    model = ketorch.Sequential([ketorch.Input((9, 12, 3)), layer])
    np.testing.assert_allclose(model.predict(x, verbose=0), to_numpy(layer(x)), rtol=1e-6)


@pytest.mark.parametrize("size", [(4, 5), (9, 12), (11, 7), (20, 30)])
def test_center_crop_parity(size, rng):
    x = (rng.random((2, 9, 12, 3)) * 255).astype("float32")
    _compare(layers.CenterCrop(*size), keras.layers.CenterCrop(*size), x)
    _compare(layers.CenterCrop(*size), keras.layers.CenterCrop(*size), x[0])
    xc = np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))
    kwargs = {"height": size[0], "width": size[1], "data_format": "channels_first"}
    _compare(layers.CenterCrop(**kwargs), keras.layers.CenterCrop(**kwargs), xc)


def test_center_crop_window_and_bad_shape():
    x = np.arange(16.0, dtype="float32").reshape(4, 4, 1)
    assert layers.CenterCrop(2, 2)(x)[..., 0].tolist() == [[5.0, 6.0], [9.0, 10.0]]
    with pytest.raises(ValueError, match="rank-1 with size 3"):
        layers.CenterCrop(2, 2).compute_output_shape((4, 4))


@pytest.mark.parametrize("value_range", [(0, 255), (0, 1), (-1, 1)])
def test_auto_contrast_parity(value_range, rng):
    low, high = value_range
    x = (low + 0.2 * (high - low) + rng.random((3, 6, 5, 3)) * 0.5 * (high - low)).astype("f4")
    kwargs = {"value_range": value_range}
    out = _compare(layers.AutoContrast(**kwargs), keras.layers.AutoContrast(**kwargs), x)
    np.testing.assert_allclose(out.min(axis=(1, 2)), low, atol=1e-5)
    np.testing.assert_allclose(out.max(axis=(1, 2)), high, atol=1e-4)
    # Always on, also at inference; a constant image is left as it is.
    assert np.allclose(to_numpy(layers.AutoContrast(**kwargs)(x, training=False)), out)
    flat = np.full((1, 3, 3, 1), 0.5 * (low + high), "float32")
    np.testing.assert_array_equal(to_numpy(layers.AutoContrast(**kwargs)(flat)), flat)


@pytest.mark.parametrize("kwargs", [{}, {"bins": 64}, {"value_range": (0, 1), "bins": 32}])
def test_equalization_parity(kwargs, rng):
    scale = 1.0 if kwargs.get("value_range") == (0, 1) else 255.0
    x = (rng.random((2, 7, 6, 3)) ** 2 * scale).astype("float32")
    _compare(layers.Equalization(**kwargs), keras.layers.Equalization(**kwargs), x)
    _compare(layers.Equalization(**kwargs), keras.layers.Equalization(**kwargs), x[0])
    # As Keras: skipped under training=False.
    assert np.array_equal(to_numpy(layers.Equalization(**kwargs)(x, training=False)), x)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tile_grid_size": (2, 3)},
        {"tile_grid_size": (4, 5), "clip_limit": 2.0},
        {"tile_grid_size": (3, 3), "clip_limit": 0},
        {"tile_grid_size": (2, 2), "value_range": (0, 1)},
    ],
)
def test_clahe_parity(kwargs, rng):
    scale = 1.0 if kwargs.get("value_range") == (0, 1) else 255.0
    x = (rng.random((2, 9, 12, 3)) * scale).astype("float32")
    cls = "ContrastLimitedAdaptiveHistogramEqualization"
    _compare(getattr(layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs), x)
    xc = np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))
    kwargs = {**kwargs, "data_format": "channels_first"}
    _compare(getattr(layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs), xc)


def test_image_layers_reject_bad_ranks():
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomFlip()(np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match="channels_last"):
        layers.RandomFlip(data_format="channels_middle")


def test_outputs_are_tensors_on_numpy_and_tensor_inputs(rng):
    x = (rng.random((2, 6, 6, 3)) * 255).astype("float32")
    for layer in (layers.Resizing(3, 3), layers.RandomFlip(seed=1), layers.RandomZoom(0.1)):
        assert isinstance(layer(x), torch.Tensor)
        assert isinstance(layer(torch.from_numpy(x)), torch.Tensor)
    # The input array is never written to.
    copy = x.copy()
    layers.RandomBrightness(0.5, seed=1)(torch.from_numpy(x))
    np.testing.assert_array_equal(x, copy)
