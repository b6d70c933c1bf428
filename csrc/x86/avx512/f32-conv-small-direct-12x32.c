/* AVX-512F direct convolution microkernel for few input channels, 12 pixels x 32 output channels:
 * the AVX2 6x16 kernel (csrc/x86/avx2/f32-conv-small-direct-6x16.c, which explains the contract)
 * with the 12x32 register blocking and masked edge stores of f32-igemm-12x32.c. Panels are the
 * 12x32 igemm's: [32 bias][ks][kc][32]. */
#include "f32-gemm-tile-12x32.h"

#if defined(__GNUC__) && defined(__x86_64__)
/* Tiles of R = 12, 8 or 4 pixels with the tap and k loops in inline assembly. In the intrinsic
 * loop below GCC kept the second B vector on the stack although registers were free (12 extra
 * loads a k-step next to 24 FMAs). Pixel i of a tile reads at a + i*ps, addressed from bases at
 * pixels 0, 3, 6, 9 plus ps or 2*ps. Accumulators: zmm(2i), zmm(2i+1) for pixel i; zmm24-25 the
 * weight row, zmm26-27 broadcasts. Every pixel gets the FMAs of the intrinsic loop in the same
 * order, so a pixel's result does not depend on the tile it falls in. With `store` (all 32
 * columns) the tile goes straight to C, rows ldc_bytes apart, after the clamp of ck_clamp16
 * when store is 2 (max with lo, min with hi, NaN kept); otherwise all 24 registers to acc for
 * the C epilogue (which clamps the whole array before storing the tile's rows).
 * With a short reduction (9 k-steps for 3x3 RGB) the round trip through acc cost about as much
 * as a third of the FMAs. */
#define CK_BC(addr, z) "vbroadcastss " addr ", %%zmm" #z "\n\t"
#define CK_FMA2(z0, z1, zb) \
    "vfmadd231ps %%zmm24, %%zmm" #zb ", %%zmm" #z0 "\n\t" "vfmadd231ps %%zmm25, %%zmm" #zb ", %%zmm" #z1 "\n\t"
/* Two pixels at addresses A and B into accumulators (z0, z1) and (z2, z3). */
#define CK_PIX2(A, B, z0, z1, z2, z3) CK_BC(A, 26) CK_BC(B, 27) CK_FMA2(z0, z1, 26) CK_FMA2(z2, z3, 27)
#define CK_INIT1(z0, z1) "vmovaps %%zmm24, %%zmm" #z0 "\n\t" "vmovaps %%zmm25, %%zmm" #z1 "\n\t"
#define CK_CLAMP1(z, t)                                                                             \
    "vmaxps %%zmm26, %%zmm" #z ", %%zmm" #t "\n\t" "vminps %%zmm27, %%zmm" #t ", %%zmm" #t "\n\t"   \
    "vcmpunordps %%zmm" #z ", %%zmm" #z ", %%k1\n\t" "vmovaps %%zmm" #z ", %%zmm" #t "%{%%k1%}\n\t" \
    "vmovaps %%zmm" #t ", %%zmm" #z "\n\t"
#define CK_CLAMP_PIX(z0, z1) CK_CLAMP1(z0, 24) CK_CLAMP1(z1, 25)
#define CK_STORE_PIX(z0, z1) \
    "vmovups %%zmm" #z0 ", (%[a0])\n\t" "vmovups %%zmm" #z1 ", 64(%[a0])\n\t" "add %[a3], %[a0]\n\t"

#define CK_INIT_4 CK_INIT1(0, 1) CK_INIT1(2, 3) CK_INIT1(4, 5) CK_INIT1(6, 7)
#define CK_INIT_8 CK_INIT_4 CK_INIT1(8, 9) CK_INIT1(10, 11) CK_INIT1(12, 13) CK_INIT1(14, 15)
#define CK_INIT_12 CK_INIT_8 CK_INIT1(16, 17) CK_INIT1(18, 19) CK_INIT1(20, 21) CK_INIT1(22, 23)
#define CK_BASES_4 "lea (%[a0],%[ps],2), %[a3]\n\t" "add %[ps], %[a3]\n\t"
#define CK_BASES_8 CK_BASES_4 "lea (%[a3],%[ps],2), %[a6]\n\t" "add %[ps], %[a6]\n\t"
#define CK_BASES_12 CK_BASES_8 "lea (%[a6],%[ps],2), %[a9]\n\t" "add %[ps], %[a9]\n\t"
#define CK_STEP_4 CK_PIX2("(%[a0])", "(%[a0],%[ps])", 0, 1, 2, 3) CK_PIX2("(%[a0],%[ps],2)", "(%[a3])", 4, 5, 6, 7)
#define CK_STEP_8 \
    CK_STEP_4 CK_PIX2("(%[a3],%[ps])", "(%[a3],%[ps],2)", 8, 9, 10, 11) CK_PIX2("(%[a6])", "(%[a6],%[ps])", 12, 13, 14, 15)
#define CK_STEP_12 \
    CK_STEP_8 CK_PIX2("(%[a6],%[ps],2)", "(%[a9])", 16, 17, 18, 19) CK_PIX2("(%[a9],%[ps])", "(%[a9],%[ps],2)", 20, 21, 22, 23)
#define CK_ADVANCE_4 "add $4, %[a0]\n\t" "add $4, %[a3]\n\t"
#define CK_ADVANCE_8 CK_ADVANCE_4 "add $4, %[a6]\n\t"
#define CK_ADVANCE_12 CK_ADVANCE_8 "add $4, %[a9]\n\t"
#define CK_CLAMP_4 CK_CLAMP_PIX(0, 1) CK_CLAMP_PIX(2, 3) CK_CLAMP_PIX(4, 5) CK_CLAMP_PIX(6, 7)
#define CK_CLAMP_8 CK_CLAMP_4 CK_CLAMP_PIX(8, 9) CK_CLAMP_PIX(10, 11) CK_CLAMP_PIX(12, 13) CK_CLAMP_PIX(14, 15)
#define CK_CLAMP_12 CK_CLAMP_8 CK_CLAMP_PIX(16, 17) CK_CLAMP_PIX(18, 19) CK_CLAMP_PIX(20, 21) CK_CLAMP_PIX(22, 23)
#define CK_STORE_4 CK_STORE_PIX(0, 1) CK_STORE_PIX(2, 3) CK_STORE_PIX(4, 5) CK_STORE_PIX(6, 7)
#define CK_STORE_8 CK_STORE_4 CK_STORE_PIX(8, 9) CK_STORE_PIX(10, 11) CK_STORE_PIX(12, 13) CK_STORE_PIX(14, 15)
#define CK_STORE_12 CK_STORE_8 CK_STORE_PIX(16, 17) CK_STORE_PIX(18, 19) CK_STORE_PIX(20, 21) CK_STORE_PIX(22, 23)

/* One R-pixel tile: bias, ks taps of kc steps, then store (1), clamp and store (2) or spill (0). */
#define CK_SMALL_TILE(R)                                                                            \
    static void ck_small_tile_##R##x32(size_t kc, size_t ks, const float *const *rows, size_t poff_bytes, \
                                       size_t ps_bytes, const float *w, size_t store, float *c,         \
                                       size_t ldc_bytes, float lo, float hi, __m512 *acc) {             \
        const float *a0, *a3, *a6, *a9;                                                               \
        size_t k;                                                                                     \
        __asm__ volatile("vmovups (%[w]), %%zmm24\n\t"                                                \
                         "vmovups 64(%[w]), %%zmm25\n\t" CK_INIT_##R "add $128, %[w]\n"               \
                         "1:\n\t"                                                                     \
                         "mov (%[rows]), %[a0]\n\t"                                                   \
                         "add $8, %[rows]\n\t"                                                        \
                         "add %[poff], %[a0]\n\t" CK_BASES_##R "mov %[kc], %[k]\n"                    \
                         "2:\n\t"                                                                     \
                         "vmovups (%[w]), %%zmm24\n\t"                                                \
                         "vmovups 64(%[w]), %%zmm25\n\t" CK_STEP_##R CK_ADVANCE_##R "add $128, %[w]\n\t" \
                         "dec %[k]\n\t"                                                               \
                         "jnz 2b\n\t"                                                                 \
                         "dec %[ks]\n\t"                                                              \
                         "jnz 1b\n\t"                                                                 \
                         "cmpq $0, %[store]\n\t"                                                      \
                         "je 3f\n\t"                                                                  \
                         "cmpq $2, %[store]\n\t"                                                      \
                         "jne 5f\n\t"                                                                 \
                         "vbroadcastss %[lo], %%zmm26\n\t"                                            \
                         "vbroadcastss %[hi], %%zmm27\n\t" CK_CLAMP_##R "5:\n\t"                      \
                         "mov %[c], %[a0]\n\t"                                                        \
                         "mov %[ldc], %[a3]\n\t" CK_STORE_##R "jmp 4f\n"                              \
                         "3:\n\t" CK_ZMM_SPILL_ALL "4:"                                                   \
                         : [rows] "+r"(rows), [ks] "+r"(ks), [w] "+r"(w), [a0] "=&r"(a0), [a3] "=&r"(a3), \
                           [a6] "=&r"(a6), [a9] "=&r"(a9), [k] "=&r"(k)                              \
                         : [kc] "r"(kc), [poff] "r"(poff_bytes), [ps] "r"(ps_bytes), [acc] "r"(acc),  \
                           [store] "m"(store), [c] "m"(c), [ldc] "m"(ldc_bytes), [lo] "m"(lo), [hi] "m"(hi) \
                         : "memory", "cc", "k1", CK_ZMM_CLOBBER_##R, "xmm24", "xmm25", "xmm26", "xmm27");  \
        (void)a6, (void)a9;                                                                           \
    }
CK_SMALL_TILE(4)
CK_SMALL_TILE(8)
CK_SMALL_TILE(12)
#define CK_SMALL_ASM 1
#endif

void ck_f32_conv_small_ukernel_12x32__avx512(size_t npix, size_t nr, size_t kc, size_t ks,
                                             const float *const *CK_RESTRICT rows, size_t ps,
                                             const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                             const ck_f32_clamp *clamp) {
#ifdef CK_SMALL_ASM
    /* Full tiles of 12, then the rest (r pixels) as one tile of 4, 8 or 12 that ends at npix:
     * when the run has that many pixels it starts up to 3 (7, 11) pixels back and writes them
     * again, with the same bits. A run shorter than that goes to the intrinsic loop below. */
    const size_t store = nr == 32 ? (clamp->enabled ? 2 : 1) : 0;
    __m512 acc[2 * CK_MR] __attribute__((aligned(64)));
    size_t p = 0;
    for (; p + CK_MR <= npix; p += CK_MR) {
        ck_small_tile_12x32(kc, ks, rows, p * ps * sizeof(float), ps * sizeof(float), w, store, c + p * ldc,
                            ldc * sizeof(float), clamp->lo, clamp->hi, acc);
        if (!store) ck_store_tile_12x32(acc, CK_MR, nr, c + p * ldc, ldc, clamp);
    }
    const size_t r = npix - p;
    if (r == 0) return;
    const size_t R = r <= 4 ? 4 : (r <= 8 ? 8 : 12);
    if (npix >= R) {
        const size_t q = npix - R;
        void (*tile)(size_t, size_t, const float *const *, size_t, size_t, const float *, size_t, float *, size_t,
                     float, float, __m512 *) =
            R == 4 ? ck_small_tile_4x32 : (R == 8 ? ck_small_tile_8x32 : ck_small_tile_12x32);
        tile(kc, ks, rows, q * ps * sizeof(float), ps * sizeof(float), w, store, c + q * ldc, ldc * sizeof(float),
             clamp->lo, clamp->hi, acc);
        if (!store) ck_store_tile_12x32(acc, R, nr, c + q * ldc, ldc, clamp);
        return;
    }
    /* Here npix < R <= 12: no full tile was done, the intrinsic loop takes the whole run. */
#endif
    for (size_t p = 0; p < npix; p += CK_MR) {
        const __m512 bias0 = _mm512_load_ps(w), bias1 = _mm512_load_ps(w + 16);
        const size_t mr = npix - p < CK_MR ? npix - p : CK_MR;
        size_t off[CK_MR]; /* pixel offsets; past mr they repeat the last valid pixel */
#pragma GCC unroll 12
        for (int i = 0; i < CK_MR; i++) off[i] = ((size_t)i < mr ? (size_t)i : mr - 1) * ps;
        __m512 acc[2 * CK_MR];
#pragma GCC unroll 12
        for (int i = 0; i < CK_MR; i++) {
            acc[2 * i] = bias0;
            acc[2 * i + 1] = bias1;
        }
        const float *wk = w + 32;
        for (size_t t = 0; t < ks; t++) {
            const float *a = rows[t] + p * ps;
            for (size_t k = 0; k < kc; k++) {
                const __m512 b0 = _mm512_load_ps(wk), b1 = _mm512_load_ps(wk + 16);
                wk += 32;
#pragma GCC unroll 12
                for (int i = 0; i < CK_MR; i++) {
                    const __m512 av = _mm512_set1_ps(a[off[i] + k]);
                    acc[2 * i] = _mm512_fmadd_ps(av, b0, acc[2 * i]);
                    acc[2 * i + 1] = _mm512_fmadd_ps(av, b1, acc[2 * i + 1]);
                }
            }
        }
        ck_store_tile_12x32(acc, mr, nr, c + p * ldc, ldc, clamp);
    }
}
