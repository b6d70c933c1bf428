# CPU features, the dispatch table and the thread count.

def dispatch_init(str isa):
    """Fill the dispatch table for `isa` ('auto', 'ref', 'avx2', 'avx512'); returns the path chosen."""
    cdef bytes b = isa.encode("ascii")
    cdef ck_status st = ck_dispatch_init(b)
    if st == CK_EUNSUPPORTED:
        raise RuntimeError(f"CONVKIT_ISA={isa!r}: this CPU does not support that instruction set")
    if st != CK_OK:
        raise ValueError(f"CONVKIT_ISA: expected one of 'auto', 'ref', 'avx2', 'avx512', received {isa!r}")
    return ck_dispatch_isa_name().decode("ascii")


def isa_name():
    return ck_dispatch_isa_name().decode("ascii")


def cpu_features():
    cdef const ck_cpu_features *f = ck_cpu_get_features()
    return {
        "vendor": f.vendor.decode("ascii", "replace"),
        "brand": f.brand.decode("ascii", "replace"),
        "sse2": bool(f.sse2), "sse4_1": bool(f.sse41), "avx": bool(f.avx), "fma": bool(f.fma),
        "f16c": bool(f.f16c), "avx2": bool(f.avx2), "avx512f": bool(f.avx512f),
        "avx512dq": bool(f.avx512dq), "avx512bw": bool(f.avx512bw), "avx512vl": bool(f.avx512vl),
    }


def set_num_threads(int n):
    ck_set_num_threads(n)


def get_num_threads():
    return ck_get_num_threads()


def have_openmp():
    return bool(ck_have_openmp())


def measure_fma_peak_gflops(double seconds=0.2):
    """GFLOP/s of a register-only FMA loop on the calling thread (the machine's per-core limit)."""
    cdef double r
    with nogil:
        r = ck_measure_fma_peak_gflops(seconds)
    return r
