/* AVX-512F indirect-GEMM kernel for one output pixel, 32 channels: the ragged last tile of a
 * convolution with few pixels (the counterpart of csrc/x86/avx2/f32-igemm-row-1x16.c). A 7x7
 * layer has 49 = 4 x 12 + 1 pixels, and the 12x32 kernel would spend a whole tile (12 cycles a
 * k-step) on the one left over.
 *
 * The reduction index k is dealt round-robin to four partial sums per tap (8 independent FMA
 * chains), added pairwise at the end. The sum order differs from the 12x32 kernel's, which keeps
 * results deterministic: which pixels fall in the ragged tile depends on the shape and MR only,
 * never on the thread count. */
#include "f32-gemm-tile-12x32.h"

void ck_f32_igemm_row_1x32__avx512(size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                   size_t a_stride, const float *CK_RESTRICT w, float *CK_RESTRICT c,
                                   const ck_f32_clamp *clamp) {
    __m512 s00 = _mm512_load_ps(w), s01 = _mm512_load_ps(w + 16); /* seeded with the bias */
    __m512 s10 = _mm512_setzero_ps(), s11 = _mm512_setzero_ps();
    __m512 s20 = _mm512_setzero_ps(), s21 = _mm512_setzero_ps();
    __m512 s30 = _mm512_setzero_ps(), s31 = _mm512_setzero_ps();
    w += 32;
    do {
        const float *a0 = *a;
        a += a_stride;
        size_t k = kc;
        for (; k >= 4; k -= 4, a0 += 4, w += 128) {
            const __m512 v0 = _mm512_set1_ps(a0[0]), v1 = _mm512_set1_ps(a0[1]);
            const __m512 v2 = _mm512_set1_ps(a0[2]), v3 = _mm512_set1_ps(a0[3]);
            s00 = _mm512_fmadd_ps(v0, _mm512_load_ps(w), s00);
            s01 = _mm512_fmadd_ps(v0, _mm512_load_ps(w + 16), s01);
            s10 = _mm512_fmadd_ps(v1, _mm512_load_ps(w + 32), s10);
            s11 = _mm512_fmadd_ps(v1, _mm512_load_ps(w + 48), s11);
            s20 = _mm512_fmadd_ps(v2, _mm512_load_ps(w + 64), s20);
            s21 = _mm512_fmadd_ps(v2, _mm512_load_ps(w + 80), s21);
            s30 = _mm512_fmadd_ps(v3, _mm512_load_ps(w + 96), s30);
            s31 = _mm512_fmadd_ps(v3, _mm512_load_ps(w + 112), s31);
        }
        for (; k > 0; k--, a0++, w += 32) {
            const __m512 v = _mm512_set1_ps(a0[0]);
            s00 = _mm512_fmadd_ps(v, _mm512_load_ps(w), s00);
            s01 = _mm512_fmadd_ps(v, _mm512_load_ps(w + 16), s01);
        }
    } while (--ks != 0);
    __m512 acc0 = _mm512_add_ps(_mm512_add_ps(s00, s10), _mm512_add_ps(s20, s30));
    __m512 acc1 = _mm512_add_ps(_mm512_add_ps(s01, s11), _mm512_add_ps(s21, s31));
    ck_store_row_32(acc0, acc1, nr, c, clamp);
}
