/* AVX-512F direct convolution microkernel for few input channels, 12 pixels x 32 output channels:
 * the AVX2 6x16 kernel (csrc/x86/avx2/f32-conv-small-direct-6x16.c, which explains the contract)
 * with the 12x32 register blocking and masked edge stores of f32-igemm-12x32.c. Panels are the
 * 12x32 igemm's: [32 bias][ks][kc][32]. */
#include "f32-gemm-tile-12x32.h"

#if defined(__GNUC__) && defined(__x86_64__)
/* A full tile of 12 pixels with the tap and k loops in inline assembly. In the intrinsic loop
 * below GCC kept the second B vector on the stack although registers were free (12 extra loads
 * a k-step next to 24 FMAs). Pixel i of the tile reads at a + i*ps, addressed from four bases
 * (pixels 0, 3, 6, 9) plus ps or 2*ps. Accumulators: zmm0-23 (pixel i in zmm(2i), zmm(2i+1)),
 * the same FMAs in the same order as the intrinsic loop. With `store` (all 32 columns) the
 * tile goes straight to C, rows ldc_bytes apart, after the clamp of ck_clamp16 when store is 2
 * (max with lo, min with hi, NaN kept); otherwise to acc for the C epilogue. With a short reduction (9 k-steps for 3x3 RGB) the round trip through acc cost
 * about as much as a third of the FMAs. */
static void ck_small_tile_12x32(size_t kc, size_t ks, const float *const *rows, size_t poff_bytes,
                                size_t ps_bytes, const float *w, size_t store, float *c, size_t ldc_bytes,
                                float lo, float hi, __m512 *acc) {
    const float *a0, *a3, *a6, *a9;
    size_t k;
    __asm__ volatile(
        "vmovups (%[w]), %%zmm24\n\t"
        "vmovups 64(%[w]), %%zmm25\n\t"
        "vmovaps %%zmm24, %%zmm0\n\t"
        "vmovaps %%zmm25, %%zmm1\n\t"
        "vmovaps %%zmm24, %%zmm2\n\t"
        "vmovaps %%zmm25, %%zmm3\n\t"
        "vmovaps %%zmm24, %%zmm4\n\t"
        "vmovaps %%zmm25, %%zmm5\n\t"
        "vmovaps %%zmm24, %%zmm6\n\t"
        "vmovaps %%zmm25, %%zmm7\n\t"
        "vmovaps %%zmm24, %%zmm8\n\t"
        "vmovaps %%zmm25, %%zmm9\n\t"
        "vmovaps %%zmm24, %%zmm10\n\t"
        "vmovaps %%zmm25, %%zmm11\n\t"
        "vmovaps %%zmm24, %%zmm12\n\t"
        "vmovaps %%zmm25, %%zmm13\n\t"
        "vmovaps %%zmm24, %%zmm14\n\t"
        "vmovaps %%zmm25, %%zmm15\n\t"
        "vmovaps %%zmm24, %%zmm16\n\t"
        "vmovaps %%zmm25, %%zmm17\n\t"
        "vmovaps %%zmm24, %%zmm18\n\t"
        "vmovaps %%zmm25, %%zmm19\n\t"
        "vmovaps %%zmm24, %%zmm20\n\t"
        "vmovaps %%zmm25, %%zmm21\n\t"
        "vmovaps %%zmm24, %%zmm22\n\t"
        "vmovaps %%zmm25, %%zmm23\n\t"
        "add $128, %[w]\n\t"
        "1:\n\t"
        "mov (%[rows]), %[a0]\n\t"
        "add $8, %[rows]\n\t"
        "add %[poff], %[a0]\n\t"
        "lea (%[a0],%[ps],2), %[a3]\n\t"
        "add %[ps], %[a3]\n\t"
        "lea (%[a3],%[ps],2), %[a6]\n\t"
        "add %[ps], %[a6]\n\t"
        "lea (%[a6],%[ps],2), %[a9]\n\t"
        "add %[ps], %[a9]\n\t"
        "mov %[kc], %[k]\n\t"
        "2:\n\t"
        "vmovups (%[w]), %%zmm24\n\t"
        "vmovups 64(%[w]), %%zmm25\n\t"
        "vbroadcastss (%[a0]), %%zmm26\n\t"
        "vbroadcastss (%[a0],%[ps]), %%zmm27\n\t"
        "vfmadd231ps %%zmm24, %%zmm26, %%zmm0\n\t"
        "vfmadd231ps %%zmm25, %%zmm26, %%zmm1\n\t"
        "vfmadd231ps %%zmm24, %%zmm27, %%zmm2\n\t"
        "vfmadd231ps %%zmm25, %%zmm27, %%zmm3\n\t"
        "vbroadcastss (%[a0],%[ps],2), %%zmm26\n\t"
        "vbroadcastss (%[a3]), %%zmm27\n\t"
        "vfmadd231ps %%zmm24, %%zmm26, %%zmm4\n\t"
        "vfmadd231ps %%zmm25, %%zmm26, %%zmm5\n\t"
        "vfmadd231ps %%zmm24, %%zmm27, %%zmm6\n\t"
        "vfmadd231ps %%zmm25, %%zmm27, %%zmm7\n\t"
        "vbroadcastss (%[a3],%[ps]), %%zmm26\n\t"
        "vbroadcastss (%[a3],%[ps],2), %%zmm27\n\t"
        "vfmadd231ps %%zmm24, %%zmm26, %%zmm8\n\t"
        "vfmadd231ps %%zmm25, %%zmm26, %%zmm9\n\t"
        "vfmadd231ps %%zmm24, %%zmm27, %%zmm10\n\t"
        "vfmadd231ps %%zmm25, %%zmm27, %%zmm11\n\t"
        "vbroadcastss (%[a6]), %%zmm26\n\t"
        "vbroadcastss (%[a6],%[ps]), %%zmm27\n\t"
        "vfmadd231ps %%zmm24, %%zmm26, %%zmm12\n\t"
        "vfmadd231ps %%zmm25, %%zmm26, %%zmm13\n\t"
        "vfmadd231ps %%zmm24, %%zmm27, %%zmm14\n\t"
        "vfmadd231ps %%zmm25, %%zmm27, %%zmm15\n\t"
        "vbroadcastss (%[a6],%[ps],2), %%zmm26\n\t"
        "vbroadcastss (%[a9]), %%zmm27\n\t"
        "vfmadd231ps %%zmm24, %%zmm26, %%zmm16\n\t"
        "vfmadd231ps %%zmm25, %%zmm26, %%zmm17\n\t"
        "vfmadd231ps %%zmm24, %%zmm27, %%zmm18\n\t"
        "vfmadd231ps %%zmm25, %%zmm27, %%zmm19\n\t"
        "vbroadcastss (%[a9],%[ps]), %%zmm26\n\t"
        "vbroadcastss (%[a9],%[ps],2), %%zmm27\n\t"
        "vfmadd231ps %%zmm24, %%zmm26, %%zmm20\n\t"
        "vfmadd231ps %%zmm25, %%zmm26, %%zmm21\n\t"
        "vfmadd231ps %%zmm24, %%zmm27, %%zmm22\n\t"
        "vfmadd231ps %%zmm25, %%zmm27, %%zmm23\n\t"
        "add $4, %[a0]\n\t"
        "add $4, %[a3]\n\t"
        "add $4, %[a6]\n\t"
        "add $4, %[a9]\n\t"
        "add $128, %[w]\n\t"
        "dec %[k]\n\t"
        "jnz 2b\n\t"
        "dec %[ks]\n\t"
        "jnz 1b\n\t"
        "cmpq $0, %[store]\n\t"
        "je 3f\n\t"
        "cmpq $2, %[store]\n\t"
        "jne 5f\n\t"
        "vbroadcastss %[lo], %%zmm26\n\t"
        "vbroadcastss %[hi], %%zmm27\n\t"
        "vmaxps %%zmm26, %%zmm0, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm0, %%zmm0, %%k1\n\t"
        "vmovaps %%zmm0, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm0\n\t"
        "vmaxps %%zmm26, %%zmm1, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm1, %%zmm1, %%k1\n\t"
        "vmovaps %%zmm1, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm1\n\t"
        "vmaxps %%zmm26, %%zmm2, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm2, %%zmm2, %%k1\n\t"
        "vmovaps %%zmm2, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm2\n\t"
        "vmaxps %%zmm26, %%zmm3, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm3, %%zmm3, %%k1\n\t"
        "vmovaps %%zmm3, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm3\n\t"
        "vmaxps %%zmm26, %%zmm4, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm4, %%zmm4, %%k1\n\t"
        "vmovaps %%zmm4, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm4\n\t"
        "vmaxps %%zmm26, %%zmm5, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm5, %%zmm5, %%k1\n\t"
        "vmovaps %%zmm5, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm5\n\t"
        "vmaxps %%zmm26, %%zmm6, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm6, %%zmm6, %%k1\n\t"
        "vmovaps %%zmm6, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm6\n\t"
        "vmaxps %%zmm26, %%zmm7, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm7, %%zmm7, %%k1\n\t"
        "vmovaps %%zmm7, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm7\n\t"
        "vmaxps %%zmm26, %%zmm8, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm8, %%zmm8, %%k1\n\t"
        "vmovaps %%zmm8, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm8\n\t"
        "vmaxps %%zmm26, %%zmm9, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm9, %%zmm9, %%k1\n\t"
        "vmovaps %%zmm9, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm9\n\t"
        "vmaxps %%zmm26, %%zmm10, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm10, %%zmm10, %%k1\n\t"
        "vmovaps %%zmm10, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm10\n\t"
        "vmaxps %%zmm26, %%zmm11, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm11, %%zmm11, %%k1\n\t"
        "vmovaps %%zmm11, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm11\n\t"
        "vmaxps %%zmm26, %%zmm12, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm12, %%zmm12, %%k1\n\t"
        "vmovaps %%zmm12, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm12\n\t"
        "vmaxps %%zmm26, %%zmm13, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm13, %%zmm13, %%k1\n\t"
        "vmovaps %%zmm13, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm13\n\t"
        "vmaxps %%zmm26, %%zmm14, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm14, %%zmm14, %%k1\n\t"
        "vmovaps %%zmm14, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm14\n\t"
        "vmaxps %%zmm26, %%zmm15, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm15, %%zmm15, %%k1\n\t"
        "vmovaps %%zmm15, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm15\n\t"
        "vmaxps %%zmm26, %%zmm16, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm16, %%zmm16, %%k1\n\t"
        "vmovaps %%zmm16, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm16\n\t"
        "vmaxps %%zmm26, %%zmm17, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm17, %%zmm17, %%k1\n\t"
        "vmovaps %%zmm17, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm17\n\t"
        "vmaxps %%zmm26, %%zmm18, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm18, %%zmm18, %%k1\n\t"
        "vmovaps %%zmm18, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm18\n\t"
        "vmaxps %%zmm26, %%zmm19, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm19, %%zmm19, %%k1\n\t"
        "vmovaps %%zmm19, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm19\n\t"
        "vmaxps %%zmm26, %%zmm20, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm20, %%zmm20, %%k1\n\t"
        "vmovaps %%zmm20, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm20\n\t"
        "vmaxps %%zmm26, %%zmm21, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm21, %%zmm21, %%k1\n\t"
        "vmovaps %%zmm21, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm21\n\t"
        "vmaxps %%zmm26, %%zmm22, %%zmm24\n\t"
        "vminps %%zmm27, %%zmm24, %%zmm24\n\t"
        "vcmpunordps %%zmm22, %%zmm22, %%k1\n\t"
        "vmovaps %%zmm22, %%zmm24%{%%k1%}\n\t"
        "vmovaps %%zmm24, %%zmm22\n\t"
        "vmaxps %%zmm26, %%zmm23, %%zmm25\n\t"
        "vminps %%zmm27, %%zmm25, %%zmm25\n\t"
        "vcmpunordps %%zmm23, %%zmm23, %%k1\n\t"
        "vmovaps %%zmm23, %%zmm25%{%%k1%}\n\t"
        "vmovaps %%zmm25, %%zmm23\n\t"
        "5:\n\t"
        "mov %[c], %[a0]\n\t"
        "mov %[ldc], %[a3]\n\t"
        "vmovups %%zmm0, (%[a0])\n\t"
        "vmovups %%zmm1, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm2, (%[a0])\n\t"
        "vmovups %%zmm3, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm4, (%[a0])\n\t"
        "vmovups %%zmm5, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm6, (%[a0])\n\t"
        "vmovups %%zmm7, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm8, (%[a0])\n\t"
        "vmovups %%zmm9, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm10, (%[a0])\n\t"
        "vmovups %%zmm11, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm12, (%[a0])\n\t"
        "vmovups %%zmm13, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm14, (%[a0])\n\t"
        "vmovups %%zmm15, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm16, (%[a0])\n\t"
        "vmovups %%zmm17, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm18, (%[a0])\n\t"
        "vmovups %%zmm19, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm20, (%[a0])\n\t"
        "vmovups %%zmm21, 64(%[a0])\n\t"
        "add %[a3], %[a0]\n\t"
        "vmovups %%zmm22, (%[a0])\n\t"
        "vmovups %%zmm23, 64(%[a0])\n\t"
        "jmp 4f\n\t"
        "3:\n\t"
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
        "vmovaps %%zmm23, 1472(%[acc])\n\t"
        "4:"
        : [rows] "+r"(rows), [ks] "+r"(ks), [w] "+r"(w), [a0] "=&r"(a0), [a3] "=&r"(a3), [a6] "=&r"(a6),
          [a9] "=&r"(a9), [k] "=&r"(k)
        : [kc] "r"(kc), [poff] "r"(poff_bytes), [ps] "r"(ps_bytes), [acc] "r"(acc), [store] "m"(store),
          [c] "m"(c), [ldc] "m"(ldc_bytes), [lo] "m"(lo), [hi] "m"(hi)
        : "memory", "cc", "k1", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27");
}
#define CK_SMALL_ASM 1
#endif


void ck_f32_conv_small_ukernel_12x32__avx512(size_t npix, size_t nr, size_t kc, size_t ks,
                                             const float *const *CK_RESTRICT rows, size_t ps,
                                             const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                             const ck_f32_clamp *clamp) {
    for (size_t p = 0; p < npix; p += CK_MR) {
        const __m512 bias0 = _mm512_load_ps(w), bias1 = _mm512_load_ps(w + 16);
        const size_t mr = npix - p < CK_MR ? npix - p : CK_MR;
#ifdef CK_SMALL_ASM
        if (CK_LIKELY(mr == CK_MR)) {
            __m512 acc[2 * CK_MR] __attribute__((aligned(64)));
            const size_t store = nr == 32 ? (clamp->enabled ? 2 : 1) : 0;
            ck_small_tile_12x32(kc, ks, rows, p * ps * sizeof(float), ps * sizeof(float), w, store, c + p * ldc,
                                ldc * sizeof(float), clamp->lo, clamp->hi, acc);
            if (!store) ck_store_tile_12x32(acc, mr, nr, c + p * ldc, ldc, clamp);
            continue;
        }
#endif
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
