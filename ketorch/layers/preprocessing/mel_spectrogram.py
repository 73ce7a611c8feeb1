"""MelSpectrogram: log-mel spectrograms of raw audio."""

from __future__ import annotations

import math

import numpy as np
import torch

from ... import backend
from ...ops import math as math_ops
from ..layer import Layer
from ._arg_checks import check_number, check_positive_int

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(hertz):
    return _MEL_HIGH_FREQUENCY_Q * torch.log(1.0 + hertz / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins=20,
    num_spectrogram_bins=129,
    sampling_rate=8000,
    lower_edge_hertz=125.0,
    upper_edge_hertz=3800.0,
    dtype=torch.float32,
):
    """``(num_spectrogram_bins, num_mel_bins)`` triangular filters mapping a linear-frequency
    spectrogram to mel bands (the DC bin gets no weight)."""
    zero = torch.tensor(0.0, dtype=dtype)
    nyquist = torch.tensor(float(sampling_rate), dtype=dtype) / 2.0
    linear = torch.linspace(0.0, float(nyquist), num_spectrogram_bins, dtype=dtype)[1:]
    bins_mel = _hertz_to_mel(linear).unsqueeze(1)
    low = _hertz_to_mel(torch.tensor(float(lower_edge_hertz), dtype=dtype))
    high = _hertz_to_mel(torch.tensor(float(upper_edge_hertz), dtype=dtype))
    edges = torch.linspace(float(low), float(high), num_mel_bins + 2, dtype=dtype)
    lower, center, upper = (edges[i : i + num_mel_bins].reshape(1, -1) for i in range(3))
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = torch.maximum(zero, torch.minimum(lower_slopes, upper_slopes))
    return torch.nn.functional.pad(weights, (0, 0, 1, 0))


class MelSpectrogram(Layer):
    """Mel spectrogram (in decibels by default) of raw audio ``(batch, samples)`` or
    ``(samples,)``; the output is ``(batch, num_mel_bins, frames)``.

    The signal is framed (centred, reflect-padded), Fourier transformed, its magnitude
    raised to ``mag_exp``, projected on ``num_mel_bins`` triangular mel filters between
    ``min_freq`` and ``max_freq``, and converted to decibels relative to ``ref_power``,
    floored ``top_db`` below the maximum of the call.

    Args:
        fft_length: FFT size.
        sequence_stride: Hop between frames.
        sequence_length: Window length (default ``fft_length``).
        window: ``"hann"`` (default), ``"hamming"`` or ``None``.
        sampling_rate: Sampling rate of the audio, in Hz.
        num_mel_bins: Number of mel bands.
        min_freq: Lowest band edge, in Hz.
        max_freq: Highest band edge (default: half the sampling rate).
        power_to_db: Convert power to decibels.
        top_db: The dynamic range kept, in dB.
        mag_exp: 1 for magnitude, 2 for power.
        min_power: Floor of the power before taking logarithms.
        ref_power: The power of 0 dB.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layer = layers.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=16)
        >>> layer(np.zeros((2, 1024), "float32")).shape
        torch.Size([2, 16, 9])
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        name = "MelSpectrogram"
        check_positive_int(fft_length, "fft_length", name)
        check_positive_int(sequence_stride, "sequence_stride", name)
        if sequence_length is not None and not (
            isinstance(sequence_length, int) and sequence_length == 0
        ):  # `None` and 0 mean `fft_length`, as in Keras
            check_positive_int(sequence_length, "sequence_length", name)
        if isinstance(window, str) and window in ("hann", "hamming") or window is None:
            pass
        elif isinstance(window, str) or not isinstance(
            window, (list, tuple, np.ndarray, torch.Tensor)
        ):
            raise ValueError(
                f'Argument `window` of {name} must be "hann", "hamming", an array of '
                f"`sequence_length` values or None. "
                f"Received: window={window!r}"
            )
        check_number(sampling_rate, "sampling_rate", name, positive=True)
        check_positive_int(num_mel_bins, "num_mel_bins", name)
        check_number(min_freq, "min_freq", name)
        check_number(max_freq, "max_freq", name, allow_none=True)
        check_number(top_db, "top_db", name)
        check_number(mag_exp, "mag_exp", name)
        check_number(min_power, "min_power", name, positive=True)
        check_number(ref_power, "ref_power", name)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to `sequence_length`. Received: "
                f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}."
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        tdtype = backend.torch_dtype(dtype)
        x = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(np.asarray(inputs))
        x = x.to(tdtype)
        real, imag = math_ops.stft(
            x,
            sequence_length=self.sequence_length,
            sequence_stride=self.sequence_stride,
            fft_length=self.fft_length,
            window=self.window,
            center=True,
        )
        spec = torch.pow(torch.sqrt(real * real + imag * imag), self.mag_exp)
        matrix = linear_to_mel_weight_matrix(
            self.num_mel_bins,
            spec.shape[-1],
            self.sampling_rate,
            self.min_freq,
            self.max_freq,
        ).to(device=spec.device, dtype=spec.dtype)
        out = torch.tensordot(spec, matrix, dims=1)
        if self.power_to_db:
            out = 10.0 * torch.log10(torch.clamp_min(out, self.min_power))
            ref = max(abs(float(self.ref_power)), self.min_power)
            out = out - 10.0 * math.log10(ref)
            out = torch.maximum(out, out.max() - self.top_db)
        return out.transpose(-1, -2).to(backend.torch_dtype(self.compute_dtype))

    def compute_output_shape(self, input_shape):
        def frames(n):
            return None if n is None else (n + self.sequence_stride + 1) // self.sequence_stride

        if len(input_shape) == 1:
            return (self.num_mel_bins, frames(input_shape[0]))
        return (input_shape[0], self.num_mel_bins, frames(input_shape[1]))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length,
                "window": self.window,
                "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq,
                "max_freq": self.max_freq,
                "power_to_db": self.power_to_db,
                "top_db": self.top_db,
                "mag_exp": self.mag_exp,
                "min_power": self.min_power,
                "ref_power": self.ref_power,
            }
        )
        return config
