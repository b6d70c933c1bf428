#!/usr/bin/env bash
# Tuning runs for the lent 16-core AVX-512 machine (the machine is shared and noisy, so variants
# are interleaved over several rounds). Prints tables; not a test.
#   bash tools/device-tune.sh [gemm|wino]...   (default: wino)
#   gemm: SGEMM 1024^3 at 1 thread per MC,KC,NC blocking (CK_BENCH_BLOCKING)
#   wino: Winograd block size x work split (CK_BENCH_WINO) at 16 threads, the 3x3 layers
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/ck-out}"
mkdir -p "$out"
bash tests/c/build.sh benchmarks/c/bench_kernels.c /tmp/ck-bench >/dev/null 2>&1 || exit 1
for what in "${@:-wino}"; do
    case "$what" in
    gemm)
        for round in 1 2 3; do
            for blk in 192,256,4096 96,512,4096 144,384,4096 384,128,4096; do
                echo "round=$round blocking=$blk: $(CK_BENCH_BLOCKING=$blk /tmp/ck-bench avx512 1 7 gemm | grep '1024x1024x1024')"
            done
        done 2>&1 | tee "$out/gemm-tune.txt" ;;
    wino)
        echo "1 thread, default: "; /tmp/ck-bench avx512 1 11 winograd | grep "algo 3"
        for round in 1 2 3; do
            for v in 0,0 12,3 24,3 36,3; do
                echo "round=$round 16 threads block,split=$v"
                CK_BENCH_WINO=$v /tmp/ck-bench avx512 16 21 winograd | grep "algo 3"
            done
        done 2>&1 | tee "$out/wino-tune.txt" ;;
    esac
done
