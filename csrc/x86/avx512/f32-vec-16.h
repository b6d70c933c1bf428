/* The AVX-512F vector type and operations that the shared vector formulas are written over
 * (csrc/x86/f32-activation-math.h, f32-rnn-gates.h): 16 lanes, masks in k registers, 2^n by
 * scalef. Included by the AVX-512 files that use those formulas. */
#ifndef CK_X86_AVX512_F32_VEC_16_H
#define CK_X86_AVX512_F32_VEC_16_H

#include <immintrin.h>

#define CK_W 16

#define CK_V __m512
#define CK_MASK __mmask16
#define CK_V_SET1(c) _mm512_set1_ps(c)
#define CK_V_ZERO() _mm512_setzero_ps()
#define CK_V_ADD _mm512_add_ps
#define CK_V_SUB _mm512_sub_ps
#define CK_V_MUL _mm512_mul_ps
#define CK_V_DIV _mm512_div_ps
#define CK_V_MIN _mm512_min_ps
#define CK_V_MAX _mm512_max_ps
#define CK_V_AND _mm512_and_ps
#define CK_V_OR _mm512_or_ps
#define CK_V_FMADD _mm512_fmadd_ps
#define CK_V_FNMADD _mm512_fnmadd_ps
#define CK_V_FMSUB _mm512_fmsub_ps
#define CK_V_ABS _mm512_abs_ps
#define CK_V_ROUND(a) _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define CK_V_SCALE2(p, n) _mm512_scalef_ps(p, n)
#define CK_V_GT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define CK_V_GE(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ)
#define CK_V_LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define CK_V_UNORD(a) _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q)
#define CK_V_SELECT(m, a, b) _mm512_mask_mov_ps(b, m, a) /* m ? a : b */
#define CK_V_LOADU _mm512_loadu_ps
#define CK_V_STOREU _mm512_storeu_ps

#endif
