#!/usr/bin/env bash
# One pass on a lent many-core AVX-512 machine: build in place, run the C harness and the kernel
# tests on every instruction-set path, then measure thread scaling. Logs go to $OUT (or /tmp/ck-out).
#   bash tools/device-check.sh [steps]     steps: any of build,ctest,pytest,scaling,cbench,bench (default all)
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/ck-out}"
mkdir -p "$out"
steps="${1:-build,ctest,pytest,scaling,cbench,bench}"
export PYTHONPATH="$PWD/src" PYTHONUNBUFFERED=1
has() { case ",$steps," in *",$1,"*) return 0 ;; esac; return 1; }
lscpu | grep -E "Model name|^CPU\(s\)|Flags" | cut -c1-200 | tee "$out/cpu.txt"

if has build; then
    t0=$(date +%s)
    python3 setup.py build_ext --inplace >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
    echo "build: $(( $(date +%s) - t0 )) s"
fi
if has ctest; then
    bash tests/c/build.sh tests/c/test_kernels.c /tmp/ck-test >"$out/ctest.log" 2>&1 && /tmp/ck-test >>"$out/ctest.log" 2>&1
    echo "C harness rc=$?"; grep -E "checks|FAIL" "$out/ctest.log" | head -20
fi
if has pytest; then
    (cd /tmp && OMP_NUM_THREADS=2 timeout 300 python3 -m pytest "$OLDPWD/tests" -q -x -p no:cacheprovider -n 8 \
        --ignore="$OLDPWD/tests/keras_parity" >"$out/pytest.log" 2>&1)
    echo "pytest rc=$?"; tail -5 "$out/pytest.log"
fi
if has scaling; then
    python3 benchmarks/thread_scaling.py --threads 1,2,4,8,12,16 --repeat 30 2>&1 | tee "$out/scaling.txt"
fi
if has cbench; then
    bash tests/c/build.sh benchmarks/c/bench_kernels.c /tmp/ck-bench >/dev/null 2>&1
    for t in 1 16; do /tmp/ck-bench auto $t 11 "gemm conv"; done 2>&1 | tee "$out/cbench.txt"
fi
if has bench; then
    timeout 240 python3 -m convkit.bench --set issue4 --threads 1,16 --no-networks --no-progress \
        --impl convkit,onnxruntime,torch,numpy --out "$out/bench" 2>&1 | tail -40 | tee "$out/bench.txt"
fi
