"""convkit: a compiled CPU convolution engine with Keras's layer names and arguments.

    import convkit
    y = convkit.ops.conv(x, kernel, strides=1, padding="same")
    model = convkit.Sequential([convkit.layers.Conv2D(32, 3, input_shape=(28, 28, 1))])

The work is done by C kernels (csrc/) chosen at import for this CPU; `CONVKIT_ISA=ref|avx2|avx512`
forces an instruction-set path and `convkit.cpu_info()` says which one runs.
"""
import os as _os
import warnings as _warnings

from convkit._ext import _core

__version__ = "0.1.0"

_ISA_CHOICES = ("auto", "ref", "avx2", "avx512")


def _init_dispatch():
    requested = _os.environ.get("CONVKIT_ISA", "auto").strip().lower() or "auto"
    if requested not in _ISA_CHOICES:
        _warnings.warn(f"CONVKIT_ISA must be one of {list(_ISA_CHOICES)}; received {requested!r}. Using 'auto'.",
                       RuntimeWarning, stacklevel=2)
        requested = "auto"
    try:
        _core.dispatch_init(requested)
    except RuntimeError as exc:
        _warnings.warn(f"{exc}; using the best path this CPU supports instead.", RuntimeWarning, stacklevel=2)
        _core.dispatch_init("auto")


_init_dispatch()


def _set_isa(name):
    """Switch the kernel path in this process ('auto', 'ref', 'avx2', 'avx512'); returns the path in use.
    Raises RuntimeError if this CPU cannot run it. Meant for tests and benchmarks."""
    if name not in _ISA_CHOICES:
        raise ValueError(f"`name` must be one of {list(_ISA_CHOICES)}. Received: name={name!r}")
    return _core.dispatch_init(name)


def available_isas():
    """The instruction-set paths this CPU can run, reference first."""
    features = _core.cpu_features()
    paths = ["ref"]
    if features["avx2"] and features["fma"]:
        paths.append("avx2")
        if all(features[k] for k in ("avx512f", "avx512dq", "avx512bw", "avx512vl")):
            paths.append("avx512")
    return paths


def set_num_threads(n):
    """Threads the kernels use; n <= 0 or None restores the default (OMP_NUM_THREADS or all cores)."""
    if n is None:
        n = 0
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"`n` must be an integer. Received: n={n!r}")
    _core.set_num_threads(n)


def get_num_threads():
    return _core.get_num_threads()


def cpu_info():
    """What this CPU offers and what convkit chose: vendor, brand, features, the ISA path in use,
    the kernel thread count and whether the build has OpenMP."""
    features = _core.cpu_features()
    return {
        "vendor": features.pop("vendor"),
        "brand": features.pop("brand"),
        "features": features,
        "isa": _core.isa_name(),
        "available_isas": available_isas(),
        "num_threads": _core.get_num_threads(),
        "openmp": _core.have_openmp(),
        "cpu_count": _os.cpu_count(),
    }


from convkit import activations, layers, models, ops  # noqa: E402
from convkit.models import Input, Model, Sequential  # noqa: E402

# Keras's other top-level names. The modules are imported when first used, so `import convkit`
# stays as fast as it was (Pillow and the applications' modules load only if a script asks).
InputSpec, KerasTensor, Layer = layers.InputSpec, layers.KerasTensor, layers.Layer

_LAZY_MODULES = ("applications", "backend", "config", "preprocessing", "utils")


def __getattr__(name):
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"convkit.{name}")
    raise AttributeError(f"module 'convkit' has no attribute {name!r}")


def version():
    """convkit's version, as `keras.version()` gives Keras's."""
    return __version__
