/* AVX-512F direct convolution microkernel for few input channels, 12 pixels x 32 output channels:
 * the AVX2 6x16 kernel (csrc/x86/avx2/f32-conv-small-direct-6x16.c, which explains the contract)
 * with the 12x32 register blocking and masked edge stores of f32-igemm-12x32.c. Panels are the
 * 12x32 igemm's: [32 bias][ks][kc][32]. */
#include "f32-gemm-tile-12x32.h"

void ck_f32_conv_small_ukernel_12x32__avx512(size_t npix, size_t nr, size_t kc, size_t ks,
                                             const float *const *CK_RESTRICT rows, size_t ps,
                                             const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                             const ck_f32_clamp *clamp) {
    const __m512 bias0 = _mm512_load_ps(w), bias1 = _mm512_load_ps(w + 16);
    for (size_t p = 0; p < npix; p += CK_MR) {
        const size_t mr = npix - p < CK_MR ? npix - p : CK_MR;
        size_t off[CK_MR]; /* pixel offsets; past mr they repeat the last valid pixel */
#pragma GCC unroll 12
        for (int i = 0; i < CK_MR; i++) off[i] = ((size_t)i < mr ? (size_t)i : mr - 1) * ps;
        __m512 acc[2 * CK_MR];
#pragma GCC unroll 12
        for (int i = 0; i < CK_MR; i++) {
            acc[2 * i] = bias0;
            acc[2 * i + 1] = bias1;
        }
        const float *wk = w + 32;
        for (size_t t = 0; t < ks; t++) {
            const float *a = rows[t] + p * ps;
            for (size_t k = 0; k < kc; k++) {
                const __m512 b0 = _mm512_load_ps(wk), b1 = _mm512_load_ps(wk + 16);
                wk += 32;
#pragma GCC unroll 12
                for (int i = 0; i < CK_MR; i++) {
                    const __m512 av = _mm512_set1_ps(a[off[i] + k]);
                    acc[2 * i] = _mm512_fmadd_ps(av, b0, acc[2 * i]);
                    acc[2 * i + 1] = _mm512_fmadd_ps(av, b1, acc[2 * i + 1]);
                }
            }
        }
        ck_store_tile_12x32(acc, mr, nr, c + p * ldc, ldc, clamp);
    }
}
