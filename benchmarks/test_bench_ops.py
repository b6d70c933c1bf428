"""Every workload x every implementation, grouped by workload (see conftest.py for options).

Each implementation's output is checked against convkit's (algorithm='auto') before it is timed;
a mismatch fails the test instead of timing a wrong answer. Speed is reported, never asserted.
"""
import os
import time

import pytest

from convkit.bench import impls as _impls
from convkit.bench.runner import REFERENCE, max_rel_error

_REF = {}
_TOL = 1e-4


def _threads(config):
    return config.getoption("--bench-threads") or os.cpu_count() or 1


def _impl(name):
    return next(i for i in _impls.all_impls() if i.name == name)


def _reference(w, data, threads):
    """convkit-auto's output for this workload (numpy-im2col's if convkit cannot run it), cached."""
    if w.name not in _REF:
        y = None
        for name in (REFERENCE, "numpy-im2col", "numpy-naive"):
            im = _impl(name)
            if im.available():
                continue
            try:
                im.set_threads(threads)
                fn, conv = im.prepare(w, data)
                y = conv(fn())
                break
            except _impls.Skip:
                continue
        _REF[w.name] = y
    return _REF[w.name]


def test_op(benchmark, workload, impl_name, request):
    w = workload
    threads = _threads(request.config)
    im = _impl(impl_name)
    why = im.available()
    if why:
        pytest.skip(why)
    data = _impls.make_data(w)
    im.set_threads(threads)
    try:
        fn, conv = im.prepare(w, data)
    except _impls.Skip as exc:
        pytest.skip(f"{impl_name}: {exc}")
    t0 = time.perf_counter()
    y = conv(fn())
    first = time.perf_counter() - t0
    ref = _reference(w, data, threads)
    if ref is not None:
        err = max_rel_error(y, ref)
        assert err <= _TOL, f"{impl_name} on {w.name}: max relative error {err:.3g} against {REFERENCE}"
    benchmark.group = f"{w.name}  [{w.shape_str}]"
    benchmark.extra_info.update(workload=w.name, implementation=impl_name, flops=w.flops, bytes=w.bytes,
                                threads=threads if im.threaded else 1, peer=im.is_peer(w))
    if first > 1.0:   # naive implementations on big workloads: a single round
        benchmark.pedantic(fn, rounds=1, iterations=1)
    else:
        benchmark(fn)
    if benchmark.stats is not None and w.flops:
        med = benchmark.stats.stats.median
        benchmark.extra_info["gflops"] = w.flops / med / 1e9 if med else None
