/* A 4x4 block of floats transposed through SSE registers (every x86-64 has SSE): four rows of x,
 * ldx floats apart, stored as four columns of y, ldy floats apart (y[k * ldy + r] = x[r * ldx + k]).
 * Shared by the weight packing (csrc/gemm/f32-packed-weights.c) and the layout moves of
 * data_format='channels_first' (csrc/reshape/f32-transpose.c). Only where __SSE__ is defined. */
#ifndef CONVKIT_TRANSPOSE4_H
#define CONVKIT_TRANSPOSE4_H

#ifdef __SSE__
#include <stdint.h>
#include <xmmintrin.h>

static inline void ck_transpose_4x4(const float *x, int64_t ldx, float *y, int64_t ldy) {
    __m128 r0 = _mm_loadu_ps(x), r1 = _mm_loadu_ps(x + ldx), r2 = _mm_loadu_ps(x + 2 * ldx),
           r3 = _mm_loadu_ps(x + 3 * ldx);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(y, r0);
    _mm_storeu_ps(y + ldy, r1);
    _mm_storeu_ps(y + 2 * ldy, r2);
    _mm_storeu_ps(y + 3 * ldy, r3);
}
#endif

#endif
