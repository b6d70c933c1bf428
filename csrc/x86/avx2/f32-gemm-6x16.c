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
#include "../f32-gemm-asm-tile.h"

/* The packed case (ldb == 16; unaligned loads, since a B read in place may have ldb 16 too), the
 * one the big GEMMs spend their time in, with the k loop in inline assembly: GCC's register
 * allocation of the intrinsic version rotates accumulators through spare registers and loses
 * ~10% at this size. The common tile (full, no clamp) finishes inside the assembly: C rows added
 * straight from memory, bias added, rows stored; spilling the accumulators for the C epilogue
 * cost about 6% of a 1024^3 SGEMM at KC = 256. The sums are the same: (acc + C) + bias.
 *
 * Tiles of R = 2, 4 or 6 rows of the same 6-row A panel: a ragged last row block (a batch of 8
 * is 6 + 2, of 32 is 30 + 2) runs the smallest R that holds its rows instead of 6 rows of which
 * most are padding. Each row gets the same FMAs in the same order whatever R, so the result does
 * not depend on the variant. Fixed assignment: ymm(2i), ymm(2i+1) row i, ymm12-13 the B row,
 * ymm14-15 two broadcast A values. */
#define CK_B_ROW(bo) "vmovups " #bo "(%[b]), %%ymm12\n\t" "vmovups " #bo "+32(%[b]), %%ymm13\n\t"
/* Rows at A offsets o0, o1 (bytes, within the k-slice at ao) into (z0, z1) and (z2, z3). */
#define CK_A_PAIR(ao, o0, o1, z0, z1, z2, z3)                                                          \
    "vbroadcastss " #ao "+" #o0 "(%[a]), %%ymm14\n\t" "vbroadcastss " #ao "+" #o1 "(%[a]), %%ymm15\n\t" \
    "vfmadd231ps %%ymm12, %%ymm14, %%ymm" #z0 "\n\t" "vfmadd231ps %%ymm13, %%ymm14, %%ymm" #z1 "\n\t"  \
    "vfmadd231ps %%ymm12, %%ymm15, %%ymm" #z2 "\n\t" "vfmadd231ps %%ymm13, %%ymm15, %%ymm" #z3 "\n\t"
#define CK_K_STEP_2(ao, bo) CK_B_ROW(bo) CK_A_PAIR(ao, 0, 4, 0, 1, 2, 3)
#define CK_K_STEP_4(ao, bo) CK_K_STEP_2(ao, bo) CK_A_PAIR(ao, 8, 12, 4, 5, 6, 7)
#define CK_K_STEP_6(ao, bo) CK_K_STEP_4(ao, bo) CK_A_PAIR(ao, 16, 20, 8, 9, 10, 11)

#define CK_ZERO2(z0, z1) "vxorps %%ymm" #z0 ", %%ymm" #z0 ", %%ymm" #z0 "\n\t" "vxorps %%ymm" #z1 ", %%ymm" #z1 ", %%ymm" #z1 "\n\t"
#define CK_ZERO_2 CK_ZERO2(0, 1) CK_ZERO2(2, 3)
#define CK_ZERO_4 CK_ZERO_2 CK_ZERO2(4, 5) CK_ZERO2(6, 7)
#define CK_ZERO_6 CK_ZERO_4 CK_ZERO2(8, 9) CK_ZERO2(10, 11)

/* C rows: row r at base c or c3 (rows 0 and 3) plus 0, 1 or 2 times ldc. */
#define CK_ROW0 "(%[c])"
#define CK_ROW1 "(%[c],%[ldc])"
#define CK_ROW2 "(%[c],%[ldc],2)"
#define CK_ROW3 "(%[c3])"
#define CK_ROW4 "(%[c3],%[ldc])"
#define CK_ROW5 "(%[c3],%[ldc],2)"
#define CK_ADD_C(row, z0, z1) \
    "vaddps " row ", %%ymm" #z0 ", %%ymm" #z0 "\n\t" "vaddps 32" row ", %%ymm" #z1 ", %%ymm" #z1 "\n\t"
#define CK_ADD_BIAS(z0, z1) "vaddps %%ymm12, %%ymm" #z0 ", %%ymm" #z0 "\n\t" "vaddps %%ymm13, %%ymm" #z1 ", %%ymm" #z1 "\n\t"
#define CK_STORE_C(row, z0, z1) "vmovups %%ymm" #z0 ", " row "\n\t" "vmovups %%ymm" #z1 ", 32" row "\n\t"
#define CK_ADD_C_2 CK_ADD_C(CK_ROW0, 0, 1) CK_ADD_C(CK_ROW1, 2, 3)
#define CK_ADD_C_4 CK_ADD_C_2 CK_ADD_C(CK_ROW2, 4, 5) CK_ADD_C(CK_ROW3, 6, 7)
#define CK_ADD_C_6 CK_ADD_C_4 CK_ADD_C(CK_ROW4, 8, 9) CK_ADD_C(CK_ROW5, 10, 11)
#define CK_ADD_BIAS_2 CK_ADD_BIAS(0, 1) CK_ADD_BIAS(2, 3)
#define CK_ADD_BIAS_4 CK_ADD_BIAS_2 CK_ADD_BIAS(4, 5) CK_ADD_BIAS(6, 7)
#define CK_ADD_BIAS_6 CK_ADD_BIAS_4 CK_ADD_BIAS(8, 9) CK_ADD_BIAS(10, 11)
#define CK_STORE_C_2 CK_STORE_C(CK_ROW0, 0, 1) CK_STORE_C(CK_ROW1, 2, 3)
#define CK_STORE_C_4 CK_STORE_C_2 CK_STORE_C(CK_ROW2, 4, 5) CK_STORE_C(CK_ROW3, 6, 7)
#define CK_STORE_C_6 CK_STORE_C_4 CK_STORE_C(CK_ROW4, 8, 9) CK_STORE_C(CK_ROW5, 10, 11)
/* All 12 registers go to acc whatever R (rows past R hold stale values the epilogue ignores),
 * so acc never holds uninitialised memory. */
#define CK_SPILL2(z0, z1, o0, o1) "vmovaps %%ymm" #z0 ", " #o0 "(%[acc])\n\t" "vmovaps %%ymm" #z1 ", " #o1 "(%[acc])\n\t"
#define CK_SPILL_ALL                                                                                    \
    CK_SPILL2(0, 1, 0, 32) CK_SPILL2(2, 3, 64, 96) CK_SPILL2(4, 5, 128, 160) CK_SPILL2(6, 7, 192, 224) \
    CK_SPILL2(8, 9, 256, 288) CK_SPILL2(10, 11, 320, 352)
#define CK_CLOBBER_2 "xmm0", "xmm1", "xmm2", "xmm3"
#define CK_CLOBBER_4 CK_CLOBBER_2, "xmm4", "xmm5", "xmm6", "xmm7"
#define CK_CLOBBER_6 CK_CLOBBER_4, "xmm8", "xmm9", "xmm10", "xmm11"

/* k loop of R rows, then mode 1: (+ bias) store; 2: + C (+ bias) store; 0: spill to acc. */
#define CK_GEMM_TILE(R)                                                                                 \
    static void ck_gemm_tile_##R##x16(size_t kc, const float *a, const float *b, size_t mode, float *c,  \
                                      size_t ldc_bytes, const float *bias, __m256 *acc) {                \
        size_t k4 = kc / 4, k1 = kc % 4;                                                                  \
        char *c3 = (char *)c + 3 * ldc_bytes;                                                             \
        __asm__ volatile(CK_GEMM_ASM_TILE(CK_ZERO_##R, "prefetcht0 512(%[b])\n\t",                            \
                                          CK_K_STEP_##R(0, 0) CK_K_STEP_##R(24, 64) CK_K_STEP_##R(48, 128)  \
                                              CK_K_STEP_##R(72, 192),                                       \
                                          96, 256, CK_K_STEP_##R(0, 0), 24, 64, CK_ADD_C_##R,               \
                                          "vmovups (%[bias]), %%ymm12\n\tvmovups 32(%[bias]), %%ymm13\n\t", \
                                          CK_ADD_BIAS_##R, CK_STORE_C_##R, CK_SPILL_ALL)                    \
                         : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1)                         \
                         : [acc] "r"(acc), [mode] "r"(mode), [c] "r"(c), [c3] "r"(c3), [ldc] "r"(ldc_bytes), \
                           [bias] "r"(bias)                                                               \
                         : "memory", "cc", CK_CLOBBER_##R, "xmm12", "xmm13", "xmm14", "xmm15");           \
    }
CK_GEMM_TILE(2)
CK_GEMM_TILE(4)
CK_GEMM_TILE(6)

static void ck_gemm_6x16_packed(size_t mr, size_t nr, size_t kc, const float *a, const float *b, float *c,
                                size_t ldc, const float *bias, unsigned flags, const ck_f32_clamp *clamp) {
    for (size_t i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
    }
    const size_t R = mr <= 2 ? 2 : (mr <= 4 ? 4 : 6);
    const int full = mr == R && nr == 16 && !clamp->enabled;
    const size_t mode = full ? ((flags & CK_UK_LOAD_C) ? 2 : 1) : 0; /* 0: spill to acc */
    __m256 acc[12] __attribute__((aligned(32)));
    const size_t ldc_bytes = ldc * sizeof(float);
    if (R == 6) ck_gemm_tile_6x16(kc, a, b, mode, c, ldc_bytes, bias, acc);
    else if (R == 4) ck_gemm_tile_4x16(kc, a, b, mode, c, ldc_bytes, bias, acc);
    else ck_gemm_tile_2x16(kc, a, b, mode, c, ldc_bytes, bias, acc);
    if (mode == 0) ck_gemm_6x16_epilogue(acc, mr, nr, c, ldc, bias, flags, clamp);
}
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
