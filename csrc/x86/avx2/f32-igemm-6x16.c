/* AVX2+FMA indirect-GEMM microkernel, 6x16, for convolution (see csrc/conv/f32-conv-igemm.c):
 * the same register blocking as f32-gemm-6x16.c, but A is six row pointers per kernel tap
 * (pixels' channel vectors, or a zero row) instead of a packed panel, and B is a packed weight
 * panel that starts with the 16 bias values the accumulators are seeded with. */
#include "f32-gemm-tile-6x16.h"

#if defined(__GNUC__) && defined(__x86_64__)
/* The k loop in inline assembly with a fixed register assignment (as the packed GEMM kernel in
 * f32-gemm-6x16.c): GCC's allocation of the intrinsic version (kept below for other compilers) spilled accumulators to the
 * stack inside the k loop, and a 7x7x512 layer ran at about 60% of the FMA peak. ymm0-11 hold
 * the tile (row i in ymm(2i), ymm(2i+1)), ymm12-13 a weight row, ymm14-15 broadcast pixels. The
 * six row pointers of a tap share one byte offset `off`. */
#define CK_IK_STEP(ao, bo)                                                                        \
    "vmovups " #bo "(%[w]), %%ymm12\n\t"                                                           \
    "vmovups " #bo "+32(%[w]), %%ymm13\n\t"                                                        \
    "vbroadcastss " #ao "(%[a0],%[off]), %%ymm14\n\t"                                              \
    "vbroadcastss " #ao "(%[a1],%[off]), %%ymm15\n\t"                                              \
    "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"                                                     \
    "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"                                                     \
    "vbroadcastss " #ao "(%[a2],%[off]), %%ymm14\n\t"                                              \
    "vbroadcastss " #ao "(%[a3],%[off]), %%ymm15\n\t"                                              \
    "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"                                                     \
    "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"                                                     \
    "vbroadcastss " #ao "(%[a4],%[off]), %%ymm14\n\t"                                              \
    "vbroadcastss " #ao "(%[a5],%[off]), %%ymm15\n\t"                                              \
    "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"                                                     \
    "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"                                                    \
    "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"

void ck_f32_igemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                     const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                     const ck_f32_clamp *clamp) {
    __m256 acc[12] __attribute__((aligned(32)));
    const float *a0, *a1, *a2, *a3, *a4, *a5;
    size_t off;
    const size_t kend4 = (kc & ~(size_t)3) * sizeof(float), kend = kc * sizeof(float);
    __asm__ volatile(
        "vmovups (%[w]), %%ymm0\n\t"
        "vmovups 32(%[w]), %%ymm1\n\t"
        "vmovaps %%ymm0, %%ymm2\n\t"
        "vmovaps %%ymm1, %%ymm3\n\t"
        "vmovaps %%ymm0, %%ymm4\n\t"
        "vmovaps %%ymm1, %%ymm5\n\t"
        "vmovaps %%ymm0, %%ymm6\n\t"
        "vmovaps %%ymm1, %%ymm7\n\t"
        "vmovaps %%ymm0, %%ymm8\n\t"
        "vmovaps %%ymm1, %%ymm9\n\t"
        "vmovaps %%ymm0, %%ymm10\n\t"
        "vmovaps %%ymm1, %%ymm11\n\t"
        "add $64, %[w]\n"
        "10:\n\t" /* next tap: its six row pointers */
        "mov (%[a]), %[a0]\n\t"
        "mov 8(%[a]), %[a1]\n\t"
        "mov 16(%[a]), %[a2]\n\t"
        "mov 24(%[a]), %[a3]\n\t"
        "mov 32(%[a]), %[a4]\n\t"
        "mov 40(%[a]), %[a5]\n\t"
        "add $48, %[a]\n\t"
        "xor %[off], %[off]\n\t"
        "cmp %[kend4], %[off]\n\t"
        "jae 12f\n\t"
        ".p2align 5\n"
        "11:\n\t"
        CK_IK_STEP(0, 0)
        CK_IK_STEP(4, 64)
        CK_IK_STEP(8, 128)
        CK_IK_STEP(12, 192)
        "add $16, %[off]\n\t"
        "add $256, %[w]\n\t"
        "cmp %[kend4], %[off]\n\t"
        "jb 11b\n"
        "12:\n\t"
        "cmp %[kend], %[off]\n\t"
        "jae 14f\n"
        "13:\n\t"
        CK_IK_STEP(0, 0)
        "add $4, %[off]\n\t"
        "add $64, %[w]\n\t"
        "cmp %[kend], %[off]\n\t"
        "jb 13b\n"
        "14:\n\t"
        "dec %[ks]\n\t"
        "jnz 10b\n\t"
        "vmovaps %%ymm0, 0(%[acc])\n\t"
        "vmovaps %%ymm1, 32(%[acc])\n\t"
        "vmovaps %%ymm2, 64(%[acc])\n\t"
        "vmovaps %%ymm3, 96(%[acc])\n\t"
        "vmovaps %%ymm4, 128(%[acc])\n\t"
        "vmovaps %%ymm5, 160(%[acc])\n\t"
        "vmovaps %%ymm6, 192(%[acc])\n\t"
        "vmovaps %%ymm7, 224(%[acc])\n\t"
        "vmovaps %%ymm8, 256(%[acc])\n\t"
        "vmovaps %%ymm9, 288(%[acc])\n\t"
        "vmovaps %%ymm10, 320(%[acc])\n\t"
        "vmovaps %%ymm11, 352(%[acc])\n\t"
        : [a] "+r"(a), [w] "+r"(w), [ks] "+r"(ks), [off] "=&r"(off), [a0] "=&r"(a0), [a1] "=&r"(a1),
          [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5)
        : [acc] "r"(acc), [kend4] "r"(kend4), [kend] "r"(kend)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    ck_store_tile_6x16(acc, mr, nr, c, ldc, clamp);
}
#undef CK_IK_STEP
#else
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

#endif
