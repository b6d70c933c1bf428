/* AVX2+FMA activations over spans, 8 values a vector (the formulas: csrc/x86/f32-activation-math.h).
 * 2^n is built in the exponent field as two factors 2^floor(n/2) * 2^(n - floor(n/2)), each a
 * normal float, so results down to the denormals come out right. The tail goes through a padded
 * vector, so a value's result does not depend on where it sits in a span. */
#include <string.h>

#include <immintrin.h>

#include "convkit/activation.h"
#include "convkit/dispatch.h"

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

#include "../f32-activation-math.h"

/* y = act(x) for the kinds with a vector formula, in one pass (y may be x): out of place, the
 * chunked copy then activation in place read every value twice (28x28x256, 1 thread: ReLU 32 ->
 * 25 us, sigmoid 90 -> 85 us). The tail goes through a padded vector, so a value's result does not
 * depend on where it sits. */
void ck_f32_activate_copy__avx2(const float *x, float *y, size_t n, ck_activation act) {
    const int kind = act.kind;
    if (!ck_act_v_has(kind)) {
        ck_activate_copy_f32(x, y, n, act);
        return;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, ck_act_v(_mm256_loadu_ps(x + i), kind, act.alpha));
    if (i < n) {
        float tail[8] = {0};
        memcpy(tail, x + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(tail, ck_act_v(_mm256_loadu_ps(tail), kind, act.alpha));
        memcpy(y + i, tail, (n - i) * sizeof(float));
    }
}

/* In place: the out-of-place loop with y = x (each vector is read before it is written). */
void ck_f32_activate_span__avx2(float *x, size_t n, ck_activation act) { ck_f32_activate_copy__avx2(x, x, n, act); }

/* Softmax of one row (ck_f32_softmax, csrc/norm/f32-normalize.c): the row's maximum, then
 * exp(x - max) written and summed in the same pass, then the scaling; three passes where the
 * portable loop made five, each of them 4 floats wide. The sum keeps the portable loop's order:
 * eight lanes, element i into lane i % 8 in sequence, then ((0+4)+(2+6))+((1+5)+(3+7)); the
 * exponentials are activate_span's. So both give the same bits. */
static float ck_softmax_lanes_total8(__m256 acc) {
    float l[8];
    _mm256_storeu_ps(l, acc);
    return ck_f32_lanes8_total(l);
}

/* m where v is not greater (NaN, tie), v where it is, by a compare (as the AVX-512 path must). */
CK_INLINE __m256 ck_keep_greater8(__m256 m, __m256 v) { return _mm256_blendv_ps(m, v, _mm256_cmp_ps(v, m, _CMP_GT_OQ)); }

void ck_f32_softmax_row__avx2(const float *x, float *y, size_t n) {
    static const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    const size_t n8 = n & ~(size_t)7, rem = n - n8;
    const __m256 valid = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(lanes + 8 - rem)));
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    /* the maximum over the numbers, NaN skipped as in the portable loop */
    __m256 m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = ck_keep_greater8(m0, _mm256_loadu_ps(x + i));
        m1 = ck_keep_greater8(m1, _mm256_loadu_ps(x + i + 8));
        m2 = ck_keep_greater8(m2, _mm256_loadu_ps(x + i + 16));
        m3 = ck_keep_greater8(m3, _mm256_loadu_ps(x + i + 24));
    }
    for (; i < n8; i += 8) m0 = ck_keep_greater8(m0, _mm256_loadu_ps(x + i));
    float tail[8] = {0};
    if (rem) {
        memcpy(tail, x + n8, rem * sizeof(float));
        m0 = ck_keep_greater8(m0, _mm256_blendv_ps(ninf, _mm256_loadu_ps(tail), valid));
    }
    float l[8];
    _mm256_storeu_ps(l, ck_keep_greater8(ck_keep_greater8(m0, m1), ck_keep_greater8(m2, m3)));
    float mx = l[0];
    for (int k = 1; k < 8; k++) mx = l[k] > mx ? l[k] : mx;
    if (mx == -INFINITY) mx = 0.0f; /* all -inf (or NaN): exp(x - 0) keeps them as they are */
    const __m256 vmx = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    for (i = 0; i < n8; i += 8) {
        const __m256 e = ck_exp_v(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmx));
        _mm256_storeu_ps(y + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    if (rem) {
        const __m256 e = ck_exp_v(_mm256_sub_ps(_mm256_loadu_ps(tail), vmx));
        _mm256_storeu_ps(tail, e);
        memcpy(y + n8, tail, rem * sizeof(float));
        acc = _mm256_add_ps(acc, _mm256_and_ps(e, valid));
    }
    const float r = 1.0f / ck_softmax_lanes_total8(acc);
    const __m256 vr = _mm256_set1_ps(r);
    for (i = 0; i < n8; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), vr));
    for (; i < n; i++) y[i] *= r;
}
