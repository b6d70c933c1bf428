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
#include "../f32-gemm-asm-tile.h"

/* The packed case (ldb == 32), the one the big GEMMs spend their time in, with the k loop and
 * the full-tile epilogue in inline assembly, as csrc/x86/avx2/f32-gemm-6x16.c does: GCC kept
 * the k loop in registers but spilled all 24 accumulators to the stack before the epilogue,
 * and the loop is unrolled by 4. The A panel streams from L2 (the B micro-panel stays in L1 for
 * the whole row block), so the next A lines are prefetched about three iterations ahead (1024^3
 * on Zen 5: +5% in 16 paired runs; prefetching B as well made no difference).
 *
 * Tiles of R = 4, 8 or 12 rows of the same 12-row A panel: a ragged last row block (M = 32 is
 * 12 + 12 + 8) runs the smallest R that holds its rows instead of 12 rows of which a third are
 * padding. Each row gets the same FMAs in the same order whatever R, so the result does not
 * depend on the variant. Fixed assignment: zmm(2i), zmm(2i+1) row i, zmm24-25 the B row,
 * zmm26-27 two broadcast A values. The sums are those of the intrinsic version: per k in order,
 * then (acc + C) + bias. */
#define CK_B_ROW(bo) "vmovups " #bo "(%[b]), %%zmm24\n\t" "vmovups " #bo "+64(%[b]), %%zmm25\n\t"
/* Rows at A offsets o0, o1 (bytes, within the k-slice at ao) into (z0, z1) and (z2, z3). */
#define CK_A_PAIR(ao, o0, o1, z0, z1, z2, z3)                                                          \
    "vbroadcastss " #ao "+" #o0 "(%[a]), %%zmm26\n\t" "vbroadcastss " #ao "+" #o1 "(%[a]), %%zmm27\n\t" \
    "vfmadd231ps %%zmm24, %%zmm26, %%zmm" #z0 "\n\t" "vfmadd231ps %%zmm25, %%zmm26, %%zmm" #z1 "\n\t"  \
    "vfmadd231ps %%zmm24, %%zmm27, %%zmm" #z2 "\n\t" "vfmadd231ps %%zmm25, %%zmm27, %%zmm" #z3 "\n\t"
#define CK_K_STEP_4(ao, bo) CK_B_ROW(bo) CK_A_PAIR(ao, 0, 4, 0, 1, 2, 3) CK_A_PAIR(ao, 8, 12, 4, 5, 6, 7)
#define CK_K_STEP_8(ao, bo) \
    CK_K_STEP_4(ao, bo) CK_A_PAIR(ao, 16, 20, 8, 9, 10, 11) CK_A_PAIR(ao, 24, 28, 12, 13, 14, 15)
#define CK_K_STEP_12(ao, bo) \
    CK_K_STEP_8(ao, bo) CK_A_PAIR(ao, 32, 36, 16, 17, 18, 19) CK_A_PAIR(ao, 40, 44, 20, 21, 22, 23)

#define CK_ZERO2(z0, z1) "vxorps %%zmm" #z0 ", %%zmm" #z0 ", %%zmm" #z0 "\n\t" "vxorps %%zmm" #z1 ", %%zmm" #z1 ", %%zmm" #z1 "\n\t"
#define CK_ZERO_4 CK_ZERO2(0, 1) CK_ZERO2(2, 3) CK_ZERO2(4, 5) CK_ZERO2(6, 7)
#define CK_ZERO_8 CK_ZERO_4 CK_ZERO2(8, 9) CK_ZERO2(10, 11) CK_ZERO2(12, 13) CK_ZERO2(14, 15)
#define CK_ZERO_12 CK_ZERO_8 CK_ZERO2(16, 17) CK_ZERO2(18, 19) CK_ZERO2(20, 21) CK_ZERO2(22, 23)

/* C rows: row r at base c, c3, c6 or c9 (rows 0, 3, 6, 9) plus 0, 1 or 2 times ldc. */
#define CK_ROW0 "(%[c])"
#define CK_ROW1 "(%[c],%[ldc])"
#define CK_ROW2 "(%[c],%[ldc],2)"
#define CK_ROW3 "(%[c3])"
#define CK_ROW4 "(%[c3],%[ldc])"
#define CK_ROW5 "(%[c3],%[ldc],2)"
#define CK_ROW6 "(%[c6])"
#define CK_ROW7 "(%[c6],%[ldc])"
#define CK_ROW8 "(%[c6],%[ldc],2)"
#define CK_ROW9 "(%[c9])"
#define CK_ROW10 "(%[c9],%[ldc])"
#define CK_ROW11 "(%[c9],%[ldc],2)"
#define CK_ADD_C(row, z0, z1) \
    "vaddps " row ", %%zmm" #z0 ", %%zmm" #z0 "\n\t" "vaddps 64" row ", %%zmm" #z1 ", %%zmm" #z1 "\n\t"
#define CK_ADD_BIAS(z0, z1) "vaddps %%zmm24, %%zmm" #z0 ", %%zmm" #z0 "\n\t" "vaddps %%zmm25, %%zmm" #z1 ", %%zmm" #z1 "\n\t"
#define CK_STORE_C(row, z0, z1) "vmovups %%zmm" #z0 ", " row "\n\t" "vmovups %%zmm" #z1 ", 64" row "\n\t"
#define CK_ADD_C_4 CK_ADD_C(CK_ROW0, 0, 1) CK_ADD_C(CK_ROW1, 2, 3) CK_ADD_C(CK_ROW2, 4, 5) CK_ADD_C(CK_ROW3, 6, 7)
#define CK_ADD_C_8 CK_ADD_C_4 CK_ADD_C(CK_ROW4, 8, 9) CK_ADD_C(CK_ROW5, 10, 11) CK_ADD_C(CK_ROW6, 12, 13) CK_ADD_C(CK_ROW7, 14, 15)
#define CK_ADD_C_12 \
    CK_ADD_C_8 CK_ADD_C(CK_ROW8, 16, 17) CK_ADD_C(CK_ROW9, 18, 19) CK_ADD_C(CK_ROW10, 20, 21) CK_ADD_C(CK_ROW11, 22, 23)
#define CK_ADD_BIAS_4 CK_ADD_BIAS(0, 1) CK_ADD_BIAS(2, 3) CK_ADD_BIAS(4, 5) CK_ADD_BIAS(6, 7)
#define CK_ADD_BIAS_8 CK_ADD_BIAS_4 CK_ADD_BIAS(8, 9) CK_ADD_BIAS(10, 11) CK_ADD_BIAS(12, 13) CK_ADD_BIAS(14, 15)
#define CK_ADD_BIAS_12 CK_ADD_BIAS_8 CK_ADD_BIAS(16, 17) CK_ADD_BIAS(18, 19) CK_ADD_BIAS(20, 21) CK_ADD_BIAS(22, 23)
#define CK_STORE_C_4 CK_STORE_C(CK_ROW0, 0, 1) CK_STORE_C(CK_ROW1, 2, 3) CK_STORE_C(CK_ROW2, 4, 5) CK_STORE_C(CK_ROW3, 6, 7)
#define CK_STORE_C_8 \
    CK_STORE_C_4 CK_STORE_C(CK_ROW4, 8, 9) CK_STORE_C(CK_ROW5, 10, 11) CK_STORE_C(CK_ROW6, 12, 13) CK_STORE_C(CK_ROW7, 14, 15)
#define CK_STORE_C_12 \
    CK_STORE_C_8 CK_STORE_C(CK_ROW8, 16, 17) CK_STORE_C(CK_ROW9, 18, 19) CK_STORE_C(CK_ROW10, 20, 21) CK_STORE_C(CK_ROW11, 22, 23)

/* k loop of R rows, then mode 1: (+ bias) store; 2: + C (+ bias) store; 0: spill to acc. */
#define CK_GEMM_TILE(R)                                                                                 \
    static void ck_gemm_tile_##R##x32(size_t kc, const float *a, const float *b, size_t mode, float *c,  \
                                      size_t ldc_bytes, const float *bias, __m512 *acc) {                \
        size_t k4 = kc / 4, k1 = kc % 4;                                                                  \
        const size_t ldc3 = 3 * ldc_bytes;                                                                \
        char *c3 = (char *)c + ldc3, *c6 = c3 + ldc3, *c9 = c6 + ldc3;                                    \
        __asm__ volatile(CK_GEMM_ASM_TILE(CK_ZERO_##R,                                                      \
                                          "prefetcht0 576(%[a])\n\tprefetcht0 640(%[a])\n\tprefetcht0 704(%[a])\n\t", \
                                          CK_K_STEP_##R(0, 0) CK_K_STEP_##R(48, 128) CK_K_STEP_##R(96, 256) \
                                              CK_K_STEP_##R(144, 384),                                      \
                                          192, 512, CK_K_STEP_##R(0, 0), 48, 128, CK_ADD_C_##R,             \
                                          "vmovups (%[bias]), %%zmm24\n\tvmovups 64(%[bias]), %%zmm25\n\t", \
                                          CK_ADD_BIAS_##R, CK_STORE_C_##R, CK_ZMM_SPILL_ALL)                    \
                         : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1)                         \
                         : [acc] "r"(acc), [mode] "r"(mode), [c] "r"(c), [c3] "r"(c3), [c6] "r"(c6),      \
                           [c9] "r"(c9), [ldc] "r"(ldc_bytes), [bias] "r"(bias)                           \
                         : "memory", "cc", CK_ZMM_CLOBBER_##R, "xmm24", "xmm25", "xmm26", "xmm27");           \
    }
CK_GEMM_TILE(4)
CK_GEMM_TILE(8)
CK_GEMM_TILE(12)

static void ck_gemm_12x32_packed(size_t mr, size_t nr, size_t kc, const float *a, const float *b, float *c,
                                 size_t ldc, const float *bias, unsigned flags, const ck_f32_clamp *clamp) {
    for (size_t i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    const size_t R = mr <= 4 ? 4 : (mr <= 8 ? 8 : 12);
    /* The common tile (all R rows and 32 columns valid, no clamp) finishes inside the assembly;
     * edge tiles and clamps go through acc and the C epilogue. */
    const int full = mr == R && nr == 32 && !clamp->enabled;
    const size_t mode = full ? ((flags & CK_UK_LOAD_C) ? 2 : 1) : 0;
    __m512 acc[2 * CK_MR] __attribute__((aligned(64)));
    const size_t ldc_bytes = ldc * sizeof(float);
    if (R == 12) ck_gemm_tile_12x32(kc, a, b, mode, c, ldc_bytes, bias, acc);
    else if (R == 8) ck_gemm_tile_8x32(kc, a, b, mode, c, ldc_bytes, bias, acc);
    else ck_gemm_tile_4x32(kc, a, b, mode, c, ldc_bytes, bias, acc);
    if (mode == 0) ck_gemm_12x32_epilogue(acc, mr, nr, c, ldc, bias, flags, clamp);
}
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
