"""python -m convkit.bench  (also installed as `convkit-bench`)

Runs convkit against naive Python loops, NumPy, ONNX Runtime and PyTorch on named workloads,
checks every output against convkit's, times each, and prints a table with GFLOP/s, the fraction
of the machine's measured limits and the speed relative to the fastest peer. Writes
OUT/results.json and, with matplotlib, OUT/speedup.png.
"""
import argparse
import datetime
import os
import platform
import sys
import time

from convkit.bench import impls as _impls
from convkit.bench import limits as _limits
from convkit.bench import report as _report
from convkit.bench import runner as _runner
from convkit.bench import workloads as _workloads


def _parse_threads(s):
    out = []
    for part in str(s).split(","):
        part = part.strip()
        if not part:
            continue
        if part in ("all", "max"):
            out.append(os.cpu_count() or 1)
            continue
        v = int(part)
        if v < 1:
            raise argparse.ArgumentTypeError(f"--threads must be positive integers, received {s!r}")
        out.append(v)
    if not out:
        raise argparse.ArgumentTypeError(f"--threads: no thread count in {s!r}")
    return out


def build_parser():
    p = argparse.ArgumentParser(
        prog="convkit-bench",
        description="convkit against naive loops, NumPy, ONNX Runtime and PyTorch, with the machine's limits.")
    p.add_argument("--threads", type=_parse_threads, default=None,
                   help="thread count, or a comma-separated list (e.g. 1,2); default: all cores")
    p.add_argument("--filter", default=None,
                   help="keep workloads whose name contains one of these comma-separated substrings "
                        "(searches every set unless --set is given)")
    p.add_argument("--set", dest="wset", default=None,
                   help=f"workload set: one of {', '.join(_workloads.SETS)} (default: 'default')")
    p.add_argument("--quick", action="store_true", help="tiny workloads and few repetitions (seconds)")
    p.add_argument("--full", action="store_true", help="every workload (long)")
    p.add_argument("--impl", default=None,
                   help="comma-separated implementations or families to run (default: all), e.g. convkit,torch")
    p.add_argument("--out", default="bench-out", help="output folder for results.json and speedup.png")
    p.add_argument("--repeat", type=int, default=None, help="at least this many timed repetitions (default 3; 2 with --quick)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds of timing per implementation and workload (default 0.3; 0.02 with --quick)")
    p.add_argument("--tol", type=float, default=1e-4, help="max relative error accepted against convkit (1e-4)")
    p.add_argument("--networks", dest="networks", action="store_true", default=None,
                   help="also time whole networks (on by default unless --quick or --filter)")
    p.add_argument("--no-networks", dest="networks", action="store_false")
    p.add_argument("--no-limits", action="store_true", help="skip measuring the FMA peak and memory bandwidth")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--list", action="store_true", help="list the selected workloads and exit")
    return p


def machine_info():
    info = {"platform": platform.platform(), "python": sys.version.split()[0], "cpu_count": os.cpu_count()}
    import numpy
    info["numpy"] = numpy.__version__
    try:
        import convkit
        info["convkit"] = convkit.__version__
        ci = convkit.cpu_info()
        info.update(cpu_vendor=ci.get("vendor"), cpu=ci.get("brand"), isa=ci.get("isa"),
                    available_isas=ci.get("available_isas"), openmp=ci.get("openmp"),
                    features=[k for k, v in ci.get("features", {}).items() if v])
    except Exception as exc:
        info["convkit_error"] = str(exc)
    for mod in ("onnxruntime", "onnx", "torch", "matplotlib"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:
            info[mod] = None
    return info


def main(argv=None):
    args = build_parser().parse_args(argv)
    t_start = time.perf_counter()
    out_dir = _report.ensure_dir(args.out)
    threads = args.threads or [os.cpu_count() or 1]
    if args.quick:
        wset = args.wset or "quick"
        budget = 0.02 if args.budget is None else args.budget
        repeat = 2 if args.repeat is None else args.repeat
    else:
        wset = args.wset or ("full" if (args.full or args.filter) else "default")
        budget = 0.3 if args.budget is None else args.budget
        repeat = 3 if args.repeat is None else args.repeat
    try:
        workloads = _workloads.select(wset, args.filter)
    except ValueError as exc:
        print(f"convkit-bench: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for w in workloads:
            print(f"{w.name:34s} {w.shape_str:44s} {w.flops / 1e9:9.3f} GFLOP  x{w.count}  [{', '.join(w.sets)}]")
        return 0
    if not workloads:
        print(f"convkit-bench: no workload matches set={wset!r} filter={args.filter!r}", file=sys.stderr)
        return 2

    info = machine_info()
    print(f"convkit-bench: {info.get('cpu') or platform.processor()} ({info.get('cpu_vendor', '?')}), "
          f"{info['cpu_count']} logical CPUs")
    print(f"  ISA path: {info.get('isa', '?')} (available: {', '.join(info.get('available_isas') or [])}); "
          f"OpenMP: {info.get('openmp')}; threads: {', '.join(map(str, threads))}")
    print("  peers: " + ", ".join(f"{m} {info[m] or 'missing'}" for m in ("onnxruntime", "torch"))
          + f"; numpy {info['numpy']}")
    print(f"  {len(workloads)} workloads (set {wset!r}{', filter ' + repr(args.filter) if args.filter else ''}), "
          f"timing budget {budget:g}s, >= {repeat} repeats, median reported")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    info["load_average_at_start"] = load
    if load is not None and load > 0.5 * (os.cpu_count() or 1):
        print(f"  WARNING: the machine is busy (load average {load:.1f} on {os.cpu_count()} CPUs): multi-threaded "
              "timings will be noisy (an OpenMP barrier waits for a descheduled thread)")
    limits = None
    if not args.no_limits:
        limits = _limits.measure(sorted(set(threads) | {1}), quick=args.quick)
        pc = limits["fma_gflops_per_core"]
        parts = [f"FMA peak {pc:.1f} GFLOP/s per core" if pc else "FMA peak: n/a (convkit extension missing)"]
        for n in sorted(set(threads)):
            f = limits["fma_gflops"].get(n)
            parts.append(f"{n} thr: {f:.1f} GFLOP/s" if f else f"{n} thr: n/a")
            parts.append(f"memcpy {limits['memcpy_gbps'][n]:.1f} GB/s (rd+wr)")
        print("  machine limits: " + "; ".join(parts))

    impl_list = _impls.all_impls(args.impl)
    rows, notes = _runner.run(workloads, impl_list, threads, limits=limits, budget_s=budget, min_repeats=repeat,
                              tol=args.tol, progress=not args.no_progress)

    print(_report.table(rows, threads))
    summ = _report.summary(rows, threads)
    if summ:
        print("\n" + summ)
    if notes:
        print("\nnotes:\n" + "\n".join("  - " + n for n in notes))
    mism = [r for r in rows if r.get("status") in ("MISMATCH", "ERROR")]
    if mism:
        print(f"\n!!! {len(mism)} row(s) failed the output check or errored: "
              + ", ".join(f"{r['impl']} on {r['workload']}" for r in mism))

    networks = []
    want_nets = args.networks if args.networks is not None else not (args.quick or args.filter)
    if want_nets:
        from convkit.bench import networks as _networks
        networks, net_notes = _networks.run(threads, quick=args.quick, budget_s=max(budget, 1.0), tol=args.tol,
                                            progress=not args.no_progress)
        notes.extend(net_notes)
        if networks:
            print(_networks.table(networks))

    payload = {
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python -m convkit.bench " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": info,
        "limits": limits,
        "config": {"threads": threads, "set": wset, "filter": args.filter, "budget_s": budget, "min_repeats": repeat,
                   "tolerance": args.tol, "implementations": [i.name for i in impl_list],
                   "blas_threads": _impls.blas_threads(threads[-1]) if any(i.name == "numpy-im2col" for i in impl_list)
                   else None},
        "workloads": {w.name: w.describe() for w in workloads},
        "results": rows,
        "networks": networks,
        "notes": notes,
        "elapsed_s": time.perf_counter() - t_start,
    }
    jpath = os.path.join(out_dir, "results.json")
    _report.write_json(jpath, payload)
    title = f"convkit {info.get('convkit', '')} on {info.get('cpu', '?')} ({info.get('isa', '?')})"
    png = _report.plot(os.path.join(out_dir, "speedup.png"), rows, threads, title=title)
    print(f"\nwrote {jpath}" + ("" if png.startswith("note:") else f" and {png}"))
    if png.startswith("note:"):
        print(png)
    print(f"done in {time.perf_counter() - t_start:.0f}s")
    # a wrong answer, or convkit itself failing, fails the run; a peer's own error is only reported
    fatal = [r for r in mism if r.get("status") == "MISMATCH" or r["family"] == "convkit"]
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
