/* AVX2+FMA indirect-GEMM kernel for one output pixel, 16 channels: the ragged last tile of a
 * convolution with few pixels. A 7x7 layer has 49 = 8 x 6 + 1 pixels, and the 6x16 kernel would
 * spend a whole tile (6 cycles a k-step) on the one left over, about 9% of the layer.
 *
 * One row has only two accumulators, and a chain of FMAs waits 4 cycles for each result; so the
 * reduction index k is dealt round-robin to four partial sums (8 independent chains), added
 * pairwise at the end. The sum order therefore differs from the 6x16 kernel's, which is fine for
 * determinism: which pixels fall in the ragged tile depends on the shape and MR only, never on
 * the thread count. */
#include "f32-gemm-tile-6x16.h"

void ck_f32_igemm_row_1x16__avx2(size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                 size_t a_stride, const float *CK_RESTRICT w, float *CK_RESTRICT c,
                                 const ck_f32_clamp *clamp) {
    __m256 s00 = _mm256_load_ps(w), s01 = _mm256_load_ps(w + 8); /* seeded with the bias */
    __m256 s10 = _mm256_setzero_ps(), s11 = _mm256_setzero_ps();
    __m256 s20 = _mm256_setzero_ps(), s21 = _mm256_setzero_ps();
    __m256 s30 = _mm256_setzero_ps(), s31 = _mm256_setzero_ps();
    w += 16;
    do {
        const float *a0 = *a;
        a += a_stride;
        size_t k = kc;
        for (; k >= 4; k -= 4, a0 += 4, w += 64) {
            const __m256 v0 = _mm256_broadcast_ss(a0), v1 = _mm256_broadcast_ss(a0 + 1);
            const __m256 v2 = _mm256_broadcast_ss(a0 + 2), v3 = _mm256_broadcast_ss(a0 + 3);
            s00 = _mm256_fmadd_ps(v0, _mm256_load_ps(w), s00);
            s01 = _mm256_fmadd_ps(v0, _mm256_load_ps(w + 8), s01);
            s10 = _mm256_fmadd_ps(v1, _mm256_load_ps(w + 16), s10);
            s11 = _mm256_fmadd_ps(v1, _mm256_load_ps(w + 24), s11);
            s20 = _mm256_fmadd_ps(v2, _mm256_load_ps(w + 32), s20);
            s21 = _mm256_fmadd_ps(v2, _mm256_load_ps(w + 40), s21);
            s30 = _mm256_fmadd_ps(v3, _mm256_load_ps(w + 48), s30);
            s31 = _mm256_fmadd_ps(v3, _mm256_load_ps(w + 56), s31);
        }
        for (; k > 0; k--, a0++, w += 16) {
            const __m256 v = _mm256_broadcast_ss(a0);
            s00 = _mm256_fmadd_ps(v, _mm256_load_ps(w), s00);
            s01 = _mm256_fmadd_ps(v, _mm256_load_ps(w + 8), s01);
        }
    } while (--ks != 0);
    __m256 acc[2] = {_mm256_add_ps(_mm256_add_ps(s00, s10), _mm256_add_ps(s20, s30)),
                     _mm256_add_ps(_mm256_add_ps(s01, s11), _mm256_add_ps(s21, s31))};
    ck_store_row_16(acc[0], acc[1], nr, c, clamp);
}
