/* AVX2+FMA direct convolution microkernel for few input channels, 6 pixels x 16 output channels
 * (driver: csrc/conv/f32-conv-small.c). It runs along a whole run of output pixels of one row for
 * one 16-column weight panel, so the panel (KD*KH*KW*CI + 1 rows of 16 floats: 1.8 KiB for 3x3 RGB)
 * stays in L1 and the per-tile costs of a microkernel call (the call, the indirection, the bias
 * load) are paid once per run, not per tile.
 *
 * Input: ks row pointers; pixel p of the run reads kc contiguous floats at rows[t] + p*ps for each
 * t (with dilation_w = 1 one t is a whole kernel row, KW*CI floats). The panel is the igemm's:
 * [16 bias][ks][kc][16]. Per tile of 6 pixels the accumulators start from the bias and take the
 * taps in panel order, then the 6 x nr corner is clamped and stored (f32-gemm-tile-6x16.h). */
#include "f32-gemm-tile-6x16.h"

void ck_f32_conv_small_ukernel_6x16__avx2(size_t npix, size_t nr, size_t kc, size_t ks,
                                          const float *const *CK_RESTRICT rows, size_t ps,
                                          const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                          const ck_f32_clamp *clamp) {
    const __m256 bias0 = _mm256_load_ps(w), bias1 = _mm256_load_ps(w + 8);
    for (size_t p = 0; p < npix; p += 6) {
        const size_t mr = npix - p < 6 ? npix - p : 6;
        /* Offsets of the tile's six pixels; past mr they repeat the last valid pixel. */
        const size_t o1 = (mr > 1 ? 1 : mr - 1) * ps, o2 = (mr > 2 ? 2 : mr - 1) * ps;
        const size_t o3 = (mr > 3 ? 3 : mr - 1) * ps, o4 = (mr > 4 ? 4 : mr - 1) * ps;
        const size_t o5 = (mr > 5 ? 5 : mr - 1) * ps;
        __m256 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
        __m256 c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
        const float *wk = w + 16;
        for (size_t t = 0; t < ks; t++) {
            const float *a = rows[t] + p * ps;
            for (size_t k = 0; k < kc; k++) {
                const __m256 b0 = _mm256_load_ps(wk), b1 = _mm256_load_ps(wk + 8);
                wk += 16;
                __m256 av = _mm256_broadcast_ss(a + k);
                c00 = _mm256_fmadd_ps(av, b0, c00);
                c01 = _mm256_fmadd_ps(av, b1, c01);
                av = _mm256_broadcast_ss(a + o1 + k);
                c10 = _mm256_fmadd_ps(av, b0, c10);
                c11 = _mm256_fmadd_ps(av, b1, c11);
                av = _mm256_broadcast_ss(a + o2 + k);
                c20 = _mm256_fmadd_ps(av, b0, c20);
                c21 = _mm256_fmadd_ps(av, b1, c21);
                av = _mm256_broadcast_ss(a + o3 + k);
                c30 = _mm256_fmadd_ps(av, b0, c30);
                c31 = _mm256_fmadd_ps(av, b1, c31);
                av = _mm256_broadcast_ss(a + o4 + k);
                c40 = _mm256_fmadd_ps(av, b0, c40);
                c41 = _mm256_fmadd_ps(av, b1, c41);
                av = _mm256_broadcast_ss(a + o5 + k);
                c50 = _mm256_fmadd_ps(av, b0, c50);
                c51 = _mm256_fmadd_ps(av, b1, c51);
            }
        }
        __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
        ck_store_tile_6x16(acc, mr, nr, c + p * ldc, ldc, clamp);
    }
}
