/* Activations fused into output passes. Definitions follow Keras 3 (keras.activations). */
#ifndef CONVKIT_ACTIVATION_H
#define CONVKIT_ACTIVATION_H

#include <math.h>
#include "convkit/common.h"

typedef enum ck_activation_kind {
    CK_ACT_LINEAR = 0,
    CK_ACT_RELU = 1,
    CK_ACT_RELU6 = 2,
    CK_ACT_LEAKY_RELU = 3, /* alpha = negative slope */
    CK_ACT_ELU = 4,        /* alpha */
    CK_ACT_SELU = 5,
    CK_ACT_SIGMOID = 6,
    CK_ACT_HARD_SIGMOID = 7, /* Keras 3: relu6(x + 3) / 6 */
    CK_ACT_TANH = 8,
    CK_ACT_SOFTPLUS = 9,
    CK_ACT_SOFTSIGN = 10,
    CK_ACT_SILU = 11,      /* also "swish" */
    CK_ACT_GELU_ERF = 12,  /* gelu(approximate=False), Keras's default */
    CK_ACT_GELU_TANH = 13, /* gelu(approximate=True) */
    CK_ACT_EXPONENTIAL = 14,
    CK_ACT_HARD_SILU = 15, /* also "hard_swish": x * hard_sigmoid(x) */
    CK_ACT_MISH = 16,      /* x * tanh(softplus(x)) */
    CK_ACT_COUNT_ = 17
} ck_activation_kind;

typedef struct ck_activation {
    int kind;    /* a ck_activation_kind */
    float alpha; /* slope for leaky_relu, alpha for elu; ignored otherwise */
} ck_activation;

/* Numerically careful softplus: log1p(exp(-|x|)) + max(x, 0) never overflows. */
CK_INLINE float ck_softplus_f32(float x) {
    return log1pf(expf(-fabsf(x))) + (x > 0.0f ? x : 0.0f);
}

CK_INLINE float ck_sigmoid_f32(float x) {
    /* Split on the sign so exp never overflows. */
    if (x >= 0.0f) {
        return 1.0f / (1.0f + expf(-x));
    }
    float e = expf(x);
    return e / (1.0f + e);
}

/* One value through one activation. NaN goes through as NaN for every kind. */
CK_INLINE float ck_activate_f32(float x, ck_activation act) {
    switch (act.kind) {
    case CK_ACT_LINEAR: return x;
    case CK_ACT_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f);
    case CK_ACT_RELU6: return x != x ? x : (x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x));
    case CK_ACT_LEAKY_RELU: return x >= 0.0f ? x : act.alpha * x;
    case CK_ACT_ELU: return x > 0.0f ? x : act.alpha * expm1f(x);
    case CK_ACT_SELU: {
        const float alpha = 1.6732632423543772f, scale = 1.0507009873554805f;
        return scale * (x > 0.0f ? x : alpha * expm1f(x));
    }
    case CK_ACT_SIGMOID: return ck_sigmoid_f32(x);
    case CK_ACT_HARD_SIGMOID: {
        if (x != x) return x;
        float r = x / 6.0f + 0.5f;
        return r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r);
    }
    case CK_ACT_TANH: return tanhf(x);
    case CK_ACT_SOFTPLUS: return ck_softplus_f32(x);
    case CK_ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
    case CK_ACT_SILU: return x * ck_sigmoid_f32(x);
    /* 1 + erf(z) = erfc(-z): no cancellation in the negative tail (1 + erff gave 0 below x = -5) */
    case CK_ACT_GELU_ERF: return 0.5f * x * erfcf(x * -0.70710678118654752f);
    case CK_ACT_GELU_TANH: {
        const float c = 0.7978845608028654f; /* sqrt(2 / pi) */
        return 0.5f * x * (1.0f + tanhf(c * (x + 0.044715f * x * x * x)));
    }
    case CK_ACT_EXPONENTIAL: return expf(x);
    case CK_ACT_HARD_SILU: {
        if (x != x) return x;
        float r = x / 6.0f + 0.5f;
        r = r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r);
        return x * r;
    }
    case CK_ACT_MISH: return x * tanhf(ck_softplus_f32(x));
    default: return x;
    }
}

/* y[i] = ck_activate_f32(x[i]) over n values (y may be x), with the kind dispatched once instead
 * of per value: each case below is a loop compiled for one kind, so the clamps (relu, relu6,
 * leaky relu, hard sigmoid) vectorise and the others lose the per-value switch. The same bits as
 * calling ck_activate_f32 on every value (a standalone ReLU over 6.4M values took 39 ms that
 * way). Out of place it is one pass: a copy followed by the in-place loop read the data twice. */
CK_INLINE void ck_activate_copy_f32(const float *x, float *y, size_t n, ck_activation act) {
#define CK_ACT_SPAN_CASE(K)                                                        \
    case K: {                                                                      \
        const ck_activation a_ = {K, act.alpha};                                   \
        for (size_t i = 0; i < n; i++) y[i] = ck_activate_f32(x[i], a_);           \
        break;                                                                     \
    }
    switch (act.kind) {
        CK_ACT_SPAN_CASE(CK_ACT_RELU)
        CK_ACT_SPAN_CASE(CK_ACT_RELU6)
        CK_ACT_SPAN_CASE(CK_ACT_LEAKY_RELU)
        CK_ACT_SPAN_CASE(CK_ACT_ELU)
        CK_ACT_SPAN_CASE(CK_ACT_SELU)
        CK_ACT_SPAN_CASE(CK_ACT_SIGMOID)
        CK_ACT_SPAN_CASE(CK_ACT_HARD_SIGMOID)
        CK_ACT_SPAN_CASE(CK_ACT_TANH)
        CK_ACT_SPAN_CASE(CK_ACT_SOFTPLUS)
        CK_ACT_SPAN_CASE(CK_ACT_SOFTSIGN)
        CK_ACT_SPAN_CASE(CK_ACT_SILU)
        CK_ACT_SPAN_CASE(CK_ACT_GELU_ERF)
        CK_ACT_SPAN_CASE(CK_ACT_GELU_TANH)
        CK_ACT_SPAN_CASE(CK_ACT_EXPONENTIAL)
        CK_ACT_SPAN_CASE(CK_ACT_HARD_SILU)
        CK_ACT_SPAN_CASE(CK_ACT_MISH)
    default: /* linear */
        if (y != x)
            for (size_t i = 0; i < n; i++) y[i] = x[i];
        break;
    }
#undef CK_ACT_SPAN_CASE
}

/* ck_activate_f32 over n values in place. */
CK_INLINE void ck_activate_span_f32(float *x, size_t n, ck_activation act) { ck_activate_copy_f32(x, x, n, act); }

#endif /* CONVKIT_ACTIVATION_H */
