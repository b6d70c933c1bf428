/* AVX2+FMA activations over spans, 8 values a vector: exp, sigmoid, silu (swish), tanh and
 * gelu (exact and approximate), elu, selu, softplus and mish with a
 * vector exp; every other kind goes to the scalar loops (ck_activate_span_f32). The same method
 * as csrc/x86/avx512/f32-activation-16.c (Cephes' expf polynomial), with 2^n built in the
 * exponent field as two factors 2^floor(n/2) * 2^(n - floor(n/2)), each a normal float, so
 * results down to the denormals come out right. The tail goes through a padded vector, so a
 * value's result does not depend on where it sits in a span. */
#include <string.h>

#include "convkit/activation.h"
#include "convkit/dispatch.h"

#include <immintrin.h>

CK_INLINE __m256 ck_pow2i8(__m256i e) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
}

CK_INLINE __m256 ck_exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.7228394f), lo = _mm256_set1_ps(-103.972084f);
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i ni = _mm256_cvtps_epi32(n), n1 = _mm256_srai_epi32(ni, 1);
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, ck_pow2i8(n1)), ck_pow2i8(_mm256_sub_epi32(ni, n1)));
    /* above the largest finite result +inf and below the smallest denormal 0, as expf; NaN stays */
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* 1 / (1 + e^-|x|) for x >= 0, e^-|x| / (1 + e^-|x|) below: the split of ck_sigmoid_f32. */
CK_INLINE __m256 ck_sigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    const __m256 e = ck_exp8(_mm256_sub_ps(_mm256_setzero_ps(), ax));
    const __m256 d = _mm256_add_ps(one, e);
    const __m256 num = _mm256_blendv_ps(one, e, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    return _mm256_blendv_ps(_mm256_div_ps(num, d), x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* Cephes' tanhf: an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) with the sign above. */
CK_INLINE __m256 ck_tanh8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x), z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(x, z), p, x);
    const __m256 e = ck_exp8(_mm256_add_ps(ax, ax));
    __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
    big = _mm256_or_ps(big, _mm256_and_ps(x, sign)); /* the sign of x */
    const __m256 y = _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* gelu(x) = x/2 (1 + erf(x/sqrt2)) as x/2 (2 - erfc(t)) for x >= 0 and x/2 erfc(t) below, t = |x|/sqrt2:
 * no cancellation in the negative tail. erfc(t) = e^-t^2 R(t), R fitted here (least squares on the
 * relative error, t in [0, 10.3]) as a degree-10 polynomial in u = 2 / (2 + t); e^-t^2 from the
 * rounded x^2/2 times 1 - (its rounding error, exact by FMA). */
CK_INLINE __m256 ck_gelu8(__m256 x) {
    const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f));
    const __m256 t = _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), z), _mm256_set1_ps(10.5f)); /* erfc(10.5) is 0 in float */
    const __m256 u = _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(_mm256_set1_ps(2.0f), t));
    __m256 r = _mm256_set1_ps(2.385141142e-02f);
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(-1.889318526e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(5.915135741e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(-9.005070925e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(6.279191971e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(-2.204166651e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(2.735662162e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(2.262575775e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(2.848587632e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(2.818816900e-01f));
    r = _mm256_fmadd_ps(r, u, _mm256_set1_ps(7.163786904e-06f));
    /* t^2 = x^2 / 2 from x itself (exact as a pair by FMA): rounding x/sqrt2 first cost up to
     * ~180 ulp of e^-t^2 in the far negative tail */
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-15.0f)), _mm256_set1_ps(15.0f)); /* inf: no NaN */
    const __m256 xx = _mm256_mul_ps(xc, xc);
    const __m256 t2 = _mm256_mul_ps(xx, _mm256_set1_ps(0.5f));
    const __m256 t2lo = _mm256_mul_ps(_mm256_fmsub_ps(xc, xc, xx), _mm256_set1_ps(0.5f));
    __m256 e = ck_exp8(_mm256_sub_ps(_mm256_setzero_ps(), t2));
    e = _mm256_fnmadd_ps(e, t2lo, e);
    const __m256 ec = _mm256_mul_ps(e, r);
    const __m256 y = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_blendv_ps(ec, _mm256_sub_ps(_mm256_set1_ps(2.0f), ec), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ)));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* e^x - 1: below |x| = 0.5 the Taylor series to x^8 (the next term is under 1e-8 of the
 * result), where e^x - 1 would cancel; above, the vector exp minus 1. */
CK_INLINE __m256 ck_expm1_8(__m256 x) {
    __m256 p = _mm256_set1_ps(1.0f / 40320.0f);
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 5040.0f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(0.5f));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(x, x), p, x);
    const __m256 big = _mm256_sub_ps(ck_exp8(x), _mm256_set1_ps(1.0f));
    const __m256 y = _mm256_blendv_ps(big, small, _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(0.5f), _CMP_LT_OQ));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* log1p(y) for 0 <= y <= 1: u = 1 + y, log u = e ln2 + log(1 + m - 1) with u = 2^e m and m within
 * [sqrt(1/2), sqrt(2)] (m - 1 exact), log(1 + s) = s - s^2/2 + s^3 Q(s), Q of degree 8 fitted here for
 * relative error; then + (y - (u - 1)) / u for what rounding 1 + y lost. */
CK_INLINE __m256 ck_log1p01_8(__m256 y) {
    const __m256 u = _mm256_add_ps(_mm256_set1_ps(1.0f), y);
    const __m256 upper = _mm256_cmp_ps(u, _mm256_set1_ps(1.41421356f), _CMP_GT_OQ);
    const __m256 mm = _mm256_blendv_ps(u, _mm256_mul_ps(u, _mm256_set1_ps(0.5f)), upper);
    const __m256 e = _mm256_and_ps(upper, _mm256_set1_ps(1.0f));
    const __m256 m = _mm256_sub_ps(mm, _mm256_set1_ps(1.0f));
    __m256 q = _mm256_set1_ps(6.607418507e-02f);
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(-1.150657758e-01f));
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(1.185741350e-01f));
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(-1.242961809e-01f));
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(1.422647238e-01f));
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(-1.666700244e-01f));
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(2.000177950e-01f));
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(-2.500002086e-01f));
    q = _mm256_fmadd_ps(q, m, _mm256_set1_ps(3.333331645e-01f));
    const __m256 m2 = _mm256_mul_ps(m, m);
    __m256 r = _mm256_fmadd_ps(_mm256_mul_ps(m2, m), q, _mm256_fnmadd_ps(_mm256_set1_ps(0.5f), m2, m));
    r = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), r);
    r = _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), r);
    return _mm256_add_ps(r, _mm256_div_ps(_mm256_sub_ps(y, _mm256_sub_ps(u, _mm256_set1_ps(1.0f))), u));
}

/* softplus(x) = log1p(e^-|x|) + max(x, 0), as ck_softplus_f32. */
CK_INLINE __m256 ck_softplus8(__m256 x) {
    const __m256 y = _mm256_add_ps(ck_log1p01_8(ck_exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x)))),
                               _mm256_max_ps(x, _mm256_setzero_ps()));
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

CK_INLINE __m256 ck_act8(__m256 v, int kind, float alpha) {
    switch (kind) {
    case CK_ACT_EXPONENTIAL: return ck_exp8(v);
    case CK_ACT_SIGMOID: return ck_sigmoid8(v);
    case CK_ACT_SILU: return _mm256_mul_ps(v, ck_sigmoid8(v));
    case CK_ACT_TANH: return ck_tanh8(v);
    case CK_ACT_GELU_ERF: return ck_gelu8(v);
    case CK_ACT_SOFTPLUS: return ck_softplus8(v);
    case CK_ACT_MISH: return _mm256_mul_ps(v, ck_tanh8(ck_softplus8(v)));
    case CK_ACT_ELU: return _mm256_blendv_ps(_mm256_mul_ps(_mm256_set1_ps(alpha), ck_expm1_8(v)), v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ));
    case CK_ACT_SELU: return _mm256_mul_ps(_mm256_set1_ps(1.0507009873554805f), _mm256_blendv_ps(_mm256_mul_ps(_mm256_set1_ps(1.6732632423543772f), ck_expm1_8(v)), v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ)));
    default: { /* gelu(approximate=True), in the scalar formula's order */
        const __m256 inner = _mm256_mul_ps(
            _mm256_set1_ps(0.7978845608028654f),
            _mm256_add_ps(v, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), v), v), v)));
        return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), ck_tanh8(inner)));
    }
    }
}

void ck_f32_activate_span__avx2(float *x, size_t n, ck_activation act) {
    const int kind = act.kind;
    if (kind != CK_ACT_EXPONENTIAL && kind != CK_ACT_SIGMOID && kind != CK_ACT_SILU && kind != CK_ACT_TANH &&
        kind != CK_ACT_GELU_TANH && kind != CK_ACT_GELU_ERF && kind != CK_ACT_ELU && kind != CK_ACT_SELU &&
        kind != CK_ACT_SOFTPLUS && kind != CK_ACT_MISH) {
        ck_activate_span_f32(x, n, act);
        return;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, ck_act8(_mm256_loadu_ps(x + i), kind, act.alpha));
    if (i < n) {
        float tail[8] = {0};
        memcpy(tail, x + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(tail, ck_act8(_mm256_loadu_ps(tail), kind, act.alpha));
        memcpy(x + i, tail, (n - i) * sizeof(float));
    }
}
