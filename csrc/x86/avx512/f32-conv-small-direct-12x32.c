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
 * stored to acc for the C epilogue; the same FMAs in the same order as the intrinsic loop. */
static void ck_small_tile_12x32(size_t kc, size_t ks, const float *const *rows, size_t poff_bytes,
                                size_t ps_bytes, const float *w, __m512 *acc) {
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
        "vmovaps %%zmm23, 1472(%[acc])"
        : [rows] "+r"(rows), [ks] "+r"(ks), [w] "+r"(w), [a0] "=&r"(a0), [a3] "=&r"(a3), [a6] "=&r"(a6),
          [a9] "=&r"(a9), [k] "=&r"(k)
        : [kc] "r"(kc), [poff] "r"(poff_bytes), [ps] "r"(ps_bytes), [acc] "r"(acc)
        : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27");
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
            ck_small_tile_12x32(kc, ks, rows, p * ps * sizeof(float), ps * sizeof(float), w, acc);
            ck_store_tile_12x32(acc, mr, nr, c + p * ldc, ldc, clamp);
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
