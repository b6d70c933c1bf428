"""Timing: warm up, then repeat until a time budget is spent; report the median.

The median of single-call times is robust against the odd slow call (another process, a page
fault), and single calls are what a user pays. Calls slower than `slow_s` are repeated
`min_repeats` times at most, so a naive implementation cannot stall a run.
"""
import statistics
import time
from dataclasses import asdict, dataclass


@dataclass
class Timing:
    median_ms: float
    min_ms: float
    mean_ms: float
    stdev_ms: float
    repeats: int

    def to_dict(self):
        return asdict(self)


def measure(fn, budget_s=0.3, min_repeats=3, max_repeats=10000, warmup=1, first_call_s=None, slow_s=1.0):
    """Time fn() (no arguments). first_call_s: how long an untimed call already took, if known
    (it decides how much warm-up and repetition a slow function gets)."""
    if first_call_s is not None and first_call_s > slow_s:
        warmup = 0
        max_repeats = min(max_repeats, max(1, min_repeats))
        budget_s = 0.0
    for _ in range(warmup):
        fn()
    times = []
    clock = time.perf_counter
    deadline = clock() + budget_s
    while len(times) < max_repeats:
        t0 = clock()
        fn()
        t1 = clock()
        times.append(t1 - t0)
        if len(times) >= min_repeats and t1 >= deadline:
            break
    ms = [t * 1e3 for t in times]
    return Timing(median_ms=statistics.median(ms), min_ms=min(ms), mean_ms=statistics.fmean(ms),
                  stdev_ms=statistics.stdev(ms) if len(ms) > 1 else 0.0, repeats=len(ms))
