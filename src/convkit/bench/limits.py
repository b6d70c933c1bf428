"""The machine's physical limits, measured in the same run as the benchmarks.

- FP32 FMA peak: convkit's register-only FMA loop (`_core.measure_fma_peak_gflops`, C, no memory
  traffic) on one thread, and on N Python threads at once (the loop releases the GIL) for the
  N-core figure.
- Memory bandwidth: np.copyto of a 256 MiB float32 array (median of several copies), split over N
  Python threads for the N-thread figure (NumPy releases the GIL while copying). Reported as
  bytes read + written per second, the traffic a kernel's `bytes` count is compared with.

A figure is then a fraction of the roofline limit min(FMA peak, intensity x bandwidth), where the
intensity is the workload's FLOPs over the least bytes it must move.
"""
import statistics
import threading
import time

import numpy as np


def _parallel(n, fn):
    """Run fn(i) in n threads started together; returns their results and the wall time."""
    barrier = threading.Barrier(n + 1)
    results = [None] * n

    def body(i):
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


def fma_peak_gflops(threads=1, seconds=0.2, repeats=3):
    """GFLOP/s of the FMA loop summed over `threads` threads (best of `repeats`), or None if
    the convkit extension is not importable."""
    try:
        from convkit._ext import _core
        probe = _core.measure_fma_peak_gflops
    except Exception:
        return None
    best = 0.0
    for _ in range(repeats):
        if threads == 1:
            total = probe(seconds)
        else:
            res, _ = _parallel(threads, lambda i: probe(seconds))
            total = sum(res)
        best = max(best, total)
    return best


def memcpy_gbps(threads=1, mib=256, repeats=5):
    """Median bandwidth (GB/s, read + write) of copying `mib` MiB with np.copyto."""
    n = mib * (1 << 20) // 4
    src = np.ones(n, np.float32)
    dst = np.zeros_like(src)
    np.copyto(dst, src)   # fault the pages in
    chunks = [(i * n // threads, (i + 1) * n // threads) for i in range(threads)]
    times = []
    for _ in range(repeats):
        if threads == 1:
            t0 = time.perf_counter()
            np.copyto(dst, src)
            times.append(time.perf_counter() - t0)
        else:
            _, t = _parallel(threads, lambda i: np.copyto(dst[chunks[i][0]:chunks[i][1]],
                                                         src[chunks[i][0]:chunks[i][1]]))
            times.append(t)
    del src, dst
    return 2 * n * 4 / statistics.median(times) / 1e9


def measure(thread_counts, quick=False):
    """{'fma_gflops_per_core', 'fma_gflops': {n: ...}, 'memcpy_gbps': {n: ...}} for each thread count."""
    seconds = 0.1 if quick else 0.25
    out = {"fma_gflops": {}, "memcpy_gbps": {}, "method": {
        "fma": "convkit._ext._core.measure_fma_peak_gflops (register-only FMA loop), best of 3, N Python threads",
        "memcpy": "np.copyto of a 256 MiB float32 array, median of 5, bytes read + written, N Python threads",
    }}
    out["fma_gflops_per_core"] = fma_peak_gflops(1, seconds)
    for n in sorted(set(thread_counts)):
        out["fma_gflops"][n] = out["fma_gflops_per_core"] if n == 1 else fma_peak_gflops(n, seconds)
        out["memcpy_gbps"][n] = memcpy_gbps(n, repeats=3 if quick else 5)
    return out


def roofline(limits, threads, flops, nbytes):
    """(attainable rate, unit, bound) for a workload: GFLOP/s limited by FMA peak or by bandwidth
    x intensity; GB/s for workloads without FLOPs."""
    bw = limits["memcpy_gbps"].get(threads)
    peak = limits["fma_gflops"].get(threads)
    if not flops:
        return bw, "GB/s", "mem"
    if peak is None and bw is None:
        return None, "GFLOP/s", None
    mem_limit = flops / nbytes * bw if bw else float("inf")
    if peak is None or mem_limit < peak:
        return mem_limit, "GFLOP/s", "mem"
    return peak, "GFLOP/s", "fma"
