"""Kernels called from many Python threads at once (the GIL is released around each) give the
same results as serial calls, without deadlock."""
import threading

import numpy as np

import convkit
from convkit import ops


def test_eight_threads_match_serial():
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 24, 24, 8)).astype(np.float32) for _ in range(8)]
    w = rng.standard_normal((3, 3, 8, 12)).astype(np.float32)
    b = rng.standard_normal(12).astype(np.float32)
    serial = [ops.conv(x, w, padding="same", bias=b, activation="relu") for x in xs]
    results = [None] * 8
    errors = []
    start = threading.Barrier(8)

    def work(i):
        try:
            start.wait()
            for _ in range(5):
                results[i] = ops.conv(xs[i], w, padding="same", bias=b, activation="relu")
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread did not finish (deadlock?)"
    assert not errors, errors
    for got, want in zip(results, serial):
        np.testing.assert_array_equal(got, want)


def _run_concurrently(fn, inputs):
    results = [None] * len(inputs)
    errors = []
    start = threading.Barrier(len(inputs))

    def work(i):
        try:
            start.wait()
            for _ in range(3):
                results[i] = fn(inputs[i])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread did not finish (deadlock?)"
    assert not errors, errors
    return results


def test_one_layer_and_one_model_shared_by_eight_threads():
    rng = np.random.default_rng(1)
    layer = convkit.layers.Conv2D(6, 3, padding="same", activation="relu")
    model = convkit.Sequential([convkit.Input((12, 12, 3)), convkit.layers.Conv2D(8, 3, strides=2),
                                convkit.layers.BatchNormalization(), convkit.layers.GlobalMaxPooling2D(),
                                convkit.layers.Dense(4, activation="softmax")])
    xs = [rng.standard_normal((2, 12, 12, 3)).astype(np.float32) for _ in range(8)]
    layer(xs[0])  # build once, before the threads share it
    serial_layer = [layer(x) for x in xs]
    serial_model = [model.predict(x, verbose=0) for x in xs]
    for got, want in zip(_run_concurrently(layer, xs), serial_layer):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(_run_concurrently(lambda x: model.predict(x, verbose=0), xs), serial_model):
        np.testing.assert_array_equal(got, want)
