"""pytest-benchmark suite: `pytest benchmarks/ --benchmark-only`.

One test per (workload, implementation), grouped by workload so the implementations print side
by side. Options:
  --bench-set NAME       workload set (quick, default, issue4, vgg16, resnet18, resnet50, mobilenetv2, audio,
                         text, video, full); default 'default', or $CONVKIT_BENCH_SET
  --bench-filter S       keep workloads whose name contains S (comma-separated alternatives)
  --bench-threads N      threads for every implementation (default: all cores)
  --bench-impl S         implementations or families to run (e.g. convkit,torch)
"""
import os
import sys

_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
try:
    import convkit  # noqa: F401
except ImportError:   # running from a source checkout with an in-place build
    sys.path.insert(0, _SRC)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_addoption(parser):
    g = parser.getgroup("convkit-bench")
    g.addoption("--bench-set", default=os.environ.get("CONVKIT_BENCH_SET", "default"))
    g.addoption("--bench-filter", default=os.environ.get("CONVKIT_BENCH_FILTER"))
    g.addoption("--bench-threads", type=int, default=int(os.environ.get("CONVKIT_BENCH_THREADS", "0")) or None)
    g.addoption("--bench-impl", default=os.environ.get("CONVKIT_BENCH_IMPL"))


def pytest_generate_tests(metafunc):
    if "workload" in metafunc.fixturenames and "impl_name" in metafunc.fixturenames:
        from convkit.bench import impls, workloads
        cfg = metafunc.config
        ws = workloads.select(cfg.getoption("--bench-set"), cfg.getoption("--bench-filter"))
        names = [i.name for i in impls.all_impls(cfg.getoption("--bench-impl"))]
        params = [(w, n) for w in ws for n in names]
        metafunc.parametrize(("workload", "impl_name"), params,
                             ids=[f"{w.name}|{n}" for w, n in params])
