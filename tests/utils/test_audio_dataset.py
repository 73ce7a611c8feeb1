"""audio_dataset_from_directory: WAV clips as float32 in [-1, 1], labelled by folder."""

import wave

import numpy as np
import pytest

import ketorch
from ketorch.utils import audio_dataset_from_directory


def _write_wav(path, samples, rate=16000, width=2):
    """``samples``: int array (frames, channels) in the sample width's range."""
    samples = np.asarray(samples)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        if width == 1:
            raw = (samples + 128).astype(np.uint8).tobytes()
        elif width == 3:
            ints = samples.astype("<i4").reshape(-1)
            raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
        else:
            raw = samples.astype(f"<i{width}").tobytes()
        f.writeframes(raw)


@pytest.fixture
def audio_dir(tmp_path, rng):
    clips = {}
    for label, lengths in (("no", [30, 50, 40]), ("yes", [20, 60])):
        (tmp_path / label).mkdir()
        for i, n in enumerate(lengths):
            samples = rng.integers(-32768, 32767, size=(n, 1))
            _write_wav(tmp_path / label / f"{i}.wav", samples)
            clips[f"{label}/{i}.wav"] = samples[:, 0] / 32768.0
    (tmp_path / "yes" / "notes.txt").write_text("not audio")
    return tmp_path, clips


def _rel(path, root):
    return str(path)[len(str(root)) + 1 :]


def test_batches_padded_and_labelled(audio_dir):
    root, clips = audio_dir
    ds = audio_dataset_from_directory(root, batch_size=5, shuffle=False, verbose=False)
    assert ds.class_names == ["no", "yes"] and len(ds) == 1
    audio, labels = ds[0]
    assert audio.shape == (5, 60, 1) and audio.dtype == np.float32
    assert labels.tolist() == [0, 0, 0, 1, 1]
    for row, path in zip(audio, ds.file_paths):
        expected = clips[_rel(path, root)]
        np.testing.assert_array_equal(row[: len(expected), 0], expected.astype("float32"))
        assert not row[len(expected) :].any()  # zero padding at the end


def test_output_sequence_length_and_label_modes(audio_dir):
    root, clips = audio_dir
    ds = audio_dataset_from_directory(
        root,
        batch_size=2,
        output_sequence_length=35,
        label_mode="categorical",
        shuffle=True,
        seed=3,
        verbose=False,
    )
    shapes = [ds[i][0].shape for i in range(len(ds))]
    assert shapes == [(2, 35, 1), (2, 35, 1), (1, 35, 1)]
    labels = np.concatenate([ds[i][1] for i in range(len(ds))])
    assert labels.shape == (5, 2) and labels.sum() == 5
    binary = audio_dataset_from_directory(
        root, batch_size=None, label_mode="binary", shuffle=False, verbose=False
    )
    clip, label = binary[3]
    assert clip.ndim == 2 and label.tolist() == [1.0]
    no_labels = audio_dataset_from_directory(root, labels=None, shuffle=False, verbose=False)
    assert isinstance(no_labels[0], np.ndarray)


def test_validation_split_and_ragged(audio_dir):
    root, _ = audio_dir
    train, val = audio_dataset_from_directory(
        root, validation_split=0.4, subset="both", seed=1, verbose=False
    )
    assert len(train.file_paths) == 3 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    ragged = audio_dataset_from_directory(root, ragged=True, shuffle=False, verbose=False)
    clips, _ = ragged[0]
    assert [len(c) for c in clips] == [30, 50, 40, 20, 60]


@pytest.mark.parametrize("width,scale", [(1, 128.0), (3, float(1 << 23)), (4, float(1 << 31))])
def test_sample_widths(tmp_path, width, scale):
    (tmp_path / "a").mkdir()
    samples = np.array([[-(2 ** (8 * width - 1))], [0], [2 ** (8 * width - 2)]])
    _write_wav(tmp_path / "a" / "x.wav", samples, width=width)
    audio, _ = audio_dataset_from_directory(tmp_path, verbose=False)[0]
    np.testing.assert_allclose(audio[0, :, 0], samples[:, 0] / scale, rtol=1e-6)


def test_stereo_and_resampling(tmp_path):
    pytest.importorskip("scipy")
    (tmp_path / "a").mkdir()
    t = np.arange(800) / 8000.0
    tone = (np.sin(2 * np.pi * 200 * t) * 16000).astype(int)
    _write_wav(tmp_path / "a" / "tone.wav", np.stack([tone, -tone], axis=1), rate=8000)
    audio, _ = audio_dataset_from_directory(tmp_path, sampling_rate=16000, verbose=False)[0]
    assert audio.shape == (1, 1600, 2)
    np.testing.assert_allclose(audio[0, 400:1200, 0], -audio[0, 400:1200, 1], atol=1e-6)


def test_trains_a_model(audio_dir):
    root, _ = audio_dir
    ds = audio_dataset_from_directory(
        root, batch_size=2, output_sequence_length=64, seed=0, verbose=False
    )
    model = ketorch.Sequential(
        [
            ketorch.Input((64, 1)),
            ketorch.layers.Conv1D(2, 3),
            ketorch.layers.GlobalAveragePooling1D(),
            ketorch.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(ragged=True, output_sequence_length=3), "Cannot set both `ragged`"),
        (dict(sampling_rate=1.5), "`sampling_rate` should have an integer value"),
        (dict(sampling_rate=0), "`sampling_rate` should be higher than 0"),
        (dict(label_mode="onehot"), "label_mode"),
        (dict(labels="folders"), "labels"),
    ],
)
def test_errors(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        audio_dataset_from_directory(tmp_path, verbose=False, **kwargs)
