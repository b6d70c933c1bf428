/* AVX2+FMA indirect-GEMM microkernel for narrow groups, 12 pixels x 8 output channels: grouped
 * convolutions whose groups have at most 8 output channels (ResNeXt's 32 groups of 8). The 6x16
 * kernel spends half of every FMA on the padding columns of such a group; here all eight lanes
 * are the group's, and twelve pixels give twelve independent accumulators (one per row) to cover
 * the FMA latency. Same contract as f32-igemm-6x16.c (see convkit/gemm.h): twelve row pointers
 * per tap, a packed panel [8 bias][ks][kc][8]; the sums are bias, then taps and k in order. */
#include "f32-gemm-tile-6x16.h"

#define CK_R 12

/* The taps into acc: per tap twelve row pointers, then kc k-steps of one weight row and twelve
 * FMAs. Inlined twice, once with kc = 8 (see the call). */
CK_INLINE void ck_igemm_12x8_taps(__m256 acc[CK_R], size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                  size_t a_off, const float *CK_RESTRICT w) {
    do {
        const float *ap[CK_R];
#pragma GCC unroll 12
        for (int i = 0; i < CK_R; i++) ap[i] = a[i] + a_off;
        a += CK_R;
        for (size_t k = 0; k < kc; k++) {
            const __m256 b = _mm256_load_ps(w + 8 * k);
#pragma GCC unroll 12
            for (int i = 0; i < CK_R; i++) acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(ap[i] + k), b, acc[i]);
        }
        w += 8 * kc;
    } while (--ks != 0);
}

/* One group: its taps read the row pointers plus a_off floats. */
CK_INLINE void ck_igemm_12x8_group(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                   size_t a_off, const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                   const ck_f32_clamp *clamp) {
    __m256 acc[CK_R];
    const __m256 bias = _mm256_load_ps(w);
#pragma GCC unroll 12
    for (int i = 0; i < CK_R; i++) acc[i] = bias;
    w += 8;
    /* Groups of 8 input channels (ResNeXt's) get a copy with kc a constant: GCC then keeps all
     * twelve pointers in registers, where with a runtime kc (15 general registers for 12
     * pointers, w, k and the count) it kept two on the stack and reloaded them every k-step.
     * In-process A/B, both orders, 28x28x256 in 32 groups of 8, 3x3: Zen 4 AVX-512 path
     * 1.07-1.13x at 1 thread, 1.03x at 2; AVX2 path 1.08x; 56x56x256 stride 2 1.04-1.05x (with
     * the k loop fully unrolled; this loop form timed the same). Same sums in the same order. */
    if (kc == 8) ck_igemm_12x8_taps(acc, 8, ks, a, a_off, w);
    else ck_igemm_12x8_taps(acc, kc, ks, a, a_off, w);
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

void ck_f32_igemm_ukernel_12x8__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                     const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                     const ck_f32_clamp *clamp) {
    ck_igemm_12x8_group(mr, nr, kc, ks, a, 0, w, c, ldc, clamp);
}

/* `groups` consecutive groups on the same pixels: group j reads the row pointers plus j*a_step
 * floats, its panel at w + j*w_step and writes c + j*c_step. The driver would otherwise move the
 * 12 x ks pointers and call once per group (see ck_conv_gemm_run). */
void ck_f32_igemm_groups_12x8__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                    size_t a_step, size_t groups, const float *CK_RESTRICT w, size_t w_step,
                                    float *CK_RESTRICT c, size_t c_step, size_t ldc, const ck_f32_clamp *clamp) {
    for (size_t j = 0; j < groups; j++)
        ck_igemm_12x8_group(mr, nr, kc, ks, a, j * a_step, w + j * w_step, c + j * c_step, ldc, clamp);
}
