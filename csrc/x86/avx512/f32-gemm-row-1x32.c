/* AVX-512F GEMM kernels for a single row of A (M = 1: a Dense layer or a recurrent step on one
 * sample), the 32-column counterparts of csrc/x86/avx2/f32-gemm-row-1x16.c. Without them M = 1
 * went through the 12x32 tile kernel: eleven padding rows broadcast per k-step and the reduction
 * run in KC blocks through C (1x1024x1024 at a third of the AVX2 row kernel's speed).
 *
 * One row has two accumulators and an FMA chain waits 4 cycles per step, so k is dealt
 * round-robin to four partial sums (8 independent chains for two FMA pipes), added pairwise at
 * the end, then the bias. */
#include <string.h>

#include "f32-gemm-tile-12x32.h"

/* c[0:nr] = clamp(sum_k a[k] * b[k, 0:32] + bias); B rows ldb floats apart (32 for a packed
 * panel, the matrix's own stride when read in place: all 32 columns of every row readable). */
void ck_f32_gemm_row_1x32__avx512(size_t nr, size_t kc, const float *CK_RESTRICT a, const float *CK_RESTRICT b,
                                  size_t ldb, float *CK_RESTRICT c, const float *CK_RESTRICT bias,
                                  const ck_f32_clamp *clamp) {
    __m512 s00 = _mm512_setzero_ps(), s01 = _mm512_setzero_ps();
    __m512 s10 = _mm512_setzero_ps(), s11 = _mm512_setzero_ps();
    __m512 s20 = _mm512_setzero_ps(), s21 = _mm512_setzero_ps();
    __m512 s30 = _mm512_setzero_ps(), s31 = _mm512_setzero_ps();
    size_t k = kc;
    for (; k >= 4; k -= 4, a += 4, b += 4 * ldb) {
        const __m512 v0 = _mm512_set1_ps(a[0]), v1 = _mm512_set1_ps(a[1]);
        const __m512 v2 = _mm512_set1_ps(a[2]), v3 = _mm512_set1_ps(a[3]);
        s00 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(b), s00);
        s01 = _mm512_fmadd_ps(v0, _mm512_loadu_ps(b + 16), s01);
        s10 = _mm512_fmadd_ps(v1, _mm512_loadu_ps(b + ldb), s10);
        s11 = _mm512_fmadd_ps(v1, _mm512_loadu_ps(b + ldb + 16), s11);
        s20 = _mm512_fmadd_ps(v2, _mm512_loadu_ps(b + 2 * ldb), s20);
        s21 = _mm512_fmadd_ps(v2, _mm512_loadu_ps(b + 2 * ldb + 16), s21);
        s30 = _mm512_fmadd_ps(v3, _mm512_loadu_ps(b + 3 * ldb), s30);
        s31 = _mm512_fmadd_ps(v3, _mm512_loadu_ps(b + 3 * ldb + 16), s31);
    }
    for (; k > 0; k--, a++, b += ldb) {
        const __m512 v = _mm512_set1_ps(a[0]);
        s00 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b), s00);
        s01 = _mm512_fmadd_ps(v, _mm512_loadu_ps(b + 16), s01);
    }
    __m512 acc0 = _mm512_add_ps(_mm512_add_ps(s00, s10), _mm512_add_ps(s20, s30));
    __m512 acc1 = _mm512_add_ps(_mm512_add_ps(s01, s11), _mm512_add_ps(s21, s31));
    if (bias != NULL) {
        acc0 = _mm512_add_ps(acc0, _mm512_loadu_ps(bias));
        acc1 = _mm512_add_ps(acc1, _mm512_loadu_ps(bias + 16));
    }
    ck_store_row_32(acc0, acc1, nr, c, clamp);
}

/* The same computation for B read in place (row-major, rows ldb floats apart) over ncols columns
 * (a multiple of 32) at once: the k loop runs outside and each row of B is read along a
 * 512-column chunk, so the hardware prefetchers see a stream instead of one new line per row.
 * Every column gets the FMAs of ck_f32_gemm_row_1x32__avx512 in the same order (k mod 4 for the
 * first kc & ~3 steps, the tail into the first sum), the same pairwise combination and bias:
 * bitwise the result of packing B and calling that kernel. */
#define CK_ROW_CHUNK 512

void ck_f32_gemm_row_wide__avx512(size_t ncols, size_t kc, const float *CK_RESTRICT a, const float *CK_RESTRICT b,
                                  size_t ldb, float *CK_RESTRICT c, const float *CK_RESTRICT bias,
                                  const ck_f32_clamp *clamp) {
    float s[4][CK_ROW_CHUNK] __attribute__((aligned(64)));
    const size_t k4 = kc & ~(size_t)3;
    const __m512 lo = _mm512_set1_ps(clamp->lo), hi = _mm512_set1_ps(clamp->hi);
    for (size_t j0 = 0; j0 < ncols; j0 += CK_ROW_CHUNK) {
        const size_t w = ncols - j0 < CK_ROW_CHUNK ? ncols - j0 : CK_ROW_CHUNK; /* multiple of 32 */
        for (int i = 0; i < 4; i++) memset(s[i], 0, w * sizeof(float));
        for (size_t k = 0; k < kc; k++) {
            float *si = s[k < k4 ? k % 4 : 0];
            const float *bk = b + k * ldb + j0;
            const __m512 v = _mm512_set1_ps(a[k]);
            for (size_t j = 0; j < w; j += 16)
                _mm512_store_ps(si + j, _mm512_fmadd_ps(v, _mm512_loadu_ps(bk + j), _mm512_load_ps(si + j)));
        }
        for (size_t j = 0; j < w; j += 16) {
            __m512 acc = _mm512_add_ps(_mm512_add_ps(_mm512_load_ps(s[0] + j), _mm512_load_ps(s[1] + j)),
                                       _mm512_add_ps(_mm512_load_ps(s[2] + j), _mm512_load_ps(s[3] + j)));
            if (bias != NULL) acc = _mm512_add_ps(acc, _mm512_loadu_ps(bias + j0 + j));
            if (clamp->enabled) acc = ck_clamp16(acc, lo, hi);
            _mm512_storeu_ps(c + j0 + j, acc);
        }
    }
}
