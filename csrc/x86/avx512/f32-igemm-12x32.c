/* AVX-512F indirect-GEMM microkernels, 12x32 and 8x32, for convolution (see
 * csrc/conv/f32-conv-igemm.c and csrc/x86/avx2/f32-igemm-6x16.c): twelve (eight) row pointers per
 * kernel tap, a packed weight panel that starts with the 32 bias values the accumulators are
 * seeded with. Both read the same panels.
 *
 * A ragged last tile runs only the rows it needs, in steps of four (R = 4, 8 or 12), as the
 * packed GEMM kernel does (f32-gemm-12x32.c): 14x14 = 196 pixels are 16 tiles and 4 rows, and
 * 28x28 = 784 are 65 tiles and 4 rows, which a 12-row tile computed three times over. Each row
 * gets the same FMAs in the same order whatever R, so the result does not depend on it.
 *
 * The 8-row kernel is for layers whose pixels sit a multiple of 4 KiB apart, where twelve rows read
 * in lockstep would all want one L1 set (see ck_igemm_rows_alias in the driver). */
#include "f32-gemm-tile-12x32.h"

/* R rows of a tile laid out with `stride` pointers per tap. */
CK_INLINE void ck_igemm_rows_x32(const int R, const int stride, size_t mr, size_t nr, size_t kc, size_t ks,
                                 const float *const *CK_RESTRICT a, const float *CK_RESTRICT w,
                                 float *CK_RESTRICT c, size_t ldc, const ck_f32_clamp *clamp) {
    __m512 acc[2 * CK_MR];
    const __m512 bias0 = _mm512_load_ps(w), bias1 = _mm512_load_ps(w + 16);
#pragma GCC unroll 12
    for (int i = 0; i < R; i++) {
        acc[2 * i] = bias0;
        acc[2 * i + 1] = bias1;
    }
    w += 32;
    do {
        const float *ap[CK_MR];
#pragma GCC unroll 12
        for (int i = 0; i < R; i++) ap[i] = a[i];
        a += stride;
        for (size_t k = 0; k < kc; k++) {
            const __m512 b0 = _mm512_load_ps(w), b1 = _mm512_load_ps(w + 16);
#pragma GCC unroll 12
            for (int i = 0; i < R; i++) {
                const __m512 av = _mm512_set1_ps(ap[i][k]);
                acc[2 * i] = _mm512_fmadd_ps(av, b0, acc[2 * i]);
                acc[2 * i + 1] = _mm512_fmadd_ps(av, b1, acc[2 * i + 1]);
            }
            w += 32;
        }
    } while (--ks != 0);
    ck_store_tile_rows_x32(acc, R, mr, nr, c, ldc, clamp);
}

void ck_f32_igemm_ukernel_12x32__avx512(size_t mr, size_t nr, size_t kc, size_t ks,
                                        const float *const *CK_RESTRICT a, const float *CK_RESTRICT w,
                                        float *CK_RESTRICT c, size_t ldc, const ck_f32_clamp *clamp) {
    if (CK_LIKELY(mr > 8)) ck_igemm_rows_x32(12, 12, mr, nr, kc, ks, a, w, c, ldc, clamp);
    else if (mr > 4) ck_igemm_rows_x32(8, 12, mr, nr, kc, ks, a, w, c, ldc, clamp);
    else ck_igemm_rows_x32(4, 12, mr, nr, kc, ks, a, w, c, ldc, clamp);
}

void ck_f32_igemm_ukernel_8x32__avx512(size_t mr, size_t nr, size_t kc, size_t ks,
                                       const float *const *CK_RESTRICT a, const float *CK_RESTRICT w,
                                       float *CK_RESTRICT c, size_t ldc, const ck_f32_clamp *clamp) {
    if (CK_LIKELY(mr > 4)) ck_igemm_rows_x32(8, 8, mr, nr, kc, ks, a, w, c, ldc, clamp);
    else ck_igemm_rows_x32(4, 8, mr, nr, kc, ks, a, w, c, ldc, clamp);
}
