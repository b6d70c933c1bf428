"""convkit in a child made by fork() after the parent has used its OpenMP thread pool.

GNU OpenMP's pool does not survive fork; csrc/threads.c marks the child (pthread_atfork) and runs
its kernels on one thread, so the child computes the same numbers instead of hanging."""
import multiprocessing as mp

import numpy as np

import convkit
from convkit import ops


def _child(x, w, queue):
    y = ops.conv(x, w, padding="same", activation="relu")
    queue.put((convkit.get_num_threads(), y))


def test_conv_in_forked_child_after_parent_used_threads():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 40, 40, 16)).astype(np.float32)
    w = rng.standard_normal((3, 3, 16, 16)).astype(np.float32)
    parent = ops.conv(x, w, padding="same", activation="relu")  # the parent's pool is now running
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(x, w, queue))
    proc.start()
    try:
        threads, child = queue.get(timeout=60)
    finally:
        proc.join(timeout=60)
        if proc.is_alive():
            proc.kill()
    assert proc.exitcode == 0
    assert threads == 1
    np.testing.assert_array_equal(child, parent)


def test_pool_of_forked_workers():
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((1, 20, 20, 8)).astype(np.float32) for _ in range(4)]
    w = rng.standard_normal((3, 3, 8, 4)).astype(np.float32)
    expected = [ops.conv(x, w) for x in xs]
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.starmap(ops.conv, [(x, w) for x in xs])
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
