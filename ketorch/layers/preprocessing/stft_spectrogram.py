"""STFTSpectrogram: a short-time Fourier transform as a (trainable) convolution."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from ... import config as _config
from ...initializers import Initializer
from ..convolutional.base_conv import normalize_data_format, same_padding
from ..input_spec import InputSpec
from ..layer import Layer
from ._arg_checks import check_positive_int

_TORCH_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
}
MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def window_values(window, length, periodic) -> np.ndarray:
    """A named window (``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``, or any
    name SciPy knows when SciPy is installed) or explicit values, as float64."""
    if not isinstance(window, str):
        return np.asarray(window, dtype=np.float64)
    maker = _TORCH_WINDOWS.get(window)
    if maker is not None:
        return maker(length, periodic=bool(periodic), dtype=torch.float64).numpy()
    try:
        import scipy.signal
    except ImportError:
        raise ValueError(
            f"Unknown window {window!r}: use one of {sorted(_TORCH_WINDOWS)} (or install SciPy "
            "for the other window names)."
        ) from None
    return scipy.signal.get_window(window, length, periodic)


def check_window(window):
    if isinstance(window, str):
        window_values(window, 1, False)


class STFT(Initializer):
    """Initializer of STFT kernels: cosines (``side="real"``) or sines (``"imag"``) of the
    DFT frequencies, times a window, for a ``(frame_length, 1, fft_length // 2 + 1)`` kernel.

    Args:
        side: ``"real"`` or ``"imag"``.
        window: Window name, values, or ``None``.
        scaling: ``"density"`` (divide by the window's L2 norm), ``"spectrum"`` (by its sum)
            or ``None``.
        periodic: Periodic (as for spectral analysis) rather than symmetric window.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        check_window(window)
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        dtype = dtype if isinstance(dtype, torch.dtype) else torch.float32
        frame_length, _, bins = shape
        fft_length = (bins - 1) * 2
        freq = torch.arange(bins, dtype=dtype).reshape(1, 1, bins) / fft_length
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        angle = (-2 * time) * freq * torch.arccos(torch.tensor(-1, dtype=dtype))
        kernel = torch.cos(angle) if self.side == "real" else torch.sin(angle)
        if self.window is not None:
            win = torch.as_tensor(
                window_values(self.window, frame_length, self.periodic), dtype=dtype
            )
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]. Received: window "
                    f"shape={tuple(win.shape)}"
                )
            win = win.reshape(frame_length, 1, 1)
            scale = 1
            if self.scaling == "density":
                scale = torch.sqrt(torch.sum(win * win))
            elif self.scaling == "spectrum":
                scale = torch.sum(torch.abs(win))
            kernel = kernel * win / scale
        return kernel

    def get_config(self):
        return {
            "side": self.side,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


class STFTSpectrogram(Layer):
    """Spectrogram of ``(batch, time, channels)`` signals by the short-time Fourier transform.

    The transform is a strided 1D convolution whose kernels (real and imaginary parts of the
    windowed DFT) are weights initialized by :class:`STFT`, so they can be fine-tuned.

    Args:
        mode: ``"log"`` (log magnitude, default), ``"magnitude"``, ``"psd"`` (power spectral
            density), ``"real"``, ``"imag"``, ``"angle"`` or ``"stft"`` (real and imaginary
            parts concatenated along frequency).
        frame_length: Window length in samples.
        frame_step: Hop between frames (default ``frame_length // 2``).
        fft_length: FFT size (default: the next power of two of ``frame_length``).
        window: Window name, values, or ``None``.
        periodic: Periodic rather than symmetric window.
        scaling: ``"density"``, ``"spectrum"`` or ``None`` (see :class:`STFT`).
        padding: ``"valid"`` or ``"same"`` framing.
        expand_dims: Output ``(batch, time, freq, channels)`` instead of merging channels
            and frequencies.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Example:
        >>> import numpy as np
        >>> from ketorch import layers
        >>> layers.STFTSpectrogram(frame_length=64)(np.zeros((2, 256, 1), "float32")).shape
        torch.Size([2, 7, 33])
    """

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        check_positive_int(frame_length, "frame_length", "STFTSpectrogram")
        check_positive_int(frame_step, "frame_step", "STFTSpectrogram", allow_none=True)
        check_positive_int(fft_length, "fft_length", "STFTSpectrogram", allow_none=True)
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. Received "
                f"fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length & -fft_length != fft_length:
            warnings.warn(
                f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                stacklevel=2,
            )
        if mode not in MODES:
            raise ValueError(
                f"Output mode is invalid, it must be one of {', '.join(MODES)}. Received: mode={mode}"
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                f"Received scaling={scaling}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}"
            )
        check_window(window)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = normalize_data_format(data_format, "STFTSpectrogram")
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel",
                shape=shape,
                initializer=STFT("real", self.window, self.scaling, self.periodic),
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel",
                shape=shape,
                initializer=STFT("imag", self.window, self.scaling, self.periodic),
            )
        self.built = True

    def _frames(self, inputs, kernel):
        """``(batch, channels, freq, time)`` responses of every channel to ``kernel``."""
        if self.data_format == "channels_last":
            signal = inputs.transpose(1, 2)
        else:
            signal = inputs
        batch, channels, length = signal.shape
        signal = signal.reshape(batch * channels, 1, length)
        if self.padding == "same":
            before, after = same_padding(length, self.frame_length, self._frame_step)
            signal = F.pad(signal, (before, after))
        weight = kernel.to(signal.dtype).permute(2, 1, 0)  # (freq, 1, frame_length)
        out = F.conv1d(signal, weight, stride=self._frame_step)
        return out.reshape(batch, channels, out.shape[1], out.shape[2])

    def _arrange(self, outputs):
        batch, channels, freq, time = outputs.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return outputs.permute(0, 3, 2, 1)
            return outputs.reshape(batch, channels * freq, time).transpose(1, 2)
        if self.expand_dims:
            return outputs.transpose(2, 3)
        return outputs.reshape(batch, channels * freq, time)

    def call(self, inputs):
        if inputs.dtype not in (torch.float16, torch.float32, torch.float64, torch.bfloat16):
            raise TypeError(
                "Invalid input type. Expected `float16`, `float32` or `float64`. Received: "
                f"input type={str(inputs.dtype).replace('torch.', '')}"
            )
        real = self._frames(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._frames(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._arrange(torch.cat([real, imag], dim=2))
        power = real * real + imag * imag
        if self.mode == "psd":
            # One-sided density: every bin but DC and Nyquist counts twice.
            return self._arrange(power + F.pad(power[:, :, 1:-1, :], (0, 0, 1, 1)))
        eps = _config.epsilon()
        magnitude = self._arrange(torch.sqrt(torch.clamp_min(power, eps)))
        if self.mode == "magnitude":
            return magnitude
        return torch.log(torch.clamp_min(magnitude, eps))

    def compute_output_shape(self, input_shape):
        channels_last = self.data_format == "channels_last"
        batch = input_shape[0]
        channels = input_shape[-1] if channels_last else input_shape[1]
        length = input_shape[1] if channels_last else input_shape[-1]
        freq = self._fft_length // 2 + 1
        if self.mode == "stft":
            freq *= 2
        if length is None:
            time = None
        elif self.padding == "same":
            time = -(-length // self._frame_step)
        else:
            time = (length - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            if channels_last:
                return (batch, time, freq, channels)
            return (batch, channels, time, freq)
        merged = None if channels is None else freq * channels
        return (batch, time, merged) if channels_last else (batch, merged, time)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "frame_length": self.frame_length,
                "frame_step": self.frame_step,
                "fft_length": self.fft_length,
                "window": self.window,
                "periodic": self.periodic,
                "scaling": self.scaling,
                "padding": self.padding,
                "data_format": self.data_format,
                "expand_dims": self.expand_dims,
            }
        )
        return config
