/* Element-wise merges of k same-shape arrays (Keras's Add, Subtract, Multiply, Average, Maximum,
 * Minimum), with an activation applied to each chunk while it is in L1 (a model plan's
 * Add -> ReLU). NumPy made one single-threaded pass per input and another for the activation.
 *
 * Each output is x0 op x1 op x2 ... left to right (Average: the sum, then / k), the operations
 * and rounding of the NumPy code in convkit.layers.merging, so the same bits; Maximum and Minimum
 * propagate NaN as numpy.maximum / numpy.minimum. Chunks are independent, so the results do not
 * depend on the thread count. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/f32-merge-span.h"
#include "convkit/kernels.h"
#include "convkit/threads.h"

void ck_f32_merge_span__ref(int op, const float *a, const float *b, float *y, int64_t n) {
    ck_f32_merge_span_body(op, a, b, y, n);
}

ck_status ck_f32_merge(int op, int64_t k, const float *const *xs, int64_t n, ck_activation act, float *y) {
    if (op < 0 || op > CK_MERGE_MIN || k < 1 || n < 0 || act.kind < 0 || act.kind >= CK_ACT_COUNT_) return CK_EINVAL;
    if (op == CK_MERGE_SUB && k != 2) return CK_EINVAL;
    if (n == 0) return CK_OK;
    if (xs == NULL || y == NULL) return CK_EINVAL;
    for (int64_t j = 0; j < k; j++)
        if (xs[j] == NULL) return CK_EINVAL;
    const ck_merge_span_fn span = ck_dispatch.merge_span ? ck_dispatch.merge_span : ck_f32_merge_span__ref;
    const int64_t chunk = 4096, chunks = (n + chunk - 1) / chunk;
    CK_PARALLEL_FOR(n * k)
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i0 = c * chunk, len = n - i0 < chunk ? n - i0 : chunk;
        float *yc = y + i0;
        if (k == 1) {
            memcpy(yc, xs[0] + i0, (size_t)len * sizeof(float));
        } else {
            span(op, xs[0] + i0, xs[1] + i0, yc, len);
            for (int64_t j = 2; j < k; j++) span(op, yc, xs[j] + i0, yc, len);
        }
        if (op == CK_MERGE_AVG) {
            const float kf = (float)k;
            for (int64_t i = 0; i < len; i++) yc[i] = yc[i] / kf;
        }
        if (act.kind != CK_ACT_LINEAR) ck_dispatch.activate_span(yc, (size_t)len, act);
    }
    return CK_OK;
}
