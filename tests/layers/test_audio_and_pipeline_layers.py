"""STFTSpectrogram and MelSpectrogram against Keras, and the Pipeline layer."""

import numpy as np
import pytest
import torch
from parity import keras, to_numpy

import ketorch
from ketorch import layers


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mode": "magnitude", "frame_length": 64, "frame_step": 16},
        {"mode": "psd", "frame_length": 60, "fft_length": 64, "padding": "same"},
        {
            "mode": "real",
            "frame_length": 32,
            "window": "hamming",
            "periodic": True,
            "scaling": "spectrum",
        },
        {"mode": "imag", "frame_length": 32, "window": None},
        {"mode": "angle", "frame_length": 32},
        {"mode": "stft", "frame_length": 32, "expand_dims": True},
        {"frame_length": 32, "expand_dims": True, "data_format": "channels_first"},
        {"frame_length": 32, "data_format": "channels_first"},
        {"frame_length": 32, "window": "blackman", "scaling": None},
        {"frame_length": 32, "window": "bartlett"},
    ],
)
def test_stft_spectrogram_equals_keras(kwargs, rng):
    x = rng.normal(size=(2, 600, 2)).astype("float32")
    if kwargs.get("data_format") == "channels_first":
        x = np.ascontiguousarray(np.transpose(x, (0, 2, 1)))
    ours, theirs = layers.STFTSpectrogram(**kwargs), keras.layers.STFTSpectrogram(**kwargs)
    got, expected = to_numpy(ours(x)), to_numpy(theirs(x))
    assert got.shape == expected.shape == tuple(ours.compute_output_shape(x.shape))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-4)
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name}
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]


def test_stft_spectrogram_kernels_are_trainable(rng):
    x = rng.normal(size=(8, 128, 1)).astype("float32")
    model = ketorch.Sequential(
        [
            ketorch.Input((128, 1)),
            layers.STFTSpectrogram(frame_length=32),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1),
        ]
    )
    model.compile("sgd", "mse")
    before = model.layers[0].get_weights()[0].copy()
    model.fit(x, np.ones((8, 1), "float32"), epochs=1, verbose=0)
    assert not np.array_equal(before, model.layers[0].get_weights()[0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"fft_length": 256, "sequence_stride": 100, "num_mel_bins": 32, "sampling_rate": 8000},
        {
            "fft_length": 512,
            "sequence_length": 400,
            "power_to_db": False,
            "mag_exp": 1.0,
            "window": "hamming",
        },
        {"fft_length": 256, "ref_power": 2.0, "top_db": 40.0, "min_freq": 100.0, "max_freq": 3000},
    ],
)
def test_mel_spectrogram_equals_keras(kwargs, rng):
    audio = rng.normal(size=(2, 3000)).astype("float32")
    ours, theirs = layers.MelSpectrogram(**kwargs), keras.layers.MelSpectrogram(**kwargs)
    got, expected = to_numpy(ours(audio)), to_numpy(theirs(audio))
    assert got.shape == expected.shape == tuple(ours.compute_output_shape(audio.shape))
    # Narrow mel filters have weights of ~1e-2 whose float32 rounding (~1e-5) differs in the
    # last digits between the two computations: a few thousandths of a dB.
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(
        to_numpy(ours(audio[0])), to_numpy(theirs(audio[0])), rtol=1e-4, atol=1e-2
    )
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name}


def test_spectrogram_argument_errors():
    with pytest.raises(ValueError, match="frame_step"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="fft_length"):
        layers.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match="Output mode"):
        layers.STFTSpectrogram(mode="loud")
    with pytest.raises(ValueError, match="Padding"):
        layers.STFTSpectrogram(padding="causal")
    with pytest.raises(TypeError, match="Invalid input type"):
        layers.STFTSpectrogram(frame_length=8)(np.zeros((1, 16, 1), "int32"))
    with pytest.raises(ValueError, match="sequence_length"):
        layers.MelSpectrogram(fft_length=64, sequence_length=128)


# ---------------------------------------------------------------- Pipeline
def test_pipeline_applies_layers_in_order_and_passes_training(rng):
    x = (rng.random((3, 8, 8, 3)) * 255).astype("float32")
    pipeline = layers.Pipeline(
        [layers.RandomFlip(seed=1), layers.Rescaling(1 / 255.0), layers.CenterCrop(4, 4)]
    )
    reference = keras.layers.Pipeline(
        [keras.layers.RandomFlip(seed=1), keras.layers.Rescaling(1 / 255.0),
         keras.layers.CenterCrop(4, 4)]
    )  # fmt: skip
    np.testing.assert_allclose(to_numpy(pipeline(x)), to_numpy(reference(x)), atol=1e-6)
    np.testing.assert_allclose(
        to_numpy(pipeline(x, training=False)), to_numpy(reference(x, training=False)), atol=1e-6
    )
    assert len(pipeline.layers) == 3 and isinstance(pipeline.layers, list)
    assert tuple(pipeline.compute_output_shape((None, 8, 8, 3))) == (None, 4, 4, 3)


def test_pipeline_on_dicts_config_and_keras_round_trip(rng, tmp_path):
    data = {
        "images": (rng.random((2, 6, 6, 3)) * 255).astype("float32"),
        "labels": np.eye(2, dtype="float32"),
    }
    pipeline = layers.Pipeline([layers.RandomFlip(seed=2), layers.MixUp(seed=3)])
    out = pipeline(dict(data))
    assert set(out) == {"images", "labels"} and tuple(out["images"].shape) == (2, 6, 6, 3)
    config = pipeline.get_config()
    clone = layers.Pipeline.from_config(config)
    assert [type(x).__name__ for x in clone.layers] == ["RandomFlip", "MixUp"]
    # Keras reads ketorch's config, and the other way round.
    theirs = keras.layers.Pipeline.from_config(config)
    np.testing.assert_allclose(
        to_numpy(theirs(dict(data))["images"]), to_numpy(clone(dict(data))["images"]), atol=1e-4
    )
    back = layers.Pipeline.from_config(theirs.get_config())
    assert [type(x).__name__ for x in back.layers] == ["RandomFlip", "MixUp"]
    with pytest.raises(ValueError, match="`layers` key"):
        layers.Pipeline.from_config({"name": "p"})


def test_pipeline_inside_a_saved_model(rng, tmp_path):
    x = (rng.random((2, 8, 8, 3)) * 255).astype("float32")
    inputs = ketorch.Input((8, 8, 3))
    augment = layers.Pipeline([layers.RandomRotation(0.1, seed=1), layers.Resizing(4, 4)])
    model = ketorch.Model(inputs, layers.Conv2D(2, 3)(augment(inputs)))
    path = str(tmp_path / "p.keras")
    model.save(path)
    loaded = ketorch.models.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )
    assert isinstance(model(x), torch.Tensor)
