/* AVX2+FMA activations over spans, 8 values a vector (the formulas: csrc/x86/f32-activation-math.h,
 * the vector operations and 2^n: f32-vec-8.h). The tail goes through a padded vector, so a
 * value's result does not depend on where it sits in a span. */
#include <string.h>

#include <immintrin.h>

#include "convkit/activation.h"
#include "convkit/dispatch.h"

#include "f32-vec-8.h"
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
