/* The AVX2+FMA vector type and operations that the shared vector formulas are written over
 * (csrc/x86/f32-activation-math.h, f32-rnn-gates.h): 8 lanes, masks as all-ones lanes, 2^n built
 * in the exponent field as two factors 2^floor(n/2) * 2^(n - floor(n/2)), each a normal float, so
 * results down to the denormals come out right. Included by the AVX2 files that use those
 * formulas. */
#ifndef CK_X86_AVX2_F32_VEC_8_H
#define CK_X86_AVX2_F32_VEC_8_H

#include <immintrin.h>

#include "convkit/activation.h"

#define CK_W 8

CK_INLINE __m256 ck_pow2i8(__m256i e) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
}

CK_INLINE __m256 ck_scale2_8(__m256 p, __m256 n) {
    const __m256i ni = _mm256_cvtps_epi32(n), n1 = _mm256_srai_epi32(ni, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, ck_pow2i8(n1)), ck_pow2i8(_mm256_sub_epi32(ni, n1)));
}

#define CK_V __m256
#define CK_MASK __m256
#define CK_V_SET1(c) _mm256_set1_ps(c)
#define CK_V_ZERO() _mm256_setzero_ps()
#define CK_V_ADD _mm256_add_ps
#define CK_V_SUB _mm256_sub_ps
#define CK_V_MUL _mm256_mul_ps
#define CK_V_DIV _mm256_div_ps
#define CK_V_MIN _mm256_min_ps
#define CK_V_MAX _mm256_max_ps
#define CK_V_AND _mm256_and_ps
#define CK_V_OR _mm256_or_ps
#define CK_V_FMADD _mm256_fmadd_ps
#define CK_V_FNMADD _mm256_fnmadd_ps
#define CK_V_FMSUB _mm256_fmsub_ps
#define CK_V_ABS(a) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a)
#define CK_V_ROUND(a) _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define CK_V_SCALE2(p, n) ck_scale2_8(p, n)
#define CK_V_GT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define CK_V_GE(a, b) _mm256_cmp_ps(a, b, _CMP_GE_OQ)
#define CK_V_LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define CK_V_UNORD(a) _mm256_cmp_ps(a, a, _CMP_UNORD_Q)
#define CK_V_SELECT(m, a, b) _mm256_blendv_ps(b, a, m) /* m ? a : b */
#define CK_V_LOADU _mm256_loadu_ps
#define CK_V_STOREU _mm256_storeu_ps

#endif
