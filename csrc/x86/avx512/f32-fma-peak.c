/* AVX-512F peak: 16 independent 16-wide FMA chains. Returns the flops performed. */
#include <immintrin.h>
#include <stdint.h>

double ck_fma_peak_iterations__avx512(int64_t iterations) {
    __m512 acc[16];
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps((float)i);
    for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
    }
    __m512 s = acc[0];
    for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 16.0 * 16.0 * 2.0 * (double)iterations;
}
