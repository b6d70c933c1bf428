/* AVX2+FMA indirect-GEMM microkernel, 6x16, for convolution (see csrc/conv/f32-conv-igemm.c):
 * the same register blocking as f32-gemm-6x16.c, but A is six row pointers per kernel tap
 * (pixels' channel vectors, or a zero row) instead of a packed panel, and B is a packed weight
 * panel that starts with the 16 bias values the accumulators are seeded with. */
#include "f32-gemm-tile-6x16.h"

void ck_f32_igemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                     const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                     const ck_f32_clamp *clamp) {
    __m256 c00 = _mm256_load_ps(w), c01 = _mm256_load_ps(w + 8);
    __m256 c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01, c40 = c00, c41 = c01;
    __m256 c50 = c00, c51 = c01;
    w += 16;

#define CK_STEP(k)                                                                                \
    do {                                                                                          \
        const __m256 b0 = _mm256_load_ps(w + 16 * (k)), b1 = _mm256_load_ps(w + 16 * (k) + 8);    \
        __m256 av = _mm256_broadcast_ss(a0 + (k));                                                \
        c00 = _mm256_fmadd_ps(av, b0, c00);                                                       \
        c01 = _mm256_fmadd_ps(av, b1, c01);                                                       \
        av = _mm256_broadcast_ss(a1 + (k));                                                       \
        c10 = _mm256_fmadd_ps(av, b0, c10);                                                       \
        c11 = _mm256_fmadd_ps(av, b1, c11);                                                       \
        av = _mm256_broadcast_ss(a2 + (k));                                                       \
        c20 = _mm256_fmadd_ps(av, b0, c20);                                                       \
        c21 = _mm256_fmadd_ps(av, b1, c21);                                                       \
        av = _mm256_broadcast_ss(a3 + (k));                                                       \
        c30 = _mm256_fmadd_ps(av, b0, c30);                                                       \
        c31 = _mm256_fmadd_ps(av, b1, c31);                                                       \
        av = _mm256_broadcast_ss(a4 + (k));                                                       \
        c40 = _mm256_fmadd_ps(av, b0, c40);                                                       \
        c41 = _mm256_fmadd_ps(av, b1, c41);                                                       \
        av = _mm256_broadcast_ss(a5 + (k));                                                       \
        c50 = _mm256_fmadd_ps(av, b0, c50);                                                       \
        c51 = _mm256_fmadd_ps(av, b1, c51);                                                       \
    } while (0)

    do {
        const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
        a += 6;
        size_t k = kc;
        for (; k >= 4; k -= 4) {
            CK_STEP(0);
            CK_STEP(1);
            CK_STEP(2);
            CK_STEP(3);
            a0 += 4;
            a1 += 4;
            a2 += 4;
            a3 += 4;
            a4 += 4;
            a5 += 4;
            w += 64;
        }
        for (; k > 0; k--) {
            CK_STEP(0);
            a0 += 1;
            a1 += 1;
            a2 += 1;
            a3 += 1;
            a4 += 1;
            a5 += 1;
            w += 16;
        }
    } while (--ks != 0);
#undef CK_STEP

    __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    ck_store_tile_6x16(acc, mr, nr, c, ldc, clamp);
}
