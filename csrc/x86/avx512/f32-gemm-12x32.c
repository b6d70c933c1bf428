/* AVX-512F SGEMM microkernel, 12x32: 24 zmm accumulators hold a 12x32 tile of C; each k step
 * loads two vectors of the packed B panel and broadcasts twelve values of the packed A panel
 * (folded into the FMAs as embedded broadcasts), 24 FMAs per step. 24 accumulators + 2 B +
 * 1 broadcast = 27 of the 32 zmm registers. Same contract and structure as
 * csrc/x86/avx2/f32-gemm-6x16.c (see convkit/gemm.h). */
#include "f32-gemm-tile-12x32.h"

/* After the k loop: add what earlier KC blocks left in C, the bias, clamp, store. */
CK_INLINE void ck_gemm_12x32_epilogue(__m512 acc[2 * CK_MR], size_t mr, size_t nr, float *CK_RESTRICT c, size_t ldc,
                                      const float *CK_RESTRICT bias, unsigned flags, const ck_f32_clamp *clamp) {
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

/* The intrinsic version: B read with any row stride (small-M calls where the driver skips
 * packing B) and the fallback for compilers without GNU inline assembly. */
CK_INLINE void ck_gemm_12x32_body(size_t mr, size_t nr, size_t kc, const float *CK_RESTRICT a,
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

    ck_gemm_12x32_epilogue(acc, mr, nr, c, ldc, bias, flags, clamp);
}


#if defined(__GNUC__) && defined(__x86_64__)
/* The packed case (ldb == 32), the one the big GEMMs spend their time in, with the k loop and
 * the full-tile epilogue in inline assembly, as csrc/x86/avx2/f32-gemm-6x16.c does: GCC kept
 * the k loop in registers but spilled all 24 accumulators to the stack before the epilogue,
 * and the loop is unrolled by 4. The A panel streams from L2 (the B micro-panel stays in L1 for
 * the whole row block), so the next A lines are prefetched about three iterations ahead (1024^3
 * on Zen 5: +5% in 16 paired runs; prefetching B as well made no difference). Fixed assignment:
 * zmm0-23 accumulators (row i in zmm(2i), zmm(2i+1)), zmm24-25 the B row, zmm26-27 two
 * broadcast A values. The sums are those of the intrinsic version: per k in order, then
 * (acc + C) + bias. */
#define CK_K_STEP(ao, bo) \
    "vmovups " #bo "(%[b]), %%zmm24\n\t" \
    "vmovups " #bo "+64(%[b]), %%zmm25\n\t" \
    "vbroadcastss " #ao "+0(%[a]), %%zmm26\n\t" \
    "vbroadcastss " #ao "+4(%[a]), %%zmm27\n\t" \
    "vfmadd231ps %%zmm24, %%zmm26, %%zmm0\n\t" \
    "vfmadd231ps %%zmm25, %%zmm26, %%zmm1\n\t" \
    "vfmadd231ps %%zmm24, %%zmm27, %%zmm2\n\t" \
    "vfmadd231ps %%zmm25, %%zmm27, %%zmm3\n\t" \
    "vbroadcastss " #ao "+8(%[a]), %%zmm26\n\t" \
    "vbroadcastss " #ao "+12(%[a]), %%zmm27\n\t" \
    "vfmadd231ps %%zmm24, %%zmm26, %%zmm4\n\t" \
    "vfmadd231ps %%zmm25, %%zmm26, %%zmm5\n\t" \
    "vfmadd231ps %%zmm24, %%zmm27, %%zmm6\n\t" \
    "vfmadd231ps %%zmm25, %%zmm27, %%zmm7\n\t" \
    "vbroadcastss " #ao "+16(%[a]), %%zmm26\n\t" \
    "vbroadcastss " #ao "+20(%[a]), %%zmm27\n\t" \
    "vfmadd231ps %%zmm24, %%zmm26, %%zmm8\n\t" \
    "vfmadd231ps %%zmm25, %%zmm26, %%zmm9\n\t" \
    "vfmadd231ps %%zmm24, %%zmm27, %%zmm10\n\t" \
    "vfmadd231ps %%zmm25, %%zmm27, %%zmm11\n\t" \
    "vbroadcastss " #ao "+24(%[a]), %%zmm26\n\t" \
    "vbroadcastss " #ao "+28(%[a]), %%zmm27\n\t" \
    "vfmadd231ps %%zmm24, %%zmm26, %%zmm12\n\t" \
    "vfmadd231ps %%zmm25, %%zmm26, %%zmm13\n\t" \
    "vfmadd231ps %%zmm24, %%zmm27, %%zmm14\n\t" \
    "vfmadd231ps %%zmm25, %%zmm27, %%zmm15\n\t" \
    "vbroadcastss " #ao "+32(%[a]), %%zmm26\n\t" \
    "vbroadcastss " #ao "+36(%[a]), %%zmm27\n\t" \
    "vfmadd231ps %%zmm24, %%zmm26, %%zmm16\n\t" \
    "vfmadd231ps %%zmm25, %%zmm26, %%zmm17\n\t" \
    "vfmadd231ps %%zmm24, %%zmm27, %%zmm18\n\t" \
    "vfmadd231ps %%zmm25, %%zmm27, %%zmm19\n\t" \
    "vbroadcastss " #ao "+40(%[a]), %%zmm26\n\t" \
    "vbroadcastss " #ao "+44(%[a]), %%zmm27\n\t" \
    "vfmadd231ps %%zmm24, %%zmm26, %%zmm20\n\t" \
    "vfmadd231ps %%zmm25, %%zmm26, %%zmm21\n\t" \
    "vfmadd231ps %%zmm24, %%zmm27, %%zmm22\n\t" \
    "vfmadd231ps %%zmm25, %%zmm27, %%zmm23\n\t"

static void ck_gemm_12x32_packed(size_t mr, size_t nr, size_t kc, const float *a, const float *b, float *c,
                                 size_t ldc, const float *bias, unsigned flags, const ck_f32_clamp *clamp) {
    for (size_t i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    /* mode 1: store the full tile (+ bias); 2: add C first; 0: spill to acc for the C epilogue
     * (edge tiles, clamps). */
    const int full = mr == CK_MR && nr == 32 && !clamp->enabled;
    size_t mode = full ? ((flags & CK_UK_LOAD_C) ? 2 : 1) : 0;
    const size_t ldc_bytes = ldc * sizeof(float);
    float *c3 = c + 3 * ldc, *c6 = c + 6 * ldc, *c9 = c + 9 * ldc;
    __m512 acc[2 * CK_MR] __attribute__((aligned(64)));
    size_t k4 = kc / 4, k1 = kc % 4;
    __asm__ volatile(
        "vxorps %%zmm0, %%zmm0, %%zmm0\n\t"
        "vxorps %%zmm1, %%zmm1, %%zmm1\n\t"
        "vxorps %%zmm2, %%zmm2, %%zmm2\n\t"
        "vxorps %%zmm3, %%zmm3, %%zmm3\n\t"
        "vxorps %%zmm4, %%zmm4, %%zmm4\n\t"
        "vxorps %%zmm5, %%zmm5, %%zmm5\n\t"
        "vxorps %%zmm6, %%zmm6, %%zmm6\n\t"
        "vxorps %%zmm7, %%zmm7, %%zmm7\n\t"
        "vxorps %%zmm8, %%zmm8, %%zmm8\n\t"
        "vxorps %%zmm9, %%zmm9, %%zmm9\n\t"
        "vxorps %%zmm10, %%zmm10, %%zmm10\n\t"
        "vxorps %%zmm11, %%zmm11, %%zmm11\n\t"
        "vxorps %%zmm12, %%zmm12, %%zmm12\n\t"
        "vxorps %%zmm13, %%zmm13, %%zmm13\n\t"
        "vxorps %%zmm14, %%zmm14, %%zmm14\n\t"
        "vxorps %%zmm15, %%zmm15, %%zmm15\n\t"
        "vxorps %%zmm16, %%zmm16, %%zmm16\n\t"
        "vxorps %%zmm17, %%zmm17, %%zmm17\n\t"
        "vxorps %%zmm18, %%zmm18, %%zmm18\n\t"
        "vxorps %%zmm19, %%zmm19, %%zmm19\n\t"
        "vxorps %%zmm20, %%zmm20, %%zmm20\n\t"
        "vxorps %%zmm21, %%zmm21, %%zmm21\n\t"
        "vxorps %%zmm22, %%zmm22, %%zmm22\n\t"
        "vxorps %%zmm23, %%zmm23, %%zmm23\n\t"
        "test %[k4], %[k4]\n\t"
        "jz 2f\n\t"
        ".p2align 5\n"
        "1:\n\t"
        "prefetcht0 576(%[a])\n\t"
        "prefetcht0 640(%[a])\n\t"
        "prefetcht0 704(%[a])\n\t"
        CK_K_STEP(0, 0)
        CK_K_STEP(48, 128)
        CK_K_STEP(96, 256)
        CK_K_STEP(144, 384)
        "add $192, %[a]\n\t"
        "add $512, %[b]\n\t"
        "dec %[k4]\n\t"
        "jnz 1b\n"
        "2:\n\t"
        "test %[k1], %[k1]\n\t"
        "jz 4f\n"
        "3:\n\t"
        CK_K_STEP(0, 0)
        "add $48, %[a]\n\t"
        "add $128, %[b]\n\t"
        "dec %[k1]\n\t"
        "jnz 3b\n"
        "4:\n\t"
        "test %[mode], %[mode]\n\t"
        "jz 8f\n\t"
        "cmp $2, %[mode]\n\t"
        "jne 5f\n\t"
        "vaddps 0(%[c]), %%zmm0, %%zmm0\n\t"
        "vaddps 64(%[c]), %%zmm1, %%zmm1\n\t"
        "vaddps 0(%[c],%[ldc]), %%zmm2, %%zmm2\n\t"
        "vaddps 64(%[c],%[ldc]), %%zmm3, %%zmm3\n\t"
        "vaddps 0(%[c],%[ldc],2), %%zmm4, %%zmm4\n\t"
        "vaddps 64(%[c],%[ldc],2), %%zmm5, %%zmm5\n\t"
        "vaddps 0(%[c3]), %%zmm6, %%zmm6\n\t"
        "vaddps 64(%[c3]), %%zmm7, %%zmm7\n\t"
        "vaddps 0(%[c3],%[ldc]), %%zmm8, %%zmm8\n\t"
        "vaddps 64(%[c3],%[ldc]), %%zmm9, %%zmm9\n\t"
        "vaddps 0(%[c3],%[ldc],2), %%zmm10, %%zmm10\n\t"
        "vaddps 64(%[c3],%[ldc],2), %%zmm11, %%zmm11\n\t"
        "vaddps 0(%[c6]), %%zmm12, %%zmm12\n\t"
        "vaddps 64(%[c6]), %%zmm13, %%zmm13\n\t"
        "vaddps 0(%[c6],%[ldc]), %%zmm14, %%zmm14\n\t"
        "vaddps 64(%[c6],%[ldc]), %%zmm15, %%zmm15\n\t"
        "vaddps 0(%[c6],%[ldc],2), %%zmm16, %%zmm16\n\t"
        "vaddps 64(%[c6],%[ldc],2), %%zmm17, %%zmm17\n\t"
        "vaddps 0(%[c9]), %%zmm18, %%zmm18\n\t"
        "vaddps 64(%[c9]), %%zmm19, %%zmm19\n\t"
        "vaddps 0(%[c9],%[ldc]), %%zmm20, %%zmm20\n\t"
        "vaddps 64(%[c9],%[ldc]), %%zmm21, %%zmm21\n\t"
        "vaddps 0(%[c9],%[ldc],2), %%zmm22, %%zmm22\n\t"
        "vaddps 64(%[c9],%[ldc],2), %%zmm23, %%zmm23\n"
        "5:\n\t"
        "test %[bias], %[bias]\n\t"
        "jz 6f\n\t"
        "vmovups (%[bias]), %%zmm24\n\t"
        "vmovups 64(%[bias]), %%zmm25\n\t"
        "vaddps %%zmm24, %%zmm0, %%zmm0\n\t"
        "vaddps %%zmm25, %%zmm1, %%zmm1\n\t"
        "vaddps %%zmm24, %%zmm2, %%zmm2\n\t"
        "vaddps %%zmm25, %%zmm3, %%zmm3\n\t"
        "vaddps %%zmm24, %%zmm4, %%zmm4\n\t"
        "vaddps %%zmm25, %%zmm5, %%zmm5\n\t"
        "vaddps %%zmm24, %%zmm6, %%zmm6\n\t"
        "vaddps %%zmm25, %%zmm7, %%zmm7\n\t"
        "vaddps %%zmm24, %%zmm8, %%zmm8\n\t"
        "vaddps %%zmm25, %%zmm9, %%zmm9\n\t"
        "vaddps %%zmm24, %%zmm10, %%zmm10\n\t"
        "vaddps %%zmm25, %%zmm11, %%zmm11\n\t"
        "vaddps %%zmm24, %%zmm12, %%zmm12\n\t"
        "vaddps %%zmm25, %%zmm13, %%zmm13\n\t"
        "vaddps %%zmm24, %%zmm14, %%zmm14\n\t"
        "vaddps %%zmm25, %%zmm15, %%zmm15\n\t"
        "vaddps %%zmm24, %%zmm16, %%zmm16\n\t"
        "vaddps %%zmm25, %%zmm17, %%zmm17\n\t"
        "vaddps %%zmm24, %%zmm18, %%zmm18\n\t"
        "vaddps %%zmm25, %%zmm19, %%zmm19\n\t"
        "vaddps %%zmm24, %%zmm20, %%zmm20\n\t"
        "vaddps %%zmm25, %%zmm21, %%zmm21\n\t"
        "vaddps %%zmm24, %%zmm22, %%zmm22\n\t"
        "vaddps %%zmm25, %%zmm23, %%zmm23\n"
        "6:\n\t"
        "vmovups %%zmm0, 0(%[c])\n\t"
        "vmovups %%zmm1, 64(%[c])\n\t"
        "vmovups %%zmm2, 0(%[c],%[ldc])\n\t"
        "vmovups %%zmm3, 64(%[c],%[ldc])\n\t"
        "vmovups %%zmm4, 0(%[c],%[ldc],2)\n\t"
        "vmovups %%zmm5, 64(%[c],%[ldc],2)\n\t"
        "vmovups %%zmm6, 0(%[c3])\n\t"
        "vmovups %%zmm7, 64(%[c3])\n\t"
        "vmovups %%zmm8, 0(%[c3],%[ldc])\n\t"
        "vmovups %%zmm9, 64(%[c3],%[ldc])\n\t"
        "vmovups %%zmm10, 0(%[c3],%[ldc],2)\n\t"
        "vmovups %%zmm11, 64(%[c3],%[ldc],2)\n\t"
        "vmovups %%zmm12, 0(%[c6])\n\t"
        "vmovups %%zmm13, 64(%[c6])\n\t"
        "vmovups %%zmm14, 0(%[c6],%[ldc])\n\t"
        "vmovups %%zmm15, 64(%[c6],%[ldc])\n\t"
        "vmovups %%zmm16, 0(%[c6],%[ldc],2)\n\t"
        "vmovups %%zmm17, 64(%[c6],%[ldc],2)\n\t"
        "vmovups %%zmm18, 0(%[c9])\n\t"
        "vmovups %%zmm19, 64(%[c9])\n\t"
        "vmovups %%zmm20, 0(%[c9],%[ldc])\n\t"
        "vmovups %%zmm21, 64(%[c9],%[ldc])\n\t"
        "vmovups %%zmm22, 0(%[c9],%[ldc],2)\n\t"
        "vmovups %%zmm23, 64(%[c9],%[ldc],2)\n\t"
        "jmp 9f\n"
        "8:\n\t"
        "vmovaps %%zmm0, 0(%[acc])\n\t"
        "vmovaps %%zmm1, 64(%[acc])\n\t"
        "vmovaps %%zmm2, 128(%[acc])\n\t"
        "vmovaps %%zmm3, 192(%[acc])\n\t"
        "vmovaps %%zmm4, 256(%[acc])\n\t"
        "vmovaps %%zmm5, 320(%[acc])\n\t"
        "vmovaps %%zmm6, 384(%[acc])\n\t"
        "vmovaps %%zmm7, 448(%[acc])\n\t"
        "vmovaps %%zmm8, 512(%[acc])\n\t"
        "vmovaps %%zmm9, 576(%[acc])\n\t"
        "vmovaps %%zmm10, 640(%[acc])\n\t"
        "vmovaps %%zmm11, 704(%[acc])\n\t"
        "vmovaps %%zmm12, 768(%[acc])\n\t"
        "vmovaps %%zmm13, 832(%[acc])\n\t"
        "vmovaps %%zmm14, 896(%[acc])\n\t"
        "vmovaps %%zmm15, 960(%[acc])\n\t"
        "vmovaps %%zmm16, 1024(%[acc])\n\t"
        "vmovaps %%zmm17, 1088(%[acc])\n\t"
        "vmovaps %%zmm18, 1152(%[acc])\n\t"
        "vmovaps %%zmm19, 1216(%[acc])\n\t"
        "vmovaps %%zmm20, 1280(%[acc])\n\t"
        "vmovaps %%zmm21, 1344(%[acc])\n\t"
        "vmovaps %%zmm22, 1408(%[acc])\n\t"
        "vmovaps %%zmm23, 1472(%[acc])\n"
        "9:\n\t"
        : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1)
        : [acc] "r"(acc), [mode] "r"(mode), [c] "r"(c), [c3] "r"(c3), [c6] "r"(c6), [c9] "r"(c9),
          [ldc] "r"(ldc_bytes), [bias] "r"(bias)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27");
    if (mode == 0) ck_gemm_12x32_epilogue(acc, mr, nr, c, ldc, bias, flags, clamp);
}
#undef CK_K_STEP
#endif

void ck_f32_gemm_ukernel_12x32__avx512(size_t mr, size_t nr, size_t kc, const float *CK_RESTRICT a,
                                       const float *CK_RESTRICT b, size_t ldb, float *CK_RESTRICT c, size_t ldc,
                                       const float *CK_RESTRICT bias, unsigned flags, const ck_f32_clamp *clamp) {
#if defined(__GNUC__) && defined(__x86_64__)
    if (CK_LIKELY(ldb == 32)) {
        ck_gemm_12x32_packed(mr, nr, kc, a, b, c, ldc, bias, flags, clamp);
        return;
    }
#endif
    ck_gemm_12x32_body(mr, nr, kc, a, b, ldb, c, ldc, bias, flags, clamp);
}
