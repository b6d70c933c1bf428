/* AVX-512F SGEMM microkernel, 12x32: 24 zmm accumulators hold a 12x32 tile of C; each k step
 * loads two vectors of the packed B panel and broadcasts twelve values of the packed A panel
 * (folded into the FMAs as embedded broadcasts), 24 FMAs per step. 24 accumulators + 2 B +
 * 1 broadcast = 27 of the 32 zmm registers. Same contract and structure as
 * csrc/x86/avx2/f32-gemm-6x16.c (see convkit/gemm.h). */
#include "f32-gemm-tile-12x32.h"

void ck_f32_gemm_ukernel_12x32__avx512(size_t mr, size_t nr, size_t kc, const float *CK_RESTRICT a,
                                       const float *CK_RESTRICT b, size_t ldb, float *CK_RESTRICT c, size_t ldc,
                                       const float *CK_RESTRICT bias, unsigned flags, const ck_f32_clamp *clamp) {
    for (size_t i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    __m512 acc[2 * CK_MR];
#pragma GCC unroll 24
    for (int r = 0; r < 2 * CK_MR; r++) acc[r] = _mm512_setzero_ps();

    for (size_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
        for (int i = 0; i < CK_MR; i++) {
            const __m512 av = _mm512_set1_ps(a[i]);
            acc[2 * i] = _mm512_fmadd_ps(av, b0, acc[2 * i]);
            acc[2 * i + 1] = _mm512_fmadd_ps(av, b1, acc[2 * i + 1]);
        }
        a += CK_MR;
        b += ldb;
    }

    __mmask16 m0, m1;
    ck_masks_32(nr, &m0, &m1);
    if (flags & CK_UK_LOAD_C) {
        /* Earlier KC blocks left partial sums in C; masked loads read only the valid corner. */
        for (size_t i = 0; i < mr; i++) {
            acc[2 * i] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, c + i * ldc), acc[2 * i]);
            acc[2 * i + 1] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, c + i * ldc + 16), acc[2 * i + 1]);
        }
    }
    if (bias) {
        const __m512 bb0 = _mm512_loadu_ps(bias), bb1 = _mm512_loadu_ps(bias + 16);
        for (int i = 0; i < CK_MR; i++) {
            acc[2 * i] = _mm512_add_ps(acc[2 * i], bb0);
            acc[2 * i + 1] = _mm512_add_ps(acc[2 * i + 1], bb1);
        }
    }
    ck_store_tile_12x32(acc, mr, nr, c, ldc, clamp);
}
