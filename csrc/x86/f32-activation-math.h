/* Vector activations, written once for the AVX2 (8 lanes) and AVX-512 (16 lanes) paths:
 * csrc/x86/avx2/f32-activation-8.c and csrc/x86/avx512/f32-activation-16.c define the vector
 * type and operations below, then include this file, which defines ck_act_v(v, kind, alpha).
 *
 * - exp(x) = 2^n e^r, n = round(x / ln 2), r = x - n ln 2 (ln 2 in two parts so r is exact), e^r
 *   on [-ln2/2, ln2/2] by the polynomial of Cephes' expf (S. Moshier); 2^n by the path's
 *   CK_V_SCALE2, which reaches the denormals down to exp(-103.97).
 * - sigmoid with the sign split of ck_sigmoid_f32; silu = x sigmoid(x).
 * - tanh as Cephes' tanhf: an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) above.
 * - gelu (exact) as x/2 (2 - erfc(t)) for x >= 0 and x/2 erfc(t) below, t = |x|/sqrt2, so the
 *   negative tail does not cancel; erfc(t) = e^-t^2 R(t), R a degree-10 polynomial in
 *   u = 2 / (2 + t) fitted for relative error on [0, 10.3]; e^-t^2 from the rounded x^2/2 times
 *   1 - (its rounding error, exact by FMA). gelu(approximate=True) as x sigmoid(2u), u the
 *   tanh formula's argument (= x (1 + tanh u) / 2 without its cancellation for negative x).
 * - elu, selu through expm1: the Taylor series to x^8 below |x| = 0.5, exp minus 1 above.
 * - softplus = log1p(e^-|x|) + max(x, 0), log1p on [0, 1] from u = 1 + y = 2^e m, m within
 *   [sqrt(1/2), sqrt(2)], log(1 + s) = s - s^2/2 + s^3 Q(s) with Q of degree 8 fitted for relative
 *   error, plus (y - (u - 1)) / u; mish = x tanh(softplus(x)).
 * NaN goes through as NaN everywhere. Accuracy against double precision is tested in
 * tests/c/test_kernels.c (test_activation_span). */
#ifndef CK_X86_F32_ACTIVATION_MATH_H
#define CK_X86_F32_ACTIVATION_MATH_H

#define CK_V_C(c) CK_V_SET1(c)
#define CK_V_KEEP_NAN(y, x) CK_V_SELECT(CK_V_UNORD(x), x, y)

CK_INLINE CK_V ck_exp_v(CK_V x) {
    const CK_V hi = CK_V_C(88.7228394f), lo = CK_V_C(-103.972084f);
    const CK_V xc = CK_V_MIN(CK_V_MAX(x, lo), hi);
    const CK_V n = CK_V_ROUND(CK_V_MUL(xc, CK_V_C(1.44269504088896341f)));
    CK_V r = CK_V_FNMADD(n, CK_V_C(0.693359375f), xc);
    r = CK_V_FNMADD(n, CK_V_C(-2.12194440e-4f), r);
    CK_V p = CK_V_C(1.9875691500e-4f);
    p = CK_V_FMADD(p, r, CK_V_C(1.3981999507e-3f));
    p = CK_V_FMADD(p, r, CK_V_C(8.3334519073e-3f));
    p = CK_V_FMADD(p, r, CK_V_C(4.1665795894e-2f));
    p = CK_V_FMADD(p, r, CK_V_C(1.6666665459e-1f));
    p = CK_V_FMADD(p, r, CK_V_C(5.0000001201e-1f));
    p = CK_V_FMADD(p, CK_V_MUL(r, r), CK_V_ADD(r, CK_V_C(1.0f)));
    CK_V y = CK_V_SCALE2(p, n);
    /* above the largest finite result +inf, below the smallest denormal 0, as expf */
    y = CK_V_SELECT(CK_V_GT(x, hi), CK_V_C(INFINITY), y);
    y = CK_V_SELECT(CK_V_LT(x, lo), CK_V_ZERO(), y);
    return CK_V_KEEP_NAN(y, x);
}

CK_INLINE CK_V ck_sigmoid_v(CK_V x) {
    const CK_V one = CK_V_C(1.0f);
    const CK_V e = ck_exp_v(CK_V_SUB(CK_V_ZERO(), CK_V_ABS(x)));
    const CK_V num = CK_V_SELECT(CK_V_LT(x, CK_V_ZERO()), e, one);
    return CK_V_KEEP_NAN(CK_V_DIV(num, CK_V_ADD(one, e)), x);
}

CK_INLINE CK_V ck_tanh_v(CK_V x) {
    const CK_V ax = CK_V_ABS(x), z = CK_V_MUL(x, x);
    CK_V p = CK_V_C(-5.70498872745e-3f);
    p = CK_V_FMADD(p, z, CK_V_C(2.06390887954e-2f));
    p = CK_V_FMADD(p, z, CK_V_C(-5.37397155531e-2f));
    p = CK_V_FMADD(p, z, CK_V_C(1.33314422036e-1f));
    p = CK_V_FMADD(p, z, CK_V_C(-3.33332819422e-1f));
    const CK_V small = CK_V_FMADD(CK_V_MUL(x, z), p, x);
    const CK_V e = ck_exp_v(CK_V_ADD(ax, ax));
    CK_V big = CK_V_SUB(CK_V_C(1.0f), CK_V_DIV(CK_V_C(2.0f), CK_V_ADD(e, CK_V_C(1.0f))));
    big = CK_V_OR(big, CK_V_AND(x, CK_V_C(-0.0f))); /* the sign of x */
    return CK_V_KEEP_NAN(CK_V_SELECT(CK_V_LT(ax, CK_V_C(0.625f)), small, big), x);
}

CK_INLINE CK_V ck_gelu_v(CK_V x) {
    const CK_V z = CK_V_MUL(x, CK_V_C(0.70710678118654752f));
    const CK_V t = CK_V_MIN(CK_V_ABS(z), CK_V_C(10.5f)); /* erfc(10.5) is 0 in float */
    const CK_V u = CK_V_DIV(CK_V_C(2.0f), CK_V_ADD(CK_V_C(2.0f), t));
    CK_V r = CK_V_C(2.385141142e-02f);
    r = CK_V_FMADD(r, u, CK_V_C(-1.889318526e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(5.915135741e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(-9.005070925e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(6.279191971e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(-2.204166651e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(2.735662162e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(2.262575775e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(2.848587632e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(2.818816900e-01f));
    r = CK_V_FMADD(r, u, CK_V_C(7.163786904e-06f));
    /* t^2 = x^2 / 2 from x itself, exact as a pair by FMA (rounding x/sqrt2 first cost up to ~180
     * ulp of e^-t^2 in the far negative tail); x clamped so infinities make no NaN */
    const CK_V xc = CK_V_MIN(CK_V_MAX(x, CK_V_C(-15.0f)), CK_V_C(15.0f));
    const CK_V xx = CK_V_MUL(xc, xc);
    const CK_V t2 = CK_V_MUL(xx, CK_V_C(0.5f));
    const CK_V t2lo = CK_V_MUL(CK_V_FMSUB(xc, xc, xx), CK_V_C(0.5f));
    CK_V e = ck_exp_v(CK_V_SUB(CK_V_ZERO(), t2));
    e = CK_V_FNMADD(e, t2lo, e);
    const CK_V ec = CK_V_MUL(e, r);
    const CK_V s = CK_V_SELECT(CK_V_GE(x, CK_V_ZERO()), CK_V_SUB(CK_V_C(2.0f), ec), ec);
    return CK_V_KEEP_NAN(CK_V_MUL(CK_V_MUL(CK_V_C(0.5f), x), s), x);
}

/* 0.5 v (1 + tanh(u)) as v sigmoid(2u), the same function: 1 + tanh(u) cancels where u is
 * negative (about -3 and below), 2 sigmoid(2u) = 2 / (1 + e^-2u) does not. */
CK_INLINE CK_V ck_gelu_tanh_v(CK_V v) {
    const CK_V cube = CK_V_MUL(CK_V_MUL(CK_V_MUL(CK_V_C(0.044715f), v), v), v);
    const CK_V inner2 = CK_V_MUL(CK_V_C(2.0f * 0.7978845608028654f), CK_V_ADD(v, cube));
    return CK_V_MUL(v, ck_sigmoid_v(inner2));
}

CK_INLINE CK_V ck_expm1_v(CK_V x) {
    CK_V p = CK_V_C(1.0f / 40320.0f);
    p = CK_V_FMADD(p, x, CK_V_C(1.0f / 5040.0f));
    p = CK_V_FMADD(p, x, CK_V_C(1.0f / 720.0f));
    p = CK_V_FMADD(p, x, CK_V_C(1.0f / 120.0f));
    p = CK_V_FMADD(p, x, CK_V_C(1.0f / 24.0f));
    p = CK_V_FMADD(p, x, CK_V_C(1.0f / 6.0f));
    p = CK_V_FMADD(p, x, CK_V_C(0.5f));
    const CK_V small = CK_V_FMADD(CK_V_MUL(x, x), p, x);
    const CK_V big = CK_V_SUB(ck_exp_v(x), CK_V_C(1.0f));
    return CK_V_KEEP_NAN(CK_V_SELECT(CK_V_LT(CK_V_ABS(x), CK_V_C(0.5f)), small, big), x);
}

/* log1p(y) for 0 <= y <= 1 */
CK_INLINE CK_V ck_log1p01_v(CK_V y) {
    const CK_V u = CK_V_ADD(CK_V_C(1.0f), y);
    const CK_MASK upper = CK_V_GT(u, CK_V_C(1.41421356f));
    const CK_V mm = CK_V_SELECT(upper, CK_V_MUL(u, CK_V_C(0.5f)), u);
    const CK_V e = CK_V_SELECT(upper, CK_V_C(1.0f), CK_V_ZERO());
    const CK_V m = CK_V_SUB(mm, CK_V_C(1.0f));
    CK_V q = CK_V_C(6.607418507e-02f);
    q = CK_V_FMADD(q, m, CK_V_C(-1.150657758e-01f));
    q = CK_V_FMADD(q, m, CK_V_C(1.185741350e-01f));
    q = CK_V_FMADD(q, m, CK_V_C(-1.242961809e-01f));
    q = CK_V_FMADD(q, m, CK_V_C(1.422647238e-01f));
    q = CK_V_FMADD(q, m, CK_V_C(-1.666700244e-01f));
    q = CK_V_FMADD(q, m, CK_V_C(2.000177950e-01f));
    q = CK_V_FMADD(q, m, CK_V_C(-2.500002086e-01f));
    q = CK_V_FMADD(q, m, CK_V_C(3.333331645e-01f));
    const CK_V m2 = CK_V_MUL(m, m);
    CK_V r = CK_V_FMADD(CK_V_MUL(m2, m), q, CK_V_FNMADD(CK_V_C(0.5f), m2, m));
    r = CK_V_FMADD(e, CK_V_C(-2.12194440e-4f), r);
    r = CK_V_FMADD(e, CK_V_C(0.693359375f), r);
    return CK_V_ADD(r, CK_V_DIV(CK_V_SUB(y, CK_V_SUB(u, CK_V_C(1.0f))), u));
}

CK_INLINE CK_V ck_softplus_v(CK_V x) {
    const CK_V y = CK_V_ADD(ck_log1p01_v(ck_exp_v(CK_V_SUB(CK_V_ZERO(), CK_V_ABS(x)))), CK_V_MAX(x, CK_V_ZERO()));
    return CK_V_KEEP_NAN(y, x);
}

/* The kinds with a vector formula here; the others (the clamps) stay in ck_activate_span_f32,
 * whose loops the compiler vectorises. */
CK_INLINE int ck_act_v_has(int kind) {
    switch (kind) {
    case CK_ACT_EXPONENTIAL: case CK_ACT_SIGMOID: case CK_ACT_SILU: case CK_ACT_TANH: case CK_ACT_GELU_ERF:
    case CK_ACT_GELU_TANH: case CK_ACT_ELU: case CK_ACT_SELU: case CK_ACT_SOFTPLUS: case CK_ACT_MISH: return 1;
    default: return 0;
    }
}

CK_INLINE CK_V ck_act_v(CK_V v, int kind, float alpha) {
    const CK_MASK positive = CK_V_GT(v, CK_V_ZERO());
    switch (kind) {
    case CK_ACT_EXPONENTIAL: return ck_exp_v(v);
    case CK_ACT_SIGMOID: return ck_sigmoid_v(v);
    case CK_ACT_SILU: return CK_V_MUL(v, ck_sigmoid_v(v));
    case CK_ACT_TANH: return ck_tanh_v(v);
    case CK_ACT_GELU_ERF: return ck_gelu_v(v);
    case CK_ACT_ELU: return CK_V_SELECT(positive, v, CK_V_MUL(CK_V_C(alpha), ck_expm1_v(v)));
    case CK_ACT_SELU:
        return CK_V_MUL(CK_V_C(1.0507009873554805f),
                        CK_V_SELECT(positive, v, CK_V_MUL(CK_V_C(1.6732632423543772f), ck_expm1_v(v))));
    case CK_ACT_SOFTPLUS: return ck_softplus_v(v);
    case CK_ACT_MISH: return CK_V_MUL(v, ck_tanh_v(ck_softplus_v(v)));
    default: return ck_gelu_tanh_v(v);
    }
}

#endif
