"""Keras 3's audio preprocessing layers: MelSpectrogram (a mel-scaled, optionally decibel
spectrogram of raw audio) and STFTSpectrogram (a short-time Fourier transform whose DFT kernels
are weights, as in Keras, so `set_weights(keras_layer.get_weights())` works).

Both frame the signal with stride tricks (a view, no copy per frame) and compute in float32 in
the order of Keras's torch backend, so the numbers follow Keras's float32 rounding; the only
differences left are those of two float32 FFT / matmul implementations.

Keras takes STFTSpectrogram's named windows from SciPy; convkit computes the parameterless ones
itself (numpy only), with SciPy's formulas: see `_WINDOWS`."""
import math
import warnings

import numpy as np

from convkit import _args
from convkit.layers.base import InputSpec, Layer

__all__ = ["MelSpectrogram", "STFTSpectrogram"]

_EPSILON = np.float32(1e-7)  # keras.backend.epsilon()
# HTK's mel scale: mel(f) = 1127 * ln(1 + f / 700)
_MEL_BREAK_FREQUENCY_HERTZ = np.float32(700.0)
_MEL_HIGH_FREQUENCY_Q = np.float32(1127.0)


# ---- helpers ---------------------------------------------------------------------------------

def _window_from_config(window):
    """A custom window as given, or as a saved config holds it (Keras's serialised NumPy array)."""
    if isinstance(window, dict) and window.get("class_name") == "__numpy__":
        cfg = window.get("config", {})
        return np.asarray(cfg.get("value"), dtype=cfg.get("dtype", "float32"))
    return window


def _custom_window(window, length, length_name):
    """A user window (any 1-D array-like of `length` numbers) as float32, checked as Keras does."""
    win = _args.as_float32_array(window, "window")
    if win.ndim != 1 or win.shape[-1] != length:
        raise ValueError(f"The shape of `window` must be equal to [{length_name}]. Received: window shape="
                         f"{win.shape}, {length_name}={length}")
    return win


def _frames(signal, length, step):
    """(..., samples) -> (..., n_frames, length): the frames `length` long every `step` samples,
    as a strided view of `signal` (no copy)."""
    return np.lib.stride_tricks.sliding_window_view(signal, length, axis=-1)[..., ::step, :]


def _positive_int(value, name):
    return _args.normalize_int(value, name, minimum=1)


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"The `{name}` argument must be a number. Received: {name}={value!r}")
    return value


def _boolean(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"The `{name}` argument must be a boolean. Received: {name}={value!r}")
    return bool(value)


# ---- SciPy's parameterless windows (scipy.signal.get_window), in float64 ------------------------
# A symmetric window of M points spans [0, M-1]; a periodic one is the symmetric window of M+1
# points without its last point (what `get_window(name, M, fftbins=True)` returns).

def _cosine_sum(coefficients):
    def window(m):
        angle = np.linspace(-np.pi, np.pi, m)
        return sum(a * np.cos(k * angle) for k, a in enumerate(coefficients))
    return window


def _triangle(m):
    n = np.arange(1, (m + 1) // 2 + 1, dtype=np.float64)
    if m % 2 == 0:
        half = (2 * n - 1.0) / m
        return np.concatenate([half, half[::-1]])
    half = 2 * n / (m + 1.0)
    return np.concatenate([half, half[-2::-1]])


def _bartlett(m):
    n = np.arange(m, dtype=np.float64)
    return np.where(n <= (m - 1) / 2.0, 2.0 * n / (m - 1), 2.0 - 2.0 * n / (m - 1))


def _bartlett_hann(m):
    distance = np.abs(np.arange(m, dtype=np.float64) / (m - 1) - 0.5)
    return 0.62 - 0.48 * distance + 0.38 * np.cos(2 * np.pi * distance)


def _bohman(m):
    distance = np.abs(np.linspace(-1, 1, m)[1:-1])
    inner = (1 - distance) * np.cos(np.pi * distance) + 1.0 / np.pi * np.sin(np.pi * distance)
    return np.concatenate([[0.0], inner, [0.0]])


def _parzen(m):
    n = np.arange(-(m - 1) / 2.0, (m - 1) / 2.0 + 0.5, 1.0)
    ratio = np.abs(n) / (m / 2.0)
    return np.where(np.abs(n) <= (m - 1) / 4.0, 1 - 6 * ratio ** 2.0 + 6 * ratio ** 3.0, 2 * (1 - ratio) ** 3.0)


def _half_cosine(m):
    return np.sin(np.pi / m * (np.arange(m, dtype=np.float64) + 0.5))


_WINDOW_FUNCTIONS = {
    ("hann", "han"): _cosine_sum([0.5, 0.5]),
    ("hamming", "hamm", "ham"): _cosine_sum([0.54, 0.46]),
    ("blackman", "black", "blk"): _cosine_sum([0.42, 0.50, 0.08]),
    ("nuttall", "nutl", "nut"): _cosine_sum([0.3635819, 0.4891775, 0.1365995, 0.0106411]),
    ("blackmanharris", "blackharr", "bkh"): _cosine_sum([0.35875, 0.48829, 0.14128, 0.01168]),
    ("flattop", "flat", "flt"): _cosine_sum([0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368]),
    ("boxcar", "box", "ones", "rect", "rectangular"): lambda m: np.ones(m),
    ("triangle", "triang", "tri"): _triangle,
    ("bartlett", "bart", "brt"): _bartlett,
    ("barthann", "brthan", "bth"): _bartlett_hann,
    ("bohman", "bman", "bmn"): _bohman,
    ("parzen", "parz", "par"): _parzen,
    ("cosine", "halfcosine"): _half_cosine,
}
_WINDOWS = {alias: function for aliases, function in _WINDOW_FUNCTIONS.items() for alias in aliases}


def _window_function(name):
    """(function, symmetric override or None) for a SciPy window name; ValueError if unknown."""
    if not isinstance(name, str):
        raise TypeError(f"`window` must be a string, an array-like or None. Received: window={name!r}")
    symmetric, base = None, name
    if name.endswith("_symmetric"):
        symmetric, base = True, name[:-len("_symmetric")]
    elif name.endswith("_periodic"):
        symmetric, base = False, name[:-len("_periodic")]
    if base not in _WINDOWS:
        raise ValueError(
            f"Invalid window name '{base}' in parameter window={name!r}. convkit computes SciPy's windows that "
            f"take no parameters: {', '.join(sorted(set(_WINDOWS)))} (optionally with a '_symmetric' or "
            "'_periodic' suffix).")
    return _WINDOWS[base], symmetric


def scipy_window(name, length, periodic):
    """scipy.signal.get_window(name, length, fftbins=periodic) for the parameterless windows, float64."""
    function, symmetric = _window_function(name)
    if symmetric is not None:
        periodic = not symmetric
    if length <= 1:
        return np.ones(length)
    if periodic:
        return function(length + 1)[:-1]
    return function(length)


# ---- MelSpectrogram --------------------------------------------------------------------------

def _hertz_to_mel(hertz):
    return _MEL_HIGH_FREQUENCY_Q * np.log(np.float32(1.0) + hertz / _MEL_BREAK_FREQUENCY_HERTZ)


def _float32_linspace(start, stop, num):
    """start + (k / (num - 1)) * (stop - start) in float32: Keras's torch linspace for tensors."""
    steps = np.arange(num, dtype=np.float32) / np.float32(num - 1)
    return start + steps * (stop - start)


def mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz, upper_edge_hertz):
    """(num_spectrogram_bins, num_mel_bins) float32 triangles on the HTK mel scale, each peaking at
    1; the DC bin gets no weight. Computed in float32 in Keras's order, so it rounds as Keras's."""
    sampling_rate = np.float32(sampling_rate)
    lower, upper = np.float32(lower_edge_hertz), np.float32(upper_edge_hertz)
    nyquist = sampling_rate / np.float32(2.0)
    linear = _float32_linspace(np.float32(0.0), nyquist, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(linear)[:, None]
    edges = _float32_linspace(_hertz_to_mel(lower), _hertz_to_mel(upper), num_mel_bins + 2)
    # band m rises from edges[m] to its peak at edges[m + 1] and falls to zero at edges[m + 2]
    lower_mel, center_mel, upper_mel = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    rising = (bins_mel - lower_mel) / (center_mel - lower_mel)
    falling = (upper_mel - bins_mel) / (upper_mel - center_mel)
    weights = np.maximum(np.float32(0.0), np.minimum(rising, falling))
    return np.pad(weights, [(1, 0), (0, 0)])


class MelSpectrogram(Layer):
    """Mel spectrogram of raw audio (Keras 3's `keras.layers.MelSpectrogram`, torch backend).

    Input (samples,) or (batch, samples) (more leading axes are batch axes too); output
    (..., num_mel_bins, frames) with frames = 1 + samples // sequence_stride: the signal is
    reflect-padded by fft_length // 2 on both sides (torch.stft's center=True), each frame of
    fft_length samples is multiplied by the periodic `window` (sequence_length long, centred and
    zero-padded to fft_length), |rfft|**mag_exp is mapped onto the mel bands and, with
    power_to_db, converted to decibels relative to ref_power and clipped `top_db` below the
    largest value of the whole batch (as Keras does: one maximum over every example)."""

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True,
                 top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        self.fft_length = _positive_int(fft_length, "fft_length")
        self.sequence_stride = _positive_int(sequence_stride, "sequence_stride")
        self.sequence_length = _positive_int(sequence_length or fft_length, "sequence_length")
        if self.fft_length < self.sequence_length:
            raise ValueError(f"`fft_length` must be greater than or equal to `sequence_length`. Received: "
                             f"`sequence_length`={self.sequence_length}, `fft_length`={self.fft_length}.")
        window = _window_from_config(window)
        if isinstance(window, str):
            if window not in ("hann", "hamming"):
                raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                                 f"Received: window={window}")
        elif window is not None:
            _custom_window(window, self.sequence_length, "sequence_length")
        self.window = window
        self.sampling_rate = _number(sampling_rate, "sampling_rate")
        self.num_mel_bins = _positive_int(num_mel_bins, "num_mel_bins")
        self.min_freq = _number(min_freq, "min_freq")
        self.max_freq = _number(max_freq or int(sampling_rate / 2), "max_freq")
        self.power_to_db = _boolean(power_to_db, "power_to_db")
        self.top_db = _number(top_db, "top_db")
        self.mag_exp = _number(mag_exp, "mag_exp")
        self.min_power = _number(min_power, "min_power")
        self.ref_power = _number(ref_power, "ref_power")
        super().__init__(**kwargs)
        self.input_spec = InputSpec(min_ndim=1)
        self._constants = None

    def _window_and_matrix(self, num_spectrogram_bins):
        """The fft_length window (torch.stft's: `window` centred in zeros) and the mel matrix."""
        if self._constants is None:
            n = self.sequence_length
            if self.window is None:
                win = np.ones(n, np.float32)
            elif isinstance(self.window, str):
                # torch's periodic windows: hann = 0.5 - 0.5 cos(2 pi k / n), hamming = 0.54 - 0.46 cos(...)
                a0 = 0.5 if self.window == "hann" else 0.54
                win = (a0 - (1 - a0) * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)
            else:
                win = _custom_window(self.window, n, "sequence_length")
            left = (self.fft_length - n) // 2
            full = np.zeros(self.fft_length, np.float32)
            full[left:left + n] = win
            matrix = mel_weight_matrix(self.num_mel_bins, num_spectrogram_bins, self.sampling_rate, self.min_freq,
                                       self.max_freq)
            self._constants = full, matrix
        return self._constants

    def call(self, inputs):
        pad = self.fft_length // 2
        samples = inputs.shape[-1]
        if pad >= samples:
            raise ValueError(f"MelSpectrogram pads each signal by reflection with fft_length // 2 = {pad} samples, "
                             f"which needs more than {pad} samples. Received: input shape {inputs.shape}")
        window, matrix = self._window_and_matrix(self.fft_length // 2 + 1)
        padded = np.pad(inputs, [(0, 0)] * (inputs.ndim - 1) + [(pad, pad)], mode="reflect")
        spectrum = np.fft.rfft(_frames(padded, self.fft_length, self.sequence_stride) * window, axis=-1)
        magnitude = np.sqrt(np.square(spectrum.real) + np.square(spectrum.imag))
        power = np.power(magnitude, np.float32(self.mag_exp))
        mel = np.matmul(power, matrix)  # (..., frames, num_mel_bins)
        if self.power_to_db:
            mel = self._decibels(mel)
        return np.ascontiguousarray(np.swapaxes(mel, -1, -2), dtype=np.float32)

    def _decibels(self, power):
        min_power = np.float32(self.min_power)
        db = np.float32(10.0) * np.log10(np.maximum(power, min_power))
        reference = np.maximum(np.abs(np.float32(self.ref_power)), min_power)
        db -= np.float32(10.0) * np.log10(reference)
        if db.size:
            db = np.maximum(db, db.max() - np.float32(self.top_db))  # one floor for the whole batch, as Keras
        return db

    def compute_output_shape(self, input_shape):
        # Keras's formula ((samples + stride + 1) // stride frames) is what Keras's symbolic shapes
        # say, even where the call gives 1 + samples // stride (samples + 1 divisible by the stride)
        samples = input_shape[-1]
        frames = None if samples is None else (samples + self.sequence_stride + 1) // self.sequence_stride
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames)
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def get_config(self):
        config = super().get_config()
        config.update({
            "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length, "window": self.window, "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins, "min_freq": self.min_freq, "max_freq": self.max_freq,
            "power_to_db": self.power_to_db, "top_db": self.top_db, "mag_exp": self.mag_exp,
            "min_power": self.min_power, "ref_power": self.ref_power,
        })
        return config


# ---- STFTSpectrogram -------------------------------------------------------------------------

_STFT_MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


def stft_kernel(side, frame_length, num_bins, window, scaling, periodic):
    """Keras's STFT initializer: (frame_length, 1, num_bins) float32 cos ("real") or sin ("imag")
    of -2 pi t f / ((num_bins - 1) * 2), times the window divided by its L2 ("density") or L1
    ("spectrum") norm. float32 arithmetic in Keras's order."""
    time = np.arange(frame_length, dtype=np.float32).reshape(frame_length, 1, 1)
    freq = np.arange(num_bins, dtype=np.float32).reshape(1, 1, num_bins) / np.float32((num_bins - 1) * 2)
    angle = (np.float32(-2) * time) * freq * np.float32(np.pi)
    kernel = np.cos(angle) if side == "real" else np.sin(angle)
    if window is None:
        return kernel
    if isinstance(window, str):
        win = scipy_window(window, frame_length, periodic).astype(np.float32)
    else:
        win = _custom_window(window, frame_length, "frame_length")
    win = win.reshape(frame_length, 1, 1)
    scale = np.float32(1.0)
    if scaling == "density":
        scale = np.sqrt(np.sum(np.square(win)))
    elif scaling == "spectrum":
        scale = np.sum(np.abs(win))
    return kernel * win / scale


class STFTSpectrogram(Layer):
    """Short-time Fourier transform of (batch, time, channels) signals (Keras 3's
    `keras.layers.STFTSpectrogram`), each channel separately: frames of frame_length samples every
    frame_step ('valid', or 'same' zero padding as Keras's conv), dotted with the `real_kernel` and
    `imag_kernel` weights (frame_length, 1, fft_length // 2 + 1), Keras's DFT-times-window
    kernels. `mode` picks the output: "real", "imag", "stft" (real bins then imaginary bins),
    "angle", "psd" (power, inner bins doubled), "magnitude" or "log" (natural log of the magnitude,
    both floored at 1e-7). Output (batch, frames, channels * bins), or with expand_dims
    (batch, frames, bins, channels); channels_first puts channels (and bins) before frames."""

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None, **kwargs):
        frame_length = _positive_int(frame_length, "frame_length")
        if frame_step is not None:
            if not _args._is_int(frame_step):
                raise TypeError(f"The `frame_step` argument must be an integer. Received: frame_step={frame_step!r}")
            if frame_step > frame_length or frame_step < 1:
                raise ValueError("`frame_step` should be a positive integer not greater than `frame_length`. "
                                 f"Received frame_step={frame_step}, frame_length={frame_length}")
        if fft_length is not None:
            if not _args._is_int(fft_length):
                raise TypeError(f"The `fft_length` argument must be an integer. Received: fft_length={fft_length!r}")
            if fft_length < frame_length:
                raise ValueError("`fft_length` should be not less than `frame_length`. "
                                 f"Received fft_length={fft_length}, frame_length={frame_length}")
            if (fft_length & -fft_length) != fft_length:
                warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                              stacklevel=2)
        if mode not in _STFT_MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_STFT_MODES)}. "
                             f"Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. Received: padding={padding}")
        window = _window_from_config(window)
        if isinstance(window, str):
            _window_function(window)
        elif window is not None:
            _custom_window(window, frame_length, "frame_length")
        self.periodic = _boolean(periodic, "periodic")
        self.expand_dims = _boolean(expand_dims, "expand_dims")
        self._frame_step = frame_step or frame_length // 2
        if self._frame_step < 1:
            raise ValueError(f"`frame_step` defaults to frame_length // 2, which is 0 for frame_length="
                             f"{frame_length}: pass a positive `frame_step`. Received frame_step={frame_step}")
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.scaling = scaling
        self.padding = padding
        self.data_format = _args.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        # as Keras: mode "imag" makes no real_kernel and mode "real" no imag_kernel
        sides = [side for side, unused_by in (("real", "imag"), ("imag", "real")) if self.mode != unused_by]
        for side in sides:
            kernel = stft_kernel(side, self.frame_length, shape[-1], self.window, self.scaling, self.periodic)
            weight = self.add_weight(shape, lambda s, d, k=kernel: k, name=f"{side}_kernel")
            setattr(self, f"{side}_kernel", weight)

    def _prepare(self):
        kernels = {w.name: w.value[:, 0, :] for w in self._weights}  # (frame_length, bins) each
        return kernels

    def _frames(self, inputs):
        """(batch, channels, n_frames, frame_length) frames of the (batch, ..., ...) input."""
        signal = np.swapaxes(inputs, 1, 2) if self.data_format == "channels_last" else inputs
        before, after = _args.conv_pads(signal.shape[-1], self.frame_length, self.padding, self._frame_step)
        if before or after:
            signal = np.pad(signal, [(0, 0), (0, 0), (before, after)])
        if signal.shape[-1] < self.frame_length:
            raise ValueError(f"STFTSpectrogram with padding='valid' needs at least frame_length={self.frame_length} "
                             f"samples. Received: input shape {inputs.shape}")
        return _frames(signal, self.frame_length, self._frame_step)

    def call(self, inputs):
        kernels = self._prepared()
        frames = self._frames(inputs)
        real = np.matmul(frames, kernels["real_kernel"]) if "real_kernel" in kernels else None
        imag = np.matmul(frames, kernels["imag_kernel"]) if "imag_kernel" in kernels else None
        # each (batch, channels, n_frames, bins)
        if self.mode == "real":
            out = real
        elif self.mode == "imag":
            out = imag
        elif self.mode == "angle":
            out = np.arctan2(imag, real)
        elif self.mode == "stft":
            out = np.concatenate([real, imag], axis=-1)
        else:
            power = np.square(real) + np.square(imag)
            if self.mode == "psd":
                # one-sided density: the bins between DC and Nyquist count twice (Keras's pad-and-add)
                out = power + np.pad(power[..., 1:-1], [(0, 0), (0, 0), (0, 0), (1, 1)])
            else:
                out = np.sqrt(np.maximum(power, _EPSILON))
                if self.mode == "log":
                    out = np.log(np.maximum(out, _EPSILON))
        return self._arrange(out)

    def _arrange(self, out):
        """(batch, channels, n_frames, bins) -> the layout Keras returns."""
        batch, channels, n_frames, bins = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                out = out.transpose(0, 2, 3, 1)  # (batch, frames, bins, channels)
            else:
                out = out.transpose(0, 2, 1, 3).reshape(batch, n_frames, channels * bins)
        elif not self.expand_dims:
            out = out.transpose(0, 1, 3, 2).reshape(batch, channels * bins, n_frames)
        return np.ascontiguousarray(out, dtype=np.float32)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        n_frames = _args.conv_output_length(time, self.frame_length, self.padding, self._frame_step)
        if n_frames is not None and n_frames <= 0:
            raise ValueError(f"Computed output size would be negative. Received `inputs shape={input_shape}`, "
                             f"`kernel shape={(self.frame_length, 1, bins)}`, `dilation_rate=1`.")
        features = None if channels is None else channels * bins
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, n_frames, bins, channels)
            return (batch, channels, n_frames, bins)
        if self.data_format == "channels_last":
            return (batch, n_frames, features)
        return (batch, features, n_frames)

    def get_config(self):
        config = super().get_config()
        config.update({
            "mode": self.mode, "frame_length": self.frame_length, "frame_step": self.frame_step,
            "fft_length": self.fft_length, "window": self.window, "periodic": self.periodic,
            "scaling": self.scaling, "padding": self.padding, "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        })
        return config
