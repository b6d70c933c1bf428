#!/usr/bin/env bash
# Tuning runs for the AVX-512 path on the lent 16-core machine (after tools/device-check.sh build):
# GEMM blocking x k-loop unroll of the 12x32 microkernels (variants interleaved, three rounds, as
# the machine is shared and noisy), and the 1D convolutions direct vs GEMM. Prints tables; not a test.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/ck-out}"
mkdir -p "$out"
export PYTHONPATH="$PWD/src" PYTHONUNBUFFERED=1
for u in 1 4; do
    OUTDIR=/tmp/ckobj-u$u CFLAGS_EXTRA="-DCK_AVX512_GEMM_UNROLL=$u -DCK_AVX512_IGEMM_UNROLL=$u" \
        bash tests/c/build.sh benchmarks/c/bench_kernels.c /tmp/ckb-u$u >/dev/null 2>&1 &
done
wait
for round in 1 2 3; do
    for u in 1 4; do
        for blk in 192,256,4096 96,512,4096 144,384,4096 384,128,4096; do
            echo "round=$round unroll=$u blocking=$blk: $(CK_BENCH_BLOCKING=$blk /tmp/ckb-u$u avx512 1 7 gemm | grep '1024x1024x1024')"
        done
        echo "round=$round unroll=$u igemm: $(CK_BENCH_FILTER='56x56x64 3x3 same' /tmp/ckb-u$u avx512 1 11 winograd | grep 'algo 2')"
        echo "round=$round unroll=$u igemm: $(CK_BENCH_FILTER='28x28x256' /tmp/ckb-u$u avx512 1 11 conv | grep 'algo')"
    done
done 2>&1 | tee "$out/gemm-tune.txt"
python3 -m convkit.bench --filter wordcnn,charcnn,wav2vec-c1,tcn --impl convkit-direct,convkit-gemm \
    --threads 1,16 --no-limits --no-networks --no-progress 2>&1 | grep -v "^ *$" | tail -30 | tee "$out/conv1d.txt"
