/* AVX-512F activations over spans, 16 values a vector (the formulas: csrc/x86/f32-activation-math.h).
 * Through libm's scalar expf a sigmoid over 6.4M values took ~60 ms, against ~10 ms for NumPy.
 * 2^n is applied with scalef. The tail is a masked vector, so a value's result does not depend
 * on where it sits in a span. */
#include <immintrin.h>

#include "convkit/activation.h"
#include "convkit/dispatch.h"

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

#include "../f32-activation-math.h"

void ck_f32_activate_span__avx512(float *x, size_t n, ck_activation act) {
    const int kind = act.kind;
    if (!ck_act_v_has(kind)) {
        ck_activate_span_f32(x, n, act);
        return;
    }
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, ck_act_v(_mm512_loadu_ps(x + i), kind, act.alpha));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(x + i, m, ck_act_v(_mm512_maskz_loadu_ps(m, x + i), kind, act.alpha));
    }
}
