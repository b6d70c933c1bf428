"""convkit.initializers.STFT: the DFT kernels of a windowed short-time Fourier transform (Keras's STFT
initializer), against the textbook formula."""
import numpy as np
import pytest

from convkit import initializers, layers

ATOL = 3e-6  # the angles are float32, as Keras computes them


def _dft(frame_length, bins, window, scale, side):
    t = np.arange(frame_length)[:, None, None]
    f = np.arange(bins)[None, None, :]
    angle = -2 * np.pi * t * f / (2 * (bins - 1))
    part = np.cos(angle) if side == "real" else np.sin(angle)
    return part * window[:, None, None] / scale


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("frame_length, bins", [(16, 9), (7, 5), (1, 2)])
def test_hann_density(side, frame_length, bins):
    n = np.arange(frame_length)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / (frame_length - 1)) if frame_length > 1 else np.ones(1)
    scale = np.sqrt(np.sum(hann ** 2))
    out = initializers.STFT(side=side)((frame_length, 1, bins))
    assert out.dtype == np.float32 and out.shape == (frame_length, 1, bins)
    np.testing.assert_allclose(out, _dft(frame_length, bins, hann, scale, side), atol=ATOL)


def test_custom_window_and_scalings():
    window = np.linspace(0.5, 1.5, 10)
    spectrum = initializers.STFT(window=window, scaling="spectrum")((10, 1, 6))
    np.testing.assert_allclose(spectrum, _dft(10, 6, window, window.sum(), "real"), atol=ATOL)
    plain = initializers.STFT(side="imag", window=None)((10, 1, 6))
    np.testing.assert_allclose(plain, _dft(10, 6, np.ones(10), 1.0, "imag"), atol=ATOL)
    periodic = initializers.STFT(window="hann", periodic=True, scaling=None)((8, 1, 5))
    hann8 = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(8) / 8)
    np.testing.assert_allclose(periodic, _dft(8, 5, hann8, 1.0, "real"), atol=ATOL)


def test_names_config_and_errors():
    assert initializers.stft is initializers.STFTInitializer is initializers.STFT
    init = initializers.get({"class_name": "STFT", "config": {"side": "imag", "window": "hamming",
                                                              "periodic": True, "scaling": None}})
    assert init.get_config() == {"side": "imag", "window": "hamming", "periodic": True, "scaling": None}
    with pytest.raises(ValueError, match="side should be 'real' or 'imag'"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="Scaling is invalid"):
        initializers.STFT(scaling="power")
    with pytest.raises(ValueError, match="Invalid window name 'nope'"):
        initializers.STFT(window="nope")
    with pytest.raises(ValueError, match="window` must be equal to \\[frame_length\\]"):
        initializers.STFT(window=np.ones(4))((5, 1, 3))


def test_as_a_conv1d_kernel():
    conv = layers.Conv1D(9, 16, strides=8, use_bias=False, kernel_initializer=initializers.STFT())
    signal = np.sin(np.arange(64, dtype=np.float32) * 0.7)[None, :, None]
    out = conv(signal)
    kernel = initializers.STFT()((16, 1, 9))
    frames = np.stack([signal[0, i * 8:i * 8 + 16, 0] for i in range(7)])
    np.testing.assert_allclose(out[0], frames @ kernel[:, 0, :], rtol=1e-5, atol=1e-5)
