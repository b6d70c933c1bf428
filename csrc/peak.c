/* The machine's arithmetic limit for the benchmarks: a loop of independent FMAs (or, without FMA,
 * multiplies and adds) that never touches memory, timed on the calling thread. */
#include <time.h>

#include "convkit/kernels.h"

/* Provided by csrc/x86/avx2/f32-fma-peak.c and csrc/x86/avx512/f32-fma-peak.c on x86-64. */
__attribute__((weak)) double ck_fma_peak_iterations__avx2(int64_t iterations) { (void)iterations; return 0.0; }
__attribute__((weak)) double ck_fma_peak_iterations__avx512(int64_t iterations) { (void)iterations; return 0.0; }

static double ck_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Scalar fallback: 8 independent multiply-add chains. Returns flops done. */
static double ck_peak_iterations_scalar(int64_t iterations) {
    volatile float seed = 1.0f;
    float a[8], m = 0.999999f, c = 1e-7f;
    for (int i = 0; i < 8; i++) a[i] = seed + (float)i;
    for (int64_t it = 0; it < iterations; it++)
        for (int i = 0; i < 8; i++) a[i] = a[i] * m + c;
    float sum = 0.0f;
    for (int i = 0; i < 8; i++) sum += a[i];
    seed = sum;
    return 16.0 * (double)iterations;
}

double ck_measure_fma_peak_gflops(double seconds) {
    const ck_cpu_features *f = ck_cpu_get_features();
    double (*run)(int64_t) = ck_peak_iterations_scalar;
    if (f->avx2 && f->fma) run = ck_fma_peak_iterations__avx2;
    if (f->avx512f && f->avx512dq && f->avx512bw && f->avx512vl) run = ck_fma_peak_iterations__avx512;
    if (run(1) == 0.0) run = ck_peak_iterations_scalar; /* that path was not built */
    int64_t iterations = 1 << 16;
    double best = 0.0, start = ck_now(), elapsed = 0.0;
    /* Grow the batch until one lasts ~10 ms, then keep the best rate over the time budget. */
    while (elapsed < seconds) {
        double t0 = ck_now();
        double flops = run(iterations);
        double dt = ck_now() - t0;
        if (dt < 0.01) iterations *= 2;
        else if (flops / dt > best) best = flops / dt;
        elapsed = ck_now() - start;
    }
    if (best == 0.0) {
        double t0 = ck_now();
        double flops = run(iterations);
        best = flops / (ck_now() - t0);
    }
    return best * 1e-9;
}
