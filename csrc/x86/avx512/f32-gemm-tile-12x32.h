/* Shared epilogue of the 12x32 AVX-512 microkernels: clamp and store 24 accumulators, the
 * mr x nr valid corner only, with masked stores (a masked-off lane is never touched, so edges
 * need no temporary tile). Included by the files in this folder only. */
#ifndef CK_X86_AVX512_F32_GEMM_TILE_12X32_H
#define CK_X86_AVX512_F32_GEMM_TILE_12X32_H

#include <immintrin.h>

#include "convkit/gemm.h"

#define CK_MR 12

/* Lane masks for the two 16-wide halves of an nr-column row, 1 <= nr <= 32. */
CK_INLINE void ck_masks_32(size_t nr, __mmask16 *m0, __mmask16 *m1) {
    *m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
    *m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1u) : (__mmask16)0);
}

/* Clamp with NaN passing through (max/min would turn NaN into the bound). */
CK_INLINE __m512 ck_clamp16(__m512 v, __m512 lo, __m512 hi) {
    const __m512 r = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(r, nan, v);
}

/* acc[2*i + h] holds row i, columns 16h..16h+15, for the R rows a kernel computed (mr <= R);
 * rows past R are never read. */
CK_INLINE void ck_store_tile_rows_x32(__m512 acc[2 * CK_MR], const int R, size_t mr, size_t nr, float *c,
                                      size_t ldc, const ck_f32_clamp *clamp) {
    if (clamp->enabled) {
        const __m512 lo = _mm512_set1_ps(clamp->lo), hi = _mm512_set1_ps(clamp->hi);
        for (int r = 0; r < 2 * R; r++) acc[r] = ck_clamp16(acc[r], lo, hi);
    }
    if (CK_LIKELY(mr == (size_t)R && nr == 32)) {
        for (int i = 0; i < R; i++) {
            _mm512_storeu_ps(c + i * ldc, acc[2 * i]);
            _mm512_storeu_ps(c + i * ldc + 16, acc[2 * i + 1]);
        }
        return;
    }
    __mmask16 m0, m1;
    ck_masks_32(nr, &m0, &m1);
    for (size_t i = 0; i < mr; i++) {
        _mm512_mask_storeu_ps(c + i * ldc, m0, acc[2 * i]);
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, acc[2 * i + 1]);
    }
}

CK_INLINE void ck_store_tile_12x32(__m512 acc[2 * CK_MR], size_t mr, size_t nr, float *c, size_t ldc,
                                   const ck_f32_clamp *clamp) {
    ck_store_tile_rows_x32(acc, CK_MR, mr, nr, c, ldc, clamp);
}

/* For the inline-assembly kernels of this folder (zmm(2i), zmm(2i+1) holding row or pixel i):
 * the registers a tile of 4, 8 or 12 rows writes, and all 24 accumulators stored to %[acc] for
 * the C epilogue (rows past a tile's own hold stale values the epilogue never stores, so acc
 * never holds uninitialised memory). */
#define CK_ZMM_CLOBBER_4 "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"
#define CK_ZMM_CLOBBER_8 CK_ZMM_CLOBBER_4, "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#define CK_ZMM_CLOBBER_12 CK_ZMM_CLOBBER_8, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23"
#define CK_ZMM_SPILL2(z0, z1, o0, o1) \
    "vmovaps %%zmm" #z0 ", " #o0 "(%[acc])\n\t" "vmovaps %%zmm" #z1 ", " #o1 "(%[acc])\n\t"
#define CK_ZMM_SPILL_ALL                                                                                        \
    CK_ZMM_SPILL2(0, 1, 0, 64) CK_ZMM_SPILL2(2, 3, 128, 192) CK_ZMM_SPILL2(4, 5, 256, 320)                      \
    CK_ZMM_SPILL2(6, 7, 384, 448) CK_ZMM_SPILL2(8, 9, 512, 576) CK_ZMM_SPILL2(10, 11, 640, 704)                 \
    CK_ZMM_SPILL2(12, 13, 768, 832) CK_ZMM_SPILL2(14, 15, 896, 960) CK_ZMM_SPILL2(16, 17, 1024, 1088)           \
    CK_ZMM_SPILL2(18, 19, 1152, 1216) CK_ZMM_SPILL2(20, 21, 1280, 1344) CK_ZMM_SPILL2(22, 23, 1408, 1472)

/* One row of the one-row kernels: clamp and store columns 0..nr-1 (nr <= 32) of acc0, acc1. */
CK_INLINE void ck_store_row_32(__m512 acc0, __m512 acc1, size_t nr, float *c, const ck_f32_clamp *clamp) {
    if (clamp->enabled) {
        const __m512 lo = _mm512_set1_ps(clamp->lo), hi = _mm512_set1_ps(clamp->hi);
        acc0 = ck_clamp16(acc0, lo, hi);
        acc1 = ck_clamp16(acc1, lo, hi);
    }
    __mmask16 m0, m1;
    ck_masks_32(nr, &m0, &m1);
    _mm512_mask_storeu_ps(c, m0, acc0);
    _mm512_mask_storeu_ps(c + 16, m1, acc1);
}

#endif
