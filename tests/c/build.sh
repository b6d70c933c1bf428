#!/usr/bin/env bash
# Build the C core without Python, the way setup.py does (ISA flags only on csrc/x86/<isa>/),
# and link one test or benchmark program against it.
#   tests/c/build.sh tests/c/test_kernels.c /tmp/ck-test     -> /tmp/ck-test
# OUTDIR (default /tmp/ck-cbuild) holds the objects; CFLAGS_EXTRA adds flags (e.g. -fsanitize=...).
set -euo pipefail
cd "$(dirname "$0")/../.."
main="$1"
out="$2"
objdir="${OUTDIR:-/tmp/ck-cbuild}"
mkdir -p "$objdir"
common="-std=c11 -O3 -DNDEBUG -fno-math-errno -Wall -Wno-unused-function -fopenmp -DCK_HAVE_OPENMP=1 -Icsrc/include -Icsrc ${CFLAGS_EXTRA:-}"
objs=()
pids=()
for src in $(find csrc -name '*.c' | sort); do
    flags=""
    case "$src" in
        csrc/x86/avx2/*) flags="-mavx2 -mfma -mf16c" ;;
        csrc/x86/avx512/*) flags="-mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mf16c" ;;
    esac
    obj="$objdir/$(echo "$src" | tr '/' '_' | sed 's/\.c$/.o/')"
    objs+=("$obj")
    if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find csrc/include csrc/x86 -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
        gcc $common $flags -c "$src" -o "$obj" &
        pids+=($!)
    fi
done
for p in "${pids[@]+"${pids[@]}"}"; do wait "$p"; done
gcc $common -Itests/c "$main" "${objs[@]}" -o "$out" -lm -lpthread
