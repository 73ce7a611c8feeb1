"""audio_dataset_from_directory: labelled batches of ``.wav`` clips from a folder.

Files are read with the standard library's ``wave`` module (PCM, 8 to 32 bits) and,
for IEEE-float files, with SciPy when it is installed. Samples are float32 in
``[-1, 1]`` with shape ``(samples, channels)``, as ``tf.audio.decode_wav`` gives them.
"""

from __future__ import annotations

import wave

import numpy as np

from .dataset_utils import _build, _check_label_args, _check_split_args, index_directory

AUDIO_FORMATS = (".wav",)


def _pcm_to_float(raw: bytes, width: int, channels: int) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        samples = (np.frombuffer(raw, dtype=np.uint8).astype("float32") - 128.0) / 128.0
    elif width == 3:  # 24-bit: widen each little-endian triple to int32
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype("int32")
        ints = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype("float32") / float(1 << 23)
    elif width in (2, 4):
        ints = np.frombuffer(raw, dtype=f"<i{width}")
        samples = (ints.astype("float64") / float(1 << (8 * width - 1))).astype("float32")
    else:
        raise ValueError(f"Unsupported WAV sample width: {width} bytes")
    return samples.reshape(-1, channels)


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """Decode a WAV file to ``(float32 samples (samples, channels), sampling rate)``.

    Raises:
        ValueError: If the file is not a WAV file this reader understands.
    """
    try:
        with wave.open(str(path), "rb") as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            raw = f.readframes(f.getnframes())
        return _pcm_to_float(raw, width, channels), rate
    except wave.Error as e:
        try:  # IEEE-float and other encodings the wave module refuses
            from scipy.io import wavfile  # optional dependency, loaded on first use
        except ImportError:
            raise ValueError(f"Cannot decode the WAV file {path}: {e}") from e
        rate, data = wavfile.read(str(path))
        data = np.asarray(data)
        if data.dtype.kind == "f":
            data = data.astype("float32")
        elif data.dtype == np.uint8:
            data = (data.astype("float32") - 128.0) / 128.0
        else:
            data = (data.astype("float64") / float(np.iinfo(data.dtype).max + 1)).astype("float32")
        return data.reshape(len(data), -1), int(rate)


def _resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    if rate_in == rate_out:
        return audio
    try:
        from scipy.signal import resample_poly
    except ImportError as e:
        raise ImportError(
            "Resampling audio (the `sampling_rate` argument) needs SciPy: `pip install scipy`."
        ) from e
    divisor = np.gcd(rate_in, rate_out)
    out = resample_poly(audio, rate_out // divisor, rate_in // divisor, axis=0)
    return out.astype("float32")


def _fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    if len(audio) >= length:
        return audio[:length]
    pad = np.zeros((length - len(audio), audio.shape[1]), dtype=audio.dtype)
    return np.concatenate([audio, pad])


def audio_dataset_from_directory(
    directory: str,
    labels="inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
):
    """A dataset of ``(audio, labels)`` batches from a folder of ``.wav`` files.

    Files are found, labelled, shuffled and split between training and validation as
    Keras does (see `image_dataset_from_directory`). Each clip is float32
    ``(samples, channels)`` in ``[-1, 1]``; clips of a batch are zero-padded at the end
    to the longest one, or cut/padded to ``output_sequence_length``.

    Args:
        directory: The root folder (one subfolder per class with ``labels="inferred"``).
        labels: ``"inferred"``, None, or a list of integer labels in file order.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None.
        class_names: The subfolders to use, in label order.
        batch_size: Clips per batch; None yields single clips.
        sampling_rate: Resample every clip to this rate (needs SciPy).
        output_sequence_length: Cut or zero-pad every clip to this many samples.
        ragged: Keep clips at their own length: a batch is then a list of arrays.
        shuffle: Whether to shuffle the files.
        seed: The shuffle seed.
        validation_split: Fraction of the files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"``.
        follow_links: Follow symbolic links to folders.
        verbose: Print the number of files found.

    Returns:
        A lazy ``tf.data``-style `Dataset` (``map``, ``batch``, ``shuffle``,
        ``prefetch``, ..., also indexable: ``ds[i]``) with ``class_names`` and
        ``file_paths`` attributes (or a list of
        two with ``subset="both"``).
    """
    _check_label_args(labels, label_mode, class_names)
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(
                f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}"
            )
        if sampling_rate <= 0:
            raise ValueError(
                f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
            )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    _check_split_args(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(
        directory, labels, AUDIO_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )

    def read(path):
        audio, rate = read_wav(path)
        if sampling_rate is not None:
            audio = _resample(audio, rate, sampling_rate)
        if output_sequence_length is not None:
            audio = _fit_length(audio, output_sequence_length)
        return audio

    def load(batch_paths):
        clips = [read(p) for p in batch_paths]
        if ragged:
            return clips
        longest = max(len(c) for c in clips)
        return np.stack([_fit_length(c, longest) for c in clips])

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
        "audio ",
    )
