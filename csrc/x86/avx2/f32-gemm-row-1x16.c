/* AVX2+FMA GEMM kernel for a single row of A (M = 1: a Dense layer or a recurrent step on one
 * sample): c[0:nr] = clamp(sum_k a[k] * b[k, 0:16] + bias). The 6x16 tile kernel would broadcast
 * five padding rows per k-step and run the reduction in KC blocks through C; this one needs one
 * broadcast and two B loads per k-step, over the whole reduction in one call.
 *
 * A single row has two accumulators, and each FMA waits 4 cycles for the previous one, so k is
 * dealt round-robin to four partial sums (8 independent chains) added pairwise at the end, then
 * the bias. B rows are ldb floats apart: 16 for a packed panel, the matrix's own stride when read
 * in place (all 16 columns of every row readable). */
#include "f32-gemm-tile-6x16.h"

void ck_f32_gemm_row_1x16__avx2(size_t nr, size_t kc, const float *CK_RESTRICT a, const float *CK_RESTRICT b,
                                size_t ldb, float *CK_RESTRICT c, const float *CK_RESTRICT bias,
                                const ck_f32_clamp *clamp) {
    __m256 s00 = _mm256_setzero_ps(), s01 = _mm256_setzero_ps();
    __m256 s10 = _mm256_setzero_ps(), s11 = _mm256_setzero_ps();
    __m256 s20 = _mm256_setzero_ps(), s21 = _mm256_setzero_ps();
    __m256 s30 = _mm256_setzero_ps(), s31 = _mm256_setzero_ps();
    size_t k = kc;
    for (; k >= 4; k -= 4, a += 4, b += 4 * ldb) {
        const __m256 v0 = _mm256_broadcast_ss(a), v1 = _mm256_broadcast_ss(a + 1);
        const __m256 v2 = _mm256_broadcast_ss(a + 2), v3 = _mm256_broadcast_ss(a + 3);
        s00 = _mm256_fmadd_ps(v0, _mm256_loadu_ps(b), s00);
        s01 = _mm256_fmadd_ps(v0, _mm256_loadu_ps(b + 8), s01);
        s10 = _mm256_fmadd_ps(v1, _mm256_loadu_ps(b + ldb), s10);
        s11 = _mm256_fmadd_ps(v1, _mm256_loadu_ps(b + ldb + 8), s11);
        s20 = _mm256_fmadd_ps(v2, _mm256_loadu_ps(b + 2 * ldb), s20);
        s21 = _mm256_fmadd_ps(v2, _mm256_loadu_ps(b + 2 * ldb + 8), s21);
        s30 = _mm256_fmadd_ps(v3, _mm256_loadu_ps(b + 3 * ldb), s30);
        s31 = _mm256_fmadd_ps(v3, _mm256_loadu_ps(b + 3 * ldb + 8), s31);
    }
    for (; k > 0; k--, a++, b += ldb) {
        const __m256 v = _mm256_broadcast_ss(a);
        s00 = _mm256_fmadd_ps(v, _mm256_loadu_ps(b), s00);
        s01 = _mm256_fmadd_ps(v, _mm256_loadu_ps(b + 8), s01);
    }
    __m256 acc[2] = {_mm256_add_ps(_mm256_add_ps(s00, s10), _mm256_add_ps(s20, s30)),
                     _mm256_add_ps(_mm256_add_ps(s01, s11), _mm256_add_ps(s21, s31))};
    if (bias != NULL) {
        acc[0] = _mm256_add_ps(acc[0], _mm256_loadu_ps(bias));
        acc[1] = _mm256_add_ps(acc[1], _mm256_loadu_ps(bias + 8));
    }
    ck_store_row_16(acc[0], acc[1], nr, c, clamp);
}

/* The same computation for B read in place (row-major, rows ldb floats apart) over ncols columns
 * (a multiple of 16) at once. Walking one 16-column panel down its rows touched a new cache line
 * every row, ldb apart, which the hardware prefetchers do not follow (M = 1 on a 1024x1024 B
 * ran at a third of the packed speed); here the k loop runs outside and each row of B is read
 * along a 256-column chunk. The partial sums live in a small buffer instead of registers, but
 * every column gets exactly the FMAs of ck_f32_gemm_row_1x16__avx2 in the same order (k mod 4
 * for the first kc & ~3 steps, the tail into the first sum), the same pairwise combination and
 * bias: bitwise the same result as packing B and calling that kernel. */
#define CK_ROW_CHUNK 256

void ck_f32_gemm_row_wide__avx2(size_t ncols, size_t kc, const float *CK_RESTRICT a, const float *CK_RESTRICT b,
                                size_t ldb, float *CK_RESTRICT c, const float *CK_RESTRICT bias,
                                const ck_f32_clamp *clamp) {
    float s[4][CK_ROW_CHUNK] __attribute__((aligned(32)));
    const size_t k4 = kc & ~(size_t)3;
    for (size_t j0 = 0; j0 < ncols; j0 += CK_ROW_CHUNK) {
        const size_t w = ncols - j0 < CK_ROW_CHUNK ? ncols - j0 : CK_ROW_CHUNK; /* multiple of 16 */
        for (int i = 0; i < 4; i++) memset(s[i], 0, w * sizeof(float));
        for (size_t k = 0; k < kc; k++) {
            float *si = s[k < k4 ? k % 4 : 0];
            const float *bk = b + k * ldb + j0;
            const __m256 v = _mm256_broadcast_ss(a + k);
            for (size_t j = 0; j < w; j += 16) {
                _mm256_store_ps(si + j, _mm256_fmadd_ps(v, _mm256_loadu_ps(bk + j), _mm256_load_ps(si + j)));
                _mm256_store_ps(si + j + 8,
                                _mm256_fmadd_ps(v, _mm256_loadu_ps(bk + j + 8), _mm256_load_ps(si + j + 8)));
            }
        }
        const __m256 lo = _mm256_set1_ps(clamp->lo), hi = _mm256_set1_ps(clamp->hi);
        for (size_t j = 0; j < w; j += 8) {
            __m256 acc = _mm256_add_ps(_mm256_add_ps(_mm256_load_ps(s[0] + j), _mm256_load_ps(s[1] + j)),
                                       _mm256_add_ps(_mm256_load_ps(s[2] + j), _mm256_load_ps(s[3] + j)));
            if (bias != NULL) acc = _mm256_add_ps(acc, _mm256_loadu_ps(bias + j0 + j));
            if (clamp->enabled) acc = ck_clamp8(acc, lo, hi);
            _mm256_storeu_ps(c + j0 + j, acc);
        }
    }
}
