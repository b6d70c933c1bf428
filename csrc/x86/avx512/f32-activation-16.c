/* AVX-512F activations over spans, 16 values a vector: exp, sigmoid, silu (swish), tanh and
 * gelu (exact and approximate), elu, selu, softplus and mish with a
 * vector exp instead of libm's scalar expf (a sigmoid over 6.4M values: ~60 ms through libm,
 * against ~10 ms for NumPy); every other kind goes to the scalar loops (ck_activate_span_f32).
 * The tail is a masked vector, so a value's result does not depend on where it sits in a span.
 *
 * exp(x) = 2^n * e^r with n = round(x / ln 2) and r = x - n ln 2 (ln 2 split in two so r is
 * exact), e^r on [-ln2/2, ln2/2] by the degree-7 polynomial of Cephes' expf (S. Moshier),
 * 2^n applied with scalef, which also gives the denormal results down to exp(-103.97). Within
 * 2 ulp of exp in the normal range (tested against double precision in tests/c). */
#include "convkit/activation.h"
#include "convkit/dispatch.h"

#include <immintrin.h>

CK_INLINE __m512 ck_exp16(__m512 x) {
    const __m512 hi = _mm512_set1_ps(88.7228394f), lo = _mm512_set1_ps(-103.972084f);
    const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512 y = _mm512_scalef_ps(p, n);
    /* above the largest finite result +inf and below the smallest denormal 0, as expf; NaN stays */
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), _mm512_set1_ps(INFINITY));
    y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps());
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* 1 / (1 + e^-|x|) for x >= 0, e^-|x| / (1 + e^-|x|) below: the split of ck_sigmoid_f32. */
CK_INLINE __m512 ck_sigmoid16(__m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 e = ck_exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)));
    const __m512 d = _mm512_add_ps(one, e);
    const __m512 num = _mm512_mask_mov_ps(one, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), e);
    const __m512 y = _mm512_div_ps(num, d);
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* Cephes' tanhf: an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) with the sign above. */
CK_INLINE __m512 ck_tanh16(__m512 x) {
    const __m512 ax = _mm512_abs_ps(x), z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
    const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(x, z), p, x);
    const __m512 e = ck_exp16(_mm512_add_ps(ax, ax));
    __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.0f), _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, _mm512_set1_ps(1.0f))));
    big = _mm512_or_ps(big, _mm512_and_ps(x, _mm512_set1_ps(-0.0f))); /* the sign of x */
    const __m512 y = _mm512_mask_mov_ps(big, _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ), small);
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* gelu(x) = x/2 (1 + erf(x/sqrt2)) as x/2 (2 - erfc(t)) for x >= 0 and x/2 erfc(t) below, t = |x|/sqrt2:
 * no cancellation in the negative tail. erfc(t) = e^-t^2 R(t), R fitted here (least squares on the
 * relative error, t in [0, 10.3]) as a degree-10 polynomial in u = 2 / (2 + t); e^-t^2 from the
 * rounded x^2/2 times 1 - (its rounding error, exact by FMA). */
CK_INLINE __m512 ck_gelu16(__m512 x) {
    const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
    const __m512 t = _mm512_min_ps(_mm512_abs_ps(z), _mm512_set1_ps(10.5f)); /* erfc(10.5) is 0 in float */
    const __m512 u = _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(_mm512_set1_ps(2.0f), t));
    __m512 r = _mm512_set1_ps(2.385141142e-02f);
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(-1.889318526e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(5.915135741e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(-9.005070925e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(6.279191971e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(-2.204166651e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(2.735662162e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(2.262575775e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(2.848587632e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(2.818816900e-01f));
    r = _mm512_fmadd_ps(r, u, _mm512_set1_ps(7.163786904e-06f));
    /* t^2 = x^2 / 2 from x itself (exact as a pair by FMA): rounding x/sqrt2 first cost up to
     * ~180 ulp of e^-t^2 in the far negative tail */
    const __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-15.0f)), _mm512_set1_ps(15.0f)); /* inf: no NaN */
    const __m512 xx = _mm512_mul_ps(xc, xc);
    const __m512 t2 = _mm512_mul_ps(xx, _mm512_set1_ps(0.5f));
    const __m512 t2lo = _mm512_mul_ps(_mm512_fmsub_ps(xc, xc, xx), _mm512_set1_ps(0.5f));
    __m512 e = ck_exp16(_mm512_sub_ps(_mm512_setzero_ps(), t2));
    e = _mm512_fnmadd_ps(e, t2lo, e);
    const __m512 ec = _mm512_mul_ps(e, r);
    const __m512 y = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), _mm512_mask_mov_ps(ec, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), _mm512_sub_ps(_mm512_set1_ps(2.0f), ec)));
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* e^x - 1: below |x| = 0.5 the Taylor series to x^8 (the next term is under 1e-8 of the
 * result), where e^x - 1 would cancel; above, the vector exp minus 1. */
CK_INLINE __m512 ck_expm1_16(__m512 x) {
    __m512 p = _mm512_set1_ps(1.0f / 40320.0f);
    p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(1.0f / 5040.0f));
    p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, x, _mm512_set1_ps(0.5f));
    const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(x, x), p, x);
    const __m512 big = _mm512_sub_ps(ck_exp16(x), _mm512_set1_ps(1.0f));
    const __m512 y = _mm512_mask_mov_ps(big, _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(0.5f), _CMP_LT_OQ), small);
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

/* log1p(y) for 0 <= y <= 1: u = 1 + y, log u = e ln2 + log(1 + m - 1) with u = 2^e m and m within
 * [sqrt(1/2), sqrt(2)] (m - 1 exact), log(1 + s) = s - s^2/2 + s^3 Q(s), Q of degree 8 fitted here for
 * relative error; then + (y - (u - 1)) / u for what rounding 1 + y lost. */
CK_INLINE __m512 ck_log1p01_16(__m512 y) {
    const __m512 u = _mm512_add_ps(_mm512_set1_ps(1.0f), y);
    const __mmask16 upper = _mm512_cmp_ps_mask(u, _mm512_set1_ps(1.41421356f), _CMP_GT_OQ);
    const __m512 mm = _mm512_mask_mul_ps(u, upper, u, _mm512_set1_ps(0.5f));
    const __m512 e = _mm512_mask_mov_ps(_mm512_setzero_ps(), upper, _mm512_set1_ps(1.0f));
    const __m512 m = _mm512_sub_ps(mm, _mm512_set1_ps(1.0f));
    __m512 q = _mm512_set1_ps(6.607418507e-02f);
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(-1.150657758e-01f));
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(1.185741350e-01f));
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(-1.242961809e-01f));
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(1.422647238e-01f));
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(-1.666700244e-01f));
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(2.000177950e-01f));
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(-2.500002086e-01f));
    q = _mm512_fmadd_ps(q, m, _mm512_set1_ps(3.333331645e-01f));
    const __m512 m2 = _mm512_mul_ps(m, m);
    __m512 r = _mm512_fmadd_ps(_mm512_mul_ps(m2, m), q, _mm512_fnmadd_ps(_mm512_set1_ps(0.5f), m2, m));
    r = _mm512_fmadd_ps(e, _mm512_set1_ps(-2.12194440e-4f), r);
    r = _mm512_fmadd_ps(e, _mm512_set1_ps(0.693359375f), r);
    return _mm512_add_ps(r, _mm512_div_ps(_mm512_sub_ps(y, _mm512_sub_ps(u, _mm512_set1_ps(1.0f))), u));
}

/* softplus(x) = log1p(e^-|x|) + max(x, 0), as ck_softplus_f32. */
CK_INLINE __m512 ck_softplus16(__m512 x) {
    const __m512 y = _mm512_add_ps(ck_log1p01_16(ck_exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)))),
                               _mm512_max_ps(x, _mm512_setzero_ps()));
    return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

CK_INLINE __m512 ck_act16(__m512 v, int kind, float alpha) {
    switch (kind) {
    case CK_ACT_EXPONENTIAL: return ck_exp16(v);
    case CK_ACT_SIGMOID: return ck_sigmoid16(v);
    case CK_ACT_SILU: return _mm512_mul_ps(v, ck_sigmoid16(v));
    case CK_ACT_TANH: return ck_tanh16(v);
    case CK_ACT_GELU_ERF: return ck_gelu16(v);
    case CK_ACT_SOFTPLUS: return ck_softplus16(v);
    case CK_ACT_MISH: return _mm512_mul_ps(v, ck_tanh16(ck_softplus16(v)));
    case CK_ACT_ELU: return _mm512_mask_mov_ps(_mm512_mul_ps(_mm512_set1_ps(alpha), ck_expm1_16(v)), _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ), v);
    case CK_ACT_SELU: return _mm512_mul_ps(_mm512_set1_ps(1.0507009873554805f), _mm512_mask_mov_ps(_mm512_mul_ps(_mm512_set1_ps(1.6732632423543772f), ck_expm1_16(v)), _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ), v));
    default: { /* gelu(approximate=True), in the scalar formula's order */
        const __m512 inner = _mm512_mul_ps(
            _mm512_set1_ps(0.7978845608028654f),
            _mm512_add_ps(v, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), v), v), v)));
        return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.0f), ck_tanh16(inner)));
    }
    }
}

void ck_f32_activate_span__avx512(float *x, size_t n, ck_activation act) {
    const int kind = act.kind;
    if (kind != CK_ACT_EXPONENTIAL && kind != CK_ACT_SIGMOID && kind != CK_ACT_SILU && kind != CK_ACT_TANH &&
        kind != CK_ACT_GELU_TANH && kind != CK_ACT_GELU_ERF && kind != CK_ACT_ELU && kind != CK_ACT_SELU &&
        kind != CK_ACT_SOFTPLUS && kind != CK_ACT_MISH) {
        ck_activate_span_f32(x, n, act);
        return;
    }
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, ck_act16(_mm512_loadu_ps(x + i), kind, act.alpha));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(x + i, m, ck_act16(_mm512_maskz_loadu_ps(m, x + i), kind, act.alpha));
    }
}
