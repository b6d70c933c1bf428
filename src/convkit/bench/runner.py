"""Run workloads x implementations x thread counts: check each output, then time it."""
import gc
import sys
import time

import numpy as np

from convkit.bench import impls as _impls
from convkit.bench import limits as _limits
from convkit.bench.timing import measure

REFERENCE = "convkit-auto"


def max_rel_error(y, ref):
    """max |y - ref| / max |ref| (the error relative to the output's scale), inf on a shape mismatch."""
    y = np.asarray(y, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if y.shape != ref.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(ref))) if ref.size else 0.0, 1e-30)
    if not ref.size:
        return 0.0
    err = float(np.max(np.abs(y - ref)))
    if not np.isfinite(err):
        return float("inf")
    return err / scale


class Progress:
    """A one-line progress bar on stderr (one line per step when stderr is not a terminal)."""

    def __init__(self, total, enabled=True, stream=None):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.t0 = time.perf_counter()

    def step(self, label):
        self.done += 1
        if not self.enabled:
            return
        frac = min(self.done / self.total, 1.0)
        el = time.perf_counter() - self.t0
        if self.tty:
            width = 28
            bar = "#" * int(frac * width) + "." * (width - int(frac * width))
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {el:5.0f}s {label[:60]:60s}")
        else:
            self.stream.write(f"[{self.done}/{self.total} {el:.0f}s] {label}\n")
        self.stream.flush()

    def close(self):
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run(workloads, impls, thread_counts, limits=None, budget_s=0.3, min_repeats=3, warmup=1, tol=1e-4,
        progress=True, log=None, pause_s=0.1):
    """Returns (rows, notes). A row is one (workload, implementation, thread count) result; notes
    are the printed remarks (missing peers, skipped algorithms, mismatches)."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    notes = []
    skipped = {}   # (impl, reason) -> workloads, condensed into one note each at the end

    def note(msg):
        if msg not in notes:
            notes.append(msg)
            log("note: " + msg)

    def skip(impl, reason, workload):
        skipped.setdefault((impl, reason), []).append(workload)

    usable = []
    for im in impls:
        why = im.available()
        if why:
            note(f"{im.name} skipped: {why}")
        else:
            usable.append(im)
    thread_counts = list(thread_counts)
    first = thread_counts[0]
    steps = sum(len(workloads) * sum(1 for im in usable if im.threaded or n == first) for n in thread_counts)
    bar = Progress(steps, enabled=progress)
    rows = []
    # the reference first, so every other output can be checked against it
    usable.sort(key=lambda im: im.name != REFERENCE)
    try:
        for n in thread_counts:
            for w in workloads:
                data = _impls.make_data(w)
                ref, ref_name = None, None
                wrows = []
                for im in usable:
                    if not im.threaded and n != first:
                        continue
                    bar.step(f"{n}t {w.name} {im.name}")
                    row = {"workload": w.name, "shape": w.shape_str, "kind": w.kind, "impl": im.name,
                           "family": im.family, "threads": n if im.threaded else 1, "peer": im.is_peer(w),
                           "flops": w.flops, "bytes": w.bytes, "count": w.count}
                    try:
                        im.set_threads(n)
                        fn, to_nhwc = im.prepare(w, data)
                        t0 = time.perf_counter()
                        out = fn()
                        first_s = time.perf_counter() - t0
                        y = to_nhwc(out)
                    except _impls.NotApplicable:
                        continue
                    except _impls.Skip as exc:
                        skip(im.name, str(exc), w.name)
                        continue
                    except Exception as exc:   # an implementation failing is a result, not a crash
                        row.update(status="ERROR", error=f"{type(exc).__name__}: {exc}")
                        note(f"{im.name} FAILED on {w.name}: {type(exc).__name__}: {exc}")
                        wrows.append(row)
                        continue
                    if ref is None:
                        ref, ref_name = y, im.name
                        if im.name != REFERENCE:
                            note(f"{w.name}: {REFERENCE} did not run; outputs are checked against {im.name}")
                        row.update(status="ref", max_rel_err=0.0)
                    else:
                        err = max_rel_error(y, ref)
                        row["max_rel_err"] = err
                        if err <= tol:
                            row["status"] = "ok"
                        else:
                            row["status"] = "MISMATCH"
                            msg = (f"!!! MISMATCH: {im.name} on {w.name} differs from {ref_name}: "
                                   f"max relative error {err:.3g} > {tol:g}")
                            note(msg)
                    del y, out
                    t = measure(fn, budget_s=budget_s, min_repeats=min_repeats, warmup=warmup, first_call_s=first_s)
                    row.update(t.to_dict())
                    sec = t.median_ms / 1e3
                    if w.flops:
                        row["gflops"] = w.flops / sec / 1e9
                    row["gbps"] = w.bytes / sec / 1e9
                    if limits is not None:
                        lim, unit, bound = _limits.roofline(limits, row["threads"], w.flops, w.bytes)
                        if lim:
                            rate = row["gflops"] if w.flops else row["gbps"]
                            row.update(limit=lim, limit_unit=unit, bound=bound, pct_limit=100.0 * rate / lim)
                    wrows.append(row)
                    del fn
                    if pause_s:
                        # let another runtime's spinning worker threads go idle: OpenBLAS's spin
                        # for about 2^28 cycles after NumPy's matmul, and 20 ms left them running
                        # into the next workload's 2-thread run (SGEMM 5.2 -> 7.2 ms)
                        time.sleep(pause_s)
                peer_ms = [r["median_ms"] for r in wrows if r["peer"] and "median_ms" in r and r["status"] != "MISMATCH"
                           and r["threads"] == n]
                best = min(peer_ms) if peer_ms else None
                for r in wrows:
                    if best is not None and "median_ms" in r:
                        r["vs_fastest_peer"] = best / r["median_ms"]
                rows.extend(wrows)
                del data, ref
                gc.collect()
    finally:
        bar.close()
    for (impl, reason), names in skipped.items():
        shown = ", ".join(names[:4]) + (f", ... ({len(names)} in all)" if len(names) > 4 else "")
        notes.append(f"{impl} skipped ({reason}): {shown}")
    return rows, notes
