"""Process-wide settings with the names of `keras.config`: the float type, the fuzz factor, the
default image data format and the backend's name.

    convkit.config.image_data_format()          # 'channels_last'
    convkit.config.set_image_data_format("channels_first")

The data format is the one layers and ops resolve `data_format=None` to when they are made or
called, as Keras's do (convkit's `_args.normalize_data_format` reads it). convkit computes in
float32 only, so `set_floatx` accepts nothing else. Unlike Keras, nothing is read from or written
to `~/.keras/keras.json`: convkit starts from Keras's defaults in every process.

This module imports nothing from convkit, so that the argument helpers every layer uses can read
it without an import cycle.
"""
import numbers

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format", "set_image_data_format",
           "backend", "enable_unsafe_deserialization", "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled", "enable_traceback_filtering", "disable_traceback_filtering",
           "is_traceback_filtering_enabled", "enable_flash_attention", "disable_flash_attention",
           "is_flash_attention_enabled"]

# Keras's defaults
_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_INTERACTIVE_LOGGING = True
_TRACEBACK_FILTERING = True
_FLASH_ATTENTION = None  # Keras's "use it where it is available"

_KERAS_FLOATX = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_first", "channels_last")


def floatx():
    """The default float type, as a string: always 'float32' in convkit."""
    return _FLOATX


def set_floatx(value):
    """Keras's `set_floatx`; only 'float32' is accepted, the type every convkit kernel computes in."""
    if value not in _KERAS_FLOATX:
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {set(_KERAS_FLOATX)}")
    if value != "float32":
        raise ValueError(f"convkit computes in float32 only, so `floatx` must stay 'float32'. Received: "
                         f"value={value!r}. (Results come back as float32 arrays; cast them afterwards if "
                         f"another type is needed.)")


def epsilon():
    """The fuzz factor Keras uses in numeric expressions (1e-7 unless set)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor returned by `epsilon()`."""
    global _EPSILON
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`value` must be a float. Received: value={value!r} (of type {type(value).__name__})")
    _EPSILON = float(value)


def image_data_format():
    """The data format `data_format=None` stands for: 'channels_last' unless set."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Set the data format layers and ops made or called from now on resolve `data_format=None` to.
    Layers already made keep the format they resolved (as in Keras)."""
    global _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    _IMAGE_DATA_FORMAT = value


def backend():
    """The backend's name: 'numpy'.

    Keras names the framework it computes with ('tensorflow', 'jax', 'torch', 'numpy', ...).
    convkit computes on numpy arrays and returns numpy arrays, and like Keras's own 'numpy'
    backend it runs inference only, so a script that branches on the backend takes the branch
    meant for that one (no tensors of a framework, no training)."""
    return "numpy"


def enable_unsafe_deserialization():
    """Let loading run a Lambda layer's Python bytecode from a file (Keras's
    `keras.config.enable_unsafe_deserialization`)."""
    from convkit.layers.lambda_layer import enable_unsafe_deserialization as enable

    enable()


# ---- switches scripts set for Keras ------------------------------------------------------------

def enable_interactive_logging():
    """Show predict's progress bar again (Keras's default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging():
    """No progress bar from predict, whatever its `verbose` (Keras sends its bars to Python's logging
    instead; convkit's bar is only ever drawn on a terminal, so it is simply not drawn)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled():
    return _INTERACTIVE_LOGGING


def enable_traceback_filtering():
    """Keras's switch for trimming its own frames from tracebacks. convkit raises its errors where they
    happen and trims nothing, so the switch is only remembered, for scripts that read it back."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering():
    """See enable_traceback_filtering: remembered, changes nothing in convkit."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled():
    return _TRACEBACK_FILTERING


def enable_flash_attention():
    """Keras's switch back to its automatic choice (None). convkit's attention is one exact computation
    whatever the switch (its numbers are those of Keras's non-flash path); the setting is remembered."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention():
    """See enable_flash_attention: remembered (False), changes nothing in convkit."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """None (automatic, Keras's default) or False after disable_flash_attention."""
    return _FLASH_ATTENTION
