/* AVX2+FMA SGEMM microkernel, 6x16 (the register blocking of BLIS's Haswell kernel): twelve
 * 8-wide accumulators hold a 6x16 tile of C; each k step loads two vectors of the packed B panel,
 * broadcasts six values of the packed A panel and issues twelve FMAs, so the two FMA ports are
 * busy while loads (2 + 6 per step) stay under the three load ports. 12 accumulators + 2 B + 1
 * broadcast = 15 of the 16 ymm registers. */
#include "f32-gemm-tile-6x16.h"

/* After the k loop: add what earlier KC blocks left in C, the bias, clamp, store. */
CK_INLINE void ck_gemm_6x16_epilogue(__m256 acc[12], size_t mr, size_t nr, float *CK_RESTRICT c, size_t ldc,
                                     const float *CK_RESTRICT bias, unsigned flags, const ck_f32_clamp *clamp) {
    if (flags & CK_UK_LOAD_C) {
        /* Earlier KC blocks left partial sums in C; edges read only the valid corner. */
        float prev[6 * 16] __attribute__((aligned(32)));
        const float *src = c;
        size_t lds = ldc;
        if (!(mr == 6 && nr == 16)) {
            memset(prev, 0, sizeof(prev));
            for (size_t i = 0; i < mr; i++) memcpy(prev + i * 16, c + i * ldc, nr * sizeof(float));
            src = prev;
            lds = 16;
        }
        for (int i = 0; i < 6; i++) {
            acc[2 * i] = _mm256_add_ps(_mm256_loadu_ps(src + i * lds), acc[2 * i]);
            acc[2 * i + 1] = _mm256_add_ps(_mm256_loadu_ps(src + i * lds + 8), acc[2 * i + 1]);
        }
    }
    if (bias) {
        const __m256 bb0 = _mm256_loadu_ps(bias), bb1 = _mm256_loadu_ps(bias + 8);
        for (int i = 0; i < 6; i++) {
            acc[2 * i] = _mm256_add_ps(acc[2 * i], bb0);
            acc[2 * i + 1] = _mm256_add_ps(acc[2 * i + 1], bb1);
        }
    }
    ck_store_tile_6x16(acc, mr, nr, c, ldc, clamp);
}

/* The body, inlined twice below: with ldb == 16 (packed panel, constant offsets) and with the
 * matrix's own row stride (small-M calls where the driver skips packing B). */
CK_INLINE void ck_gemm_6x16_body(size_t mr, size_t nr, size_t kc, const float *CK_RESTRICT a,
                                 const float *CK_RESTRICT b, size_t ldb, float *CK_RESTRICT c, size_t ldc,
                                 const float *CK_RESTRICT bias, unsigned flags, const ck_f32_clamp *clamp) {
    /* C rows are ldc apart (often a multiple of 4 KiB): fetch them while the FMAs run so the
     * final read-modify-write does not stall. */
    for (size_t i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

#define CK_STEP(k)                                                                                \
    do {                                                                                          \
        const __m256 b0 = _mm256_loadu_ps(b + ldb * (k)), b1 = _mm256_loadu_ps(b + ldb * (k) + 8);\
        __m256 av = _mm256_broadcast_ss(a + 6 * (k) + 0);                                         \
        c00 = _mm256_fmadd_ps(av, b0, c00);                                                       \
        c01 = _mm256_fmadd_ps(av, b1, c01);                                                       \
        av = _mm256_broadcast_ss(a + 6 * (k) + 1);                                                \
        c10 = _mm256_fmadd_ps(av, b0, c10);                                                       \
        c11 = _mm256_fmadd_ps(av, b1, c11);                                                       \
        av = _mm256_broadcast_ss(a + 6 * (k) + 2);                                                \
        c20 = _mm256_fmadd_ps(av, b0, c20);                                                       \
        c21 = _mm256_fmadd_ps(av, b1, c21);                                                       \
        av = _mm256_broadcast_ss(a + 6 * (k) + 3);                                                \
        c30 = _mm256_fmadd_ps(av, b0, c30);                                                       \
        c31 = _mm256_fmadd_ps(av, b1, c31);                                                       \
        av = _mm256_broadcast_ss(a + 6 * (k) + 4);                                                \
        c40 = _mm256_fmadd_ps(av, b0, c40);                                                       \
        c41 = _mm256_fmadd_ps(av, b1, c41);                                                       \
        av = _mm256_broadcast_ss(a + 6 * (k) + 5);                                                \
        c50 = _mm256_fmadd_ps(av, b0, c50);                                                       \
        c51 = _mm256_fmadd_ps(av, b1, c51);                                                       \
    } while (0)

    size_t k = kc;
    /* Unrolled by 4 to amortise the loop and pointer updates; the remainder one step at a time. */
    for (; k >= 4; k -= 4) {
        CK_STEP(0);
        CK_STEP(1);
        CK_STEP(2);
        CK_STEP(3);
        a += 24;
        b += 4 * ldb;
    }
    for (; k > 0; k--) {
        CK_STEP(0);
        a += 6;
        b += ldb;
    }
#undef CK_STEP

    __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    ck_gemm_6x16_epilogue(acc, mr, nr, c, ldc, bias, flags, clamp);
}


#if defined(__GNUC__) && defined(__x86_64__)
/* The packed case (ldb == 16; unaligned loads, since a B read in place may have ldb 16 too), the one the big GEMMs spend their time in, with the k loop in
 * inline assembly: GCC's register allocation of the intrinsic version rotates accumulators
 * through spare registers and loses ~10% at this size. Fixed assignment: ymm0-11 accumulators
 * (row i in ymm(2i), ymm(2i+1)), ymm12-13 the B row, ymm14-15 two broadcast A values. */
#define CK_K_STEP(ao, bo)                                                                         \
    "vmovups " #bo "(%[b]), %%ymm12\n\t"                                                           \
    "vmovups " #bo "+32(%[b]), %%ymm13\n\t"                                                        \
    "vbroadcastss " #ao "(%[a]), %%ymm14\n\t"                                                      \
    "vbroadcastss " #ao "+4(%[a]), %%ymm15\n\t"                                                    \
    "vfmadd231ps %%ymm12, %%ymm14, %%ymm0\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm14, %%ymm1\n\t"                                                     \
    "vfmadd231ps %%ymm12, %%ymm15, %%ymm2\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm15, %%ymm3\n\t"                                                     \
    "vbroadcastss " #ao "+8(%[a]), %%ymm14\n\t"                                                    \
    "vbroadcastss " #ao "+12(%[a]), %%ymm15\n\t"                                                   \
    "vfmadd231ps %%ymm12, %%ymm14, %%ymm4\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm14, %%ymm5\n\t"                                                     \
    "vfmadd231ps %%ymm12, %%ymm15, %%ymm6\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm15, %%ymm7\n\t"                                                     \
    "vbroadcastss " #ao "+16(%[a]), %%ymm14\n\t"                                                   \
    "vbroadcastss " #ao "+20(%[a]), %%ymm15\n\t"                                                   \
    "vfmadd231ps %%ymm12, %%ymm14, %%ymm8\n\t"                                                     \
    "vfmadd231ps %%ymm13, %%ymm14, %%ymm9\n\t"                                                     \
    "vfmadd231ps %%ymm12, %%ymm15, %%ymm10\n\t"                                                    \
    "vfmadd231ps %%ymm13, %%ymm15, %%ymm11\n\t"

static void ck_gemm_6x16_packed(size_t mr, size_t nr, size_t kc, const float *a, const float *b, float *c,
                                size_t ldc, const float *bias, unsigned flags, const ck_f32_clamp *clamp) {
    for (size_t i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    /* The common tile (full, no clamp) finishes inside the assembly: C rows added straight from
     * memory, bias added, rows stored. Spilling the accumulators for the C epilogue cost about 6%
     * of a 1024^3 SGEMM at KC = 256. The sums are the same: (acc + C) + bias either way. */
    const int full = mr == 6 && nr == 16 && !clamp->enabled;
    size_t mode = full ? ((flags & CK_UK_LOAD_C) ? 2 : 1) : 0; /* 0: spill to acc */
    const size_t ldc_bytes = ldc * sizeof(float);
    float *c3 = c + 3 * ldc;
    __m256 acc[12] __attribute__((aligned(32)));
    size_t k4 = kc / 4, k1 = kc % 4;
    __asm__ volatile(
        "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
        "vxorps %%ymm1, %%ymm1, %%ymm1\n\t"
        "vxorps %%ymm2, %%ymm2, %%ymm2\n\t"
        "vxorps %%ymm3, %%ymm3, %%ymm3\n\t"
        "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
        "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
        "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
        "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
        "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
        "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
        "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
        "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
        "test %[k4], %[k4]\n\t"
        "jz 2f\n\t"
        ".p2align 5\n"
        "1:\n\t"
        "prefetcht0 512(%[b])\n\t"
        CK_K_STEP(0, 0)
        CK_K_STEP(24, 64)
        CK_K_STEP(48, 128)
        CK_K_STEP(72, 192)
        "add $96, %[a]\n\t"
        "add $256, %[b]\n\t"
        "dec %[k4]\n\t"
        "jnz 1b\n"
        "2:\n\t"
        "test %[k1], %[k1]\n\t"
        "jz 4f\n"
        "3:\n\t"
        CK_K_STEP(0, 0)
        "add $24, %[a]\n\t"
        "add $64, %[b]\n\t"
        "dec %[k1]\n\t"
        "jnz 3b\n"
        "4:\n\t"
        "test %[mode], %[mode]\n\t"
        "jz 8f\n\t"
        "cmp $2, %[mode]\n\t"
        "jne 5f\n\t"
        "vaddps (%[c]), %%ymm0, %%ymm0\n\t"
        "vaddps 32(%[c]), %%ymm1, %%ymm1\n\t"
        "vaddps (%[c],%[ldc]), %%ymm2, %%ymm2\n\t"
        "vaddps 32(%[c],%[ldc]), %%ymm3, %%ymm3\n\t"
        "vaddps (%[c],%[ldc],2), %%ymm4, %%ymm4\n\t"
        "vaddps 32(%[c],%[ldc],2), %%ymm5, %%ymm5\n\t"
        "vaddps (%[c3]), %%ymm6, %%ymm6\n\t"
        "vaddps 32(%[c3]), %%ymm7, %%ymm7\n\t"
        "vaddps (%[c3],%[ldc]), %%ymm8, %%ymm8\n\t"
        "vaddps 32(%[c3],%[ldc]), %%ymm9, %%ymm9\n\t"
        "vaddps (%[c3],%[ldc],2), %%ymm10, %%ymm10\n\t"
        "vaddps 32(%[c3],%[ldc],2), %%ymm11, %%ymm11\n"
        "5:\n\t"
        "test %[bias], %[bias]\n\t"
        "jz 6f\n\t"
        "vmovups (%[bias]), %%ymm12\n\t"
        "vmovups 32(%[bias]), %%ymm13\n\t"
        "vaddps %%ymm12, %%ymm0, %%ymm0\n\t"
        "vaddps %%ymm13, %%ymm1, %%ymm1\n\t"
        "vaddps %%ymm12, %%ymm2, %%ymm2\n\t"
        "vaddps %%ymm13, %%ymm3, %%ymm3\n\t"
        "vaddps %%ymm12, %%ymm4, %%ymm4\n\t"
        "vaddps %%ymm13, %%ymm5, %%ymm5\n\t"
        "vaddps %%ymm12, %%ymm6, %%ymm6\n\t"
        "vaddps %%ymm13, %%ymm7, %%ymm7\n\t"
        "vaddps %%ymm12, %%ymm8, %%ymm8\n\t"
        "vaddps %%ymm13, %%ymm9, %%ymm9\n\t"
        "vaddps %%ymm12, %%ymm10, %%ymm10\n\t"
        "vaddps %%ymm13, %%ymm11, %%ymm11\n"
        "6:\n\t"
        "vmovups %%ymm0, (%[c])\n\t"
        "vmovups %%ymm1, 32(%[c])\n\t"
        "vmovups %%ymm2, (%[c],%[ldc])\n\t"
        "vmovups %%ymm3, 32(%[c],%[ldc])\n\t"
        "vmovups %%ymm4, (%[c],%[ldc],2)\n\t"
        "vmovups %%ymm5, 32(%[c],%[ldc],2)\n\t"
        "vmovups %%ymm6, (%[c3])\n\t"
        "vmovups %%ymm7, 32(%[c3])\n\t"
        "vmovups %%ymm8, (%[c3],%[ldc])\n\t"
        "vmovups %%ymm9, 32(%[c3],%[ldc])\n\t"
        "vmovups %%ymm10, (%[c3],%[ldc],2)\n\t"
        "vmovups %%ymm11, 32(%[c3],%[ldc],2)\n\t"
        "jmp 9f\n"
        "8:\n\t"
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
        "vmovaps %%ymm11, 352(%[acc])\n"
        "9:\n\t"
        : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1)
        : [acc] "r"(acc), [mode] "r"(mode), [c] "r"(c), [c3] "r"(c3), [ldc] "r"(ldc_bytes), [bias] "r"(bias)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    if (mode == 0) ck_gemm_6x16_epilogue(acc, mr, nr, c, ldc, bias, flags, clamp);
}
#undef CK_K_STEP
#endif

void ck_f32_gemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, const float *CK_RESTRICT a,
                                    const float *CK_RESTRICT b, size_t ldb, float *CK_RESTRICT c, size_t ldc,
                                    const float *CK_RESTRICT bias, unsigned flags, const ck_f32_clamp *clamp) {
#if defined(__GNUC__) && defined(__x86_64__)
    if (CK_LIKELY(ldb == 16)) {
        ck_gemm_6x16_packed(mr, nr, kc, a, b, c, ldc, bias, flags, clamp);
        return;
    }
#endif
    ck_gemm_6x16_body(mr, nr, kc, a, b, ldb, c, ldc, bias, flags, clamp);
}
