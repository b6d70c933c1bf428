/* Packing an A block for the 6x16 AVX2 microkernel (and the AVX-512 12x32 one, below): rows i0..i0+5 of A become one panel of kc
 * k-slices of 6 floats. The portable packer moves one float at a time, 12 memory operations per
 * k; here eight k-steps of six rows are loaded as six vectors and transposed in registers
 * (unpack pairs of rows, then shuffle pairs of pairs), so a k-slice costs about two stores.
 * Profiling 1024^3 SGEMM on Zen 3 put the portable packer at about 3% of the time. */
#include <immintrin.h>

#include "convkit/gemm.h"

/* Six rows, eight k-steps from column k: k-slice j (six floats) goes to dst + j * ld. */
CK_INLINE void ck_pack_6x8(const float *r0, const float *r1, const float *r2, const float *r3, const float *r4,
                           const float *r5, float *dst, size_t ld) {
    const __m256 x0 = _mm256_loadu_ps(r0), x1 = _mm256_loadu_ps(r1), x2 = _mm256_loadu_ps(r2);
    const __m256 x3 = _mm256_loadu_ps(r3), x4 = _mm256_loadu_ps(r4), x5 = _mm256_loadu_ps(r5);
    /* Rows named a..f: t01lo = a0 b0 a1 b1 | a4 b4 a5 b5, t01hi = a2 b2 a3 b3 | a6 b6 a7 b7, ... */
    const __m256 t01lo = _mm256_unpacklo_ps(x0, x1), t01hi = _mm256_unpackhi_ps(x0, x1);
    const __m256 t23lo = _mm256_unpacklo_ps(x2, x3), t23hi = _mm256_unpackhi_ps(x2, x3);
    const __m256 t45lo = _mm256_unpacklo_ps(x4, x5), t45hi = _mm256_unpackhi_ps(x4, x5);
    /* q0 = a0 b0 c0 d0 | a4 b4 c4 d4, q1 the same for k = 1 | 5, q2 for 2 | 6, q3 for 3 | 7. */
    const __m256 q0 = _mm256_shuffle_ps(t01lo, t23lo, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 q1 = _mm256_shuffle_ps(t01lo, t23lo, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 q2 = _mm256_shuffle_ps(t01hi, t23hi, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 q3 = _mm256_shuffle_ps(t01hi, t23hi, _MM_SHUFFLE(3, 2, 3, 2));
    /* e,f pairs: t45lo holds (e0 f0)(e1 f1) | (e4 f4)(e5 f5), t45hi the same for 2,3 | 6,7. */
    const __m128 ef01 = _mm256_castps256_ps128(t45lo), ef45 = _mm256_extractf128_ps(t45lo, 1);
    const __m128 ef23 = _mm256_castps256_ps128(t45hi), ef67 = _mm256_extractf128_ps(t45hi, 1);
    _mm_storeu_ps(dst, _mm256_castps256_ps128(q0));
    _mm_storel_pi((__m64 *)(dst + 4), ef01);
    _mm_storeu_ps(dst + 1 * ld, _mm256_castps256_ps128(q1));
    _mm_storeh_pi((__m64 *)(dst + 1 * ld + 4), ef01);
    _mm_storeu_ps(dst + 2 * ld, _mm256_castps256_ps128(q2));
    _mm_storel_pi((__m64 *)(dst + 2 * ld + 4), ef23);
    _mm_storeu_ps(dst + 3 * ld, _mm256_castps256_ps128(q3));
    _mm_storeh_pi((__m64 *)(dst + 3 * ld + 4), ef23);
    _mm_storeu_ps(dst + 4 * ld, _mm256_extractf128_ps(q0, 1));
    _mm_storel_pi((__m64 *)(dst + 4 * ld + 4), ef45);
    _mm_storeu_ps(dst + 5 * ld, _mm256_extractf128_ps(q1, 1));
    _mm_storeh_pi((__m64 *)(dst + 5 * ld + 4), ef45);
    _mm_storeu_ps(dst + 6 * ld, _mm256_extractf128_ps(q2, 1));
    _mm_storel_pi((__m64 *)(dst + 6 * ld + 4), ef67);
    _mm_storeu_ps(dst + 7 * ld, _mm256_extractf128_ps(q3, 1));
    _mm_storeh_pi((__m64 *)(dst + 7 * ld + 4), ef67);
}

void ck_f32_gemm_pack_a_6__avx2(size_t mc, size_t kc, const float *CK_RESTRICT a, size_t lda,
                                float *CK_RESTRICT dst) {
    size_t i0 = 0;
    for (; i0 + 6 <= mc; i0 += 6) {
        const float *r0 = a + i0 * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda, *r4 = r3 + lda,
                    *r5 = r4 + lda;
        /* The six rows are far apart (a few KiB when A is a big matrix) and each is read for only
         * kc floats, too short for the hardware prefetchers to follow: fetch the next panel's
         * rows one cache line at a time while this one is packed. */
        const int prefetch = i0 + 12 <= mc;
        const float *n0 = r0 + 6 * lda;
        size_t k = 0;
        for (; k + 8 <= kc; k += 8, dst += 48) {
            if (prefetch && k % 16 == 0)
                for (int i = 0; i < 6; i++) _mm_prefetch((const char *)(n0 + i * lda + k), _MM_HINT_T0);
            ck_pack_6x8(r0 + k, r1 + k, r2 + k, r3 + k, r4 + k, r5 + k, dst, 6);
        }
        for (; k < kc; k++, dst += 6) {
            dst[0] = r0[k], dst[1] = r1[k], dst[2] = r2[k];
            dst[3] = r3[k], dst[4] = r4[k], dst[5] = r5[k];
        }
    }
    /* The ragged last panel (fewer than six rows): the portable packer pads it with zeros. */
    if (i0 < mc) ck_f32_gemm_pack_a(mc - i0, kc, 6, a + i0 * lda, lda, dst);
}

/* The AVX-512 12x32 kernel's A panels (12 floats a k-slice) from the same six-row transposes,
 * each k-slice written in two halves; AVX2 code, which every AVX-512 CPU runs. */
void ck_f32_gemm_pack_a_12__avx2(size_t mc, size_t kc, const float *CK_RESTRICT a, size_t lda,
                                 float *CK_RESTRICT dst) {
    size_t i0 = 0;
    for (; i0 + 12 <= mc; i0 += 12) {
        const float *r0 = a + i0 * lda, *r6 = r0 + 6 * lda;
        const int prefetch = i0 + 24 <= mc;
        const float *n0 = r0 + 12 * lda;
        size_t k = 0;
        for (; k + 8 <= kc; k += 8, dst += 96) {
            if (prefetch && k % 16 == 0)
                for (int i = 0; i < 12; i++) _mm_prefetch((const char *)(n0 + i * lda + k), _MM_HINT_T0);
            ck_pack_6x8(r0 + k, r0 + lda + k, r0 + 2 * lda + k, r0 + 3 * lda + k, r0 + 4 * lda + k,
                        r0 + 5 * lda + k, dst, 12);
            ck_pack_6x8(r6 + k, r6 + lda + k, r6 + 2 * lda + k, r6 + 3 * lda + k, r6 + 4 * lda + k,
                        r6 + 5 * lda + k, dst + 6, 12);
        }
        for (; k < kc; k++, dst += 12)
            for (int i = 0; i < 12; i++) dst[i] = r0[i * lda + k];
    }
    if (i0 < mc) ck_f32_gemm_pack_a(mc - i0, kc, 12, a + i0 * lda, lda, dst);
}
