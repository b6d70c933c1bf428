"""Kernels called from many Python threads at once (the GIL is released around each) give the
same results as serial calls, without deadlock."""
import threading

import numpy as np

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
