/* AVX2+FMA peak: 12 independent 8-wide FMA chains (more than latency x throughput = 4 x 2 on
 * current cores) so the FMA ports never wait. Returns the flops performed. */
#include <immintrin.h>
#include <stdint.h>

double ck_fma_peak_iterations__avx2(int64_t iterations) {
    __m256 acc[12];
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
    }
    __m256 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
    volatile float sink = _mm256_cvtss_f32(s);
    (void)sink;
    return 12.0 * 8.0 * 2.0 * (double)iterations;
}
