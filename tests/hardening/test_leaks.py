"""Repeated calls keep resident memory flat (a generous bound: leaks of even one output per call
would exceed it by far)."""
import resource

import numpy as np

import convkit
from convkit import ops


def _rss_mb():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def test_ten_thousand_op_calls_keep_memory_flat():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 16, 8)).astype(np.float32)
    w = rng.standard_normal((3, 3, 8, 8)).astype(np.float32)
    d = rng.standard_normal((8, 8)).astype(np.float32)
    for _ in range(200):  # warm up allocator pools
        ops.conv(x, w, padding="same")
    before = _rss_mb()
    for _ in range(10_000):
        y = ops.conv(x, w, padding="same", activation="relu")  # 8 KiB output per call
        ops.max_pool(y, 2)
        ops.dense(y, d)
    growth = _rss_mb() - before
    assert growth < 20, f"resident memory grew by {growth:.1f} MiB over 10 000 calls"


def test_ten_thousand_layer_and_model_calls_keep_memory_flat():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 10, 10, 3)).astype(np.float32)
    layer = convkit.layers.Conv2D(4, 3, padding="same")
    model = convkit.Sequential([convkit.Input((10, 10, 3)), convkit.layers.Conv2D(4, 3),
                                convkit.layers.MaxPooling2D(2), convkit.layers.Flatten(),
                                convkit.layers.Dense(3)])
    for _ in range(200):
        layer(x)
        model.predict(x, verbose=0)
    before = _rss_mb()
    for _ in range(10_000):
        layer(x)
        model.predict(x, verbose=0)
    growth = _rss_mb() - before
    assert growth < 20, f"resident memory grew by {growth:.1f} MiB over 10 000 layer and model calls"
