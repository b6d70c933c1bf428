/* Reference max and average pooling over the cells of each window that lie inside the input
 * (padding cells are neither maxed over nor counted, as in Keras). */
#include "convkit/dispatch.h"
#include "convkit/threads.h"
#include "f32-pool-box.h"

/* The window of output position o along one dim, clipped to the input: [lo, hi). */
static inline void ck_window_range(int64_t o, int64_t stride, int64_t pad, int64_t window, int64_t in,
                                   int64_t *lo, int64_t *hi) {
    int64_t start = o * stride - pad, end = start + window;
    *lo = start < 0 ? 0 : start;
    *hi = end > in ? in : end;
}

static void ck_pool_nd_ref(const ck_pool_shape *s, const float *CK_RESTRICT x, float *CK_RESTRICT y,
                           int is_max) {
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t C = s->channels;
    const int64_t pixels = s->batch * OD * OH * OW;

    CK_PARALLEL_FOR(pixels * C * s->window[0] * s->window[1] * s->window[2])
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
        int64_t d0, d1, h0, h1, w0, w1;
        ck_window_range(od, s->stride[0], s->pad_before[0], s->window[0], ID, &d0, &d1);
        ck_window_range(oh, s->stride[1], s->pad_before[1], s->window[1], IH, &h0, &h1);
        ck_window_range(ow, s->stride[2], s->pad_before[2], s->window[2], IW, &w0, &w1);
        ck_f32_pool_box(x, ID, IH, IW, C, n, d0, d1, h0, h1, w0, w1, is_max, y + p * C);
    }
}

void ck_f32_max_pool_nd__ref(const ck_pool_shape *s, const float *x, float *y) { ck_pool_nd_ref(s, x, y, 1); }
void ck_f32_avg_pool_nd__ref(const ck_pool_shape *s, const float *x, float *y) { ck_pool_nd_ref(s, x, y, 0); }
