"""convkit's benchmark suite: `python -m convkit.bench` (or `convkit-bench`).

Importing this package needs only numpy; the peers (ONNX Runtime, PyTorch, matplotlib) are
imported when a run needs them and skipped with a note when missing.

    from convkit.bench import workloads, impls, runner
    rows, notes = runner.run(workloads.select("quick"), impls.all_impls(), [1])
"""
from convkit.bench.workloads import SETS, WORKLOADS, Workload, select

__all__ = ["SETS", "WORKLOADS", "Workload", "select", "main"]


def main(argv=None):
    from convkit.bench.__main__ import main as _main
    return _main(argv)
