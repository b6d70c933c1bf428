/* AVX2+FMA indirect-GEMM microkernel for narrow groups, 12 pixels x 8 output channels: grouped
 * convolutions whose groups have at most 8 output channels (ResNeXt's 32 groups of 8). The 6x16
 * kernel spends half of every FMA on the padding columns of such a group; here all eight lanes
 * are the group's, and twelve pixels give twelve independent accumulators (one per row) to cover
 * the FMA latency. Same contract as f32-igemm-6x16.c (see convkit/gemm.h): twelve row pointers
 * per tap, a packed panel [8 bias][ks][kc][8]; the sums are bias, then taps and k in order. */
#include "f32-gemm-tile-6x16.h"

#define CK_R 12

void ck_f32_igemm_ukernel_12x8__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                     const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                     const ck_f32_clamp *clamp) {
    __m256 acc[CK_R];
    const __m256 bias = _mm256_load_ps(w);
#pragma GCC unroll 12
    for (int i = 0; i < CK_R; i++) acc[i] = bias;
    w += 8;
    /* Groups of 8 input channels (ResNeXt's) with the k loop unrolled: the pointers then take
     * constant offsets, where the counted loop kept two of them on the stack and reloaded them
     * every k-step (GCC has 15 general registers for 12 pointers, w, k and the count). In-process
     * A/B, both orders, 28x28x256 in 32 groups of 8, 3x3: Zen 4 AVX-512 path 1.07-1.13x at 1
     * thread, 1.03x at 2; AVX2 path 1.08x; 56x56x256 stride 2 1.04-1.05x. Same sums in the same
     * order either way. */
    if (kc == 8) {
        do {
            const float *ap[CK_R];
#pragma GCC unroll 12
            for (int i = 0; i < CK_R; i++) ap[i] = a[i];
            a += CK_R;
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++) {
                const __m256 b = _mm256_load_ps(w + 8 * k);
#pragma GCC unroll 12
                for (int i = 0; i < CK_R; i++) acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(ap[i] + k), b, acc[i]);
            }
            w += 64;
        } while (--ks != 0);
    } else {
        do {
            const float *ap[CK_R];
#pragma GCC unroll 12
            for (int i = 0; i < CK_R; i++) ap[i] = a[i];
            a += CK_R;
            for (size_t k = 0; k < kc; k++) {
                const __m256 b = _mm256_load_ps(w);
#pragma GCC unroll 12
                for (int i = 0; i < CK_R; i++) acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(ap[i] + k), b, acc[i]);
                w += 8;
            }
        } while (--ks != 0);
    }
    /* Every access to acc below has a constant index: with one dynamic index (a loop to mr)
     * GCC kept the array in memory and stored all twelve accumulators after every k step, which
     * held the kernel at 60% of the ymm FMA peak. */
    if (clamp->enabled) {
        const __m256 lo = _mm256_set1_ps(clamp->lo), hi = _mm256_set1_ps(clamp->hi);
#pragma GCC unroll 12
        for (int i = 0; i < CK_R; i++) acc[i] = ck_clamp8(acc[i], lo, hi);
    }
    if (CK_LIKELY(nr == 8 && mr == CK_R)) {
#pragma GCC unroll 12
        for (int i = 0; i < CK_R; i++) _mm256_storeu_ps(c + i * ldc, acc[i]);
        return;
    }
    float tile[CK_R * 8] __attribute__((aligned(32)));
#pragma GCC unroll 12
    for (int i = 0; i < CK_R; i++) _mm256_store_ps(tile + 8 * i, acc[i]);
    for (size_t i = 0; i < mr; i++) memcpy(c + i * ldc, tile + 8 * i, nr * sizeof(float));
}
