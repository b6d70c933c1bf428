/* Shared epilogue of the 6x16 AVX2 microkernels: clamp and store twelve accumulators, the
 * mr x nr valid corner only. Full tiles store straight to C; edge tiles go through a 6x16 stack
 * tile so nothing outside C is read or written. Included by the files in this folder only. */
#ifndef CK_X86_AVX2_F32_GEMM_TILE_6X16_H
#define CK_X86_AVX2_F32_GEMM_TILE_6X16_H

#include <immintrin.h>
#include <string.h>

#include "convkit/gemm.h"

/* max/min return their second operand when either is NaN: clamp first, then put NaNs back, so
 * NaN passes through like ck_activate_f32 (relu(NaN) = NaN). */
CK_INLINE __m256 ck_clamp8(__m256 v, __m256 lo, __m256 hi) {
    const __m256 r = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    return _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* acc[2*i + h] holds row i, columns 8h..8h+7. */
CK_INLINE void ck_store_tile_6x16(__m256 acc[12], size_t mr, size_t nr, float *c, size_t ldc,
                                  const ck_f32_clamp *clamp) {
    if (clamp->enabled) {
        const __m256 lo = _mm256_set1_ps(clamp->lo), hi = _mm256_set1_ps(clamp->hi);
        for (int r = 0; r < 12; r++) acc[r] = ck_clamp8(acc[r], lo, hi);
    }
    if (CK_LIKELY(mr == 6 && nr == 16)) {
        for (int i = 0; i < 6; i++) {
            _mm256_storeu_ps(c + i * ldc, acc[2 * i]);
            _mm256_storeu_ps(c + i * ldc + 8, acc[2 * i + 1]);
        }
        return;
    }
    float tile[6 * 16] __attribute__((aligned(32)));
    for (int i = 0; i < 6; i++) {
        _mm256_store_ps(tile + i * 16, acc[2 * i]);
        _mm256_store_ps(tile + i * 16 + 8, acc[2 * i + 1]);
    }
    for (size_t i = 0; i < mr; i++) memcpy(c + i * ldc, tile + i * 16, nr * sizeof(float));
}

/* One row of the one-row kernels: clamp and store columns 0..nr-1 (nr <= 16) of acc0, acc1. */
CK_INLINE void ck_store_row_16(__m256 acc0, __m256 acc1, size_t nr, float *c, const ck_f32_clamp *clamp) {
    if (clamp->enabled) {
        const __m256 lo = _mm256_set1_ps(clamp->lo), hi = _mm256_set1_ps(clamp->hi);
        acc0 = ck_clamp8(acc0, lo, hi);
        acc1 = ck_clamp8(acc1, lo, hi);
    }
    if (CK_LIKELY(nr == 16)) {
        _mm256_storeu_ps(c, acc0);
        _mm256_storeu_ps(c + 8, acc1);
        return;
    }
    float tile[16] __attribute__((aligned(32)));
    _mm256_store_ps(tile, acc0);
    _mm256_store_ps(tile + 8, acc1);
    memcpy(c, tile, nr * sizeof(float));
}

#endif
