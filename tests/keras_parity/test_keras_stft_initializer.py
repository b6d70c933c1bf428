"""convkit.initializers.STFT against keras.initializers.STFT (torch backend): the same kernels and configs."""
import pytest

from convkit import initializers

from conftest import assert_parity, to_numpy  # noqa: E402


@pytest.mark.parametrize("kwargs", [
    {}, {"side": "imag"}, {"window": "hamming", "scaling": "spectrum", "periodic": True}, {"window": None},
    {"window": "blackman", "scaling": None}, {"window": [0.25, 0.5, 1.0, 1.0, 1.0, 1.0, 0.5, 0.25]},
])
def test_same_kernels_and_config(keras, kwargs):
    shape = (8, 1, 5)
    assert_parity(initializers.STFT(**kwargs)(shape), to_numpy(keras, keras.initializers.STFT(**kwargs)(shape)),
                  tol=1e-6)
    if "window" not in kwargs or not isinstance(kwargs["window"], list):
        assert initializers.STFT(**kwargs).get_config() == keras.initializers.STFT(**kwargs).get_config()
        config = keras.initializers.serialize(keras.initializers.STFT(**kwargs))
        assert initializers.get(config).get_config() == config["config"]
