"""Weight regularizers with Keras 3's names and arguments: L1, L2, L1L2, OrthogonalRegularizer.

convkit runs inference only: a regularizer passed to a layer is accepted, stored and serialised
(so a Keras model script and its configs carry over unchanged), but it is never applied, because
a penalty only matters to training. Calling one on an array returns the penalty Keras would add.
"""
import numpy as np

from convkit.initializers import _lookup, _serialize_object

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "get", "serialize", "deserialize"]


def _factor(value, name):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Value for argument `{name}` should be a number. Received: {name}={value!r}") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"Value for argument `{name}` should be a non-negative finite number. "
                         f"Received: {name}={value!r}")
    return value


class Regularizer:
    """Base class. `__call__(x)` returns the penalty (a float); never applied at inference."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        return float(self.l1 * np.abs(x).sum() + self.l2 * np.square(x).sum())

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "l1")

    def __call__(self, x):
        return float(self.l1 * np.abs(np.asarray(x, dtype=np.float64)).sum())

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "l2")

    def __call__(self, x):
        return float(self.l2 * np.square(np.asarray(x, dtype=np.float64)).sum())

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f"Invalid value for argument `mode`. Expected one of {{'rows', 'columns'}}. "
                             f"Received: mode={mode!r}")
        self.mode = mode

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: x.shape={x.shape}")
        if self.mode == "columns":
            x = x.T
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.maximum(norms, 1e-12)
        product = x @ x.T
        n = product.shape[0]
        off = np.abs(product - np.eye(n)).sum()
        return float(self.factor * off / max(n * (n - 1), 1))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


_BY_NAME = {
    "L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
}

# Keras's other names for the classes
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(identifier, arg_name="regularizer"):
    """None, a name ('l1', 'l2', 'l1_l2', class names), a config dict, a Regularizer or a callable."""
    return _lookup(identifier, _BY_NAME, Regularizer, "regularizer", arg_name)


def serialize(regularizer):
    return _serialize_object(regularizer, "convkit.regularizers")


def deserialize(config):
    return get(config)
