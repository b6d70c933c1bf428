/* One merge op over a span, y[i] = a[i] op b[i]: the loop body every path compiles. The portable
 * driver (csrc/merge/f32-merge.c) builds it for baseline x86-64 (SSE2) and the AVX2 and AVX-512
 * files (csrc/x86/{avx2,avx512}/f32-merge-*.c) for their vector widths: the same operations per
 * element (no contraction: one op each), so every path gives the same bits. y may be a or b. */
#ifndef CONVKIT_F32_MERGE_SPAN_H
#define CONVKIT_F32_MERGE_SPAN_H

#include <stdint.h>

#include "convkit/kernels.h"

/* The op is fixed for each loop so each is a plain vectorisable loop. Maximum and minimum keep a
 * when it is NaN, as numpy.maximum / numpy.minimum. */
static inline void ck_f32_merge_span_body(int op, const float *a, const float *b, float *y, int64_t n) {
    switch (op) {
    case CK_MERGE_SUB:
        for (int64_t i = 0; i < n; i++) y[i] = a[i] - b[i];
        break;
    case CK_MERGE_MUL:
        for (int64_t i = 0; i < n; i++) y[i] = a[i] * b[i];
        break;
    case CK_MERGE_MAX:
        for (int64_t i = 0; i < n; i++) y[i] = (a[i] >= b[i] || a[i] != a[i]) ? a[i] : b[i];
        break;
    case CK_MERGE_MIN:
        for (int64_t i = 0; i < n; i++) y[i] = (a[i] <= b[i] || a[i] != a[i]) ? a[i] : b[i];
        break;
    default: /* ADD, AVG */
        for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
        break;
    }
}

#endif /* CONVKIT_F32_MERGE_SPAN_H */
