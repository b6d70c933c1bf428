"""convkit.config's switches with keras.config's names: interactive logging (predict's progress bar), traceback
filtering and flash attention (remembered), against Keras's defaults and signatures."""
import inspect
import io

import numpy as np
import pytest

from convkit import config
from convkit._progress import ProgressBar

SWITCHES = [
    ("enable_interactive_logging", "disable_interactive_logging", "is_interactive_logging_enabled", True, False),
    ("enable_traceback_filtering", "disable_traceback_filtering", "is_traceback_filtering_enabled", True, False),
    ("enable_flash_attention", "disable_flash_attention", "is_flash_attention_enabled", None, False),
]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def _restore_defaults():
    yield
    config.enable_interactive_logging()
    config.enable_traceback_filtering()
    config.enable_flash_attention()


@pytest.mark.parametrize("enable, disable, query, on, off", SWITCHES)
def test_switches(enable, disable, query, on, off):
    assert getattr(config, query)() is on  # Keras's default
    getattr(config, disable)()
    assert getattr(config, query)() is off
    getattr(config, enable)()
    assert getattr(config, query)() is on


def test_disabled_interactive_logging_hides_the_progress_bar():
    shown = _Terminal()
    bar = ProgressBar(3, verbose=1, stream=shown)
    for done in (1, 2, 3):
        bar.update(done)
    assert "3/3" in shown.getvalue()
    config.disable_interactive_logging()
    hidden = _Terminal()
    bar = ProgressBar(3, verbose=1, stream=hidden)
    for done in (1, 2, 3):
        bar.update(done)
    assert hidden.getvalue() == ""


def test_keras_signatures_and_defaults():
    keras = pytest.importorskip("keras")
    for enable, disable, query, _, _ in SWITCHES:
        for name in (enable, disable, query):
            assert inspect.signature(getattr(config, name)) == inspect.signature(getattr(keras.config, name))
        assert getattr(config, query)() == getattr(keras.config, query)()


def test_predict_runs_with_logging_disabled():
    from convkit import layers
    from convkit.models import Sequential

    config.disable_interactive_logging()
    model = Sequential([layers.Input((3,)), layers.Dense(2, kernel_initializer="ones")])
    out = model.predict(np.ones((5, 3), np.float32), batch_size=2, verbose=1)
    np.testing.assert_array_equal(out, np.full((5, 2), 3.0, np.float32))
