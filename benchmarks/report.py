"""Turn a results.json written by `python -m convkit.bench` into a Markdown table (for the
README's performance section) and redraw the chart.

    python benchmarks/report.py bench-out/results.json [--png speedup.png]
"""
import argparse
import json

from convkit.bench import report


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", help="results.json from python -m convkit.bench")
    p.add_argument("--png", default=None, help="also redraw the chart to this path")
    args = p.parse_args(argv)
    with open(args.results) as f:
        data = json.load(f)
    threads = data["config"]["threads"]
    m = data["machine"]
    lim = data.get("limits") or {}
    print(f"Machine: {m.get('cpu')} ({m.get('cpu_count')} logical CPUs), ISA path {m.get('isa')}, "
          f"numpy {m.get('numpy')}, onnxruntime {m.get('onnxruntime')}, torch {m.get('torch')}.")
    if lim:
        fma = lim.get("fma_gflops", {})
        bw = lim.get("memcpy_gbps", {})
        print(f"Measured limits: FMA peak {lim.get('fma_gflops_per_core') or 0:.0f} GFLOP/s per core"
              + "".join(f"; {n} threads: {fma.get(str(n)) or 0:.0f} GFLOP/s, memcpy {bw.get(str(n)) or 0:.1f} GB/s"
                        for n in threads))
    print(report.markdown(data["results"], threads))
    nets = data.get("networks") or []
    if nets:
        print("\n| network | batch | threads | implementation | median ms | speed vs torch |")
        print("|---|---:|---:|---|---:|---:|")
        for r in nets:
            vs = f"{r['vs_torch']:.2f}x" if r.get("vs_torch") is not None else "-"
            print(f"| {r['network']} | {r['batch']} | {r['threads']} | {r['impl']} | {r['median_ms']:.1f} | {vs} |")
    if args.png:
        print(report.plot(args.png, data["results"], threads, title=f"convkit on {m.get('cpu')} ({m.get('isa')})"))


if __name__ == "__main__":
    main()
