"""The named benchmark workloads (defined once, in convkit.bench.workloads, and re-exported here
so the pytest-benchmark suite and `python -m convkit.bench` measure the same things).

    python benchmarks/workloads.py            # list the default set
    python benchmarks/workloads.py full       # list every workload
"""
import sys

from convkit.bench.workloads import SETS, WORKLOADS, Workload, get, output_shape, same_pads, select  # noqa: F401

__all__ = ["SETS", "WORKLOADS", "Workload", "get", "select", "same_pads", "output_shape"]

if __name__ == "__main__":
    for w in select(sys.argv[1] if len(sys.argv) > 1 else "default"):
        print(f"{w.name:34s} {w.shape_str:44s} {w.flops / 1e9:9.3f} GFLOP  x{w.count}")
