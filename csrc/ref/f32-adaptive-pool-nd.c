/* Reference adaptive pooling. Along a spatial dim of length `in` pooled to `out` cells, output
 * cell o covers the input cells [floor(o * in / out), ceil((o + 1) * in / out)): the rule of
 * PyTorch's AdaptiveAvgPool/AdaptiveMaxPool, which Keras 3's adaptive pooling layers follow.
 * Neighbouring windows may overlap by a cell and differ in size by one. Each window is reduced by
 * the reference local pooling's ck_f32_pool_box (f32-pool-box.h), so where the windows are a
 * regular grid the two give the same bits. */
#include "convkit/ref.h"
#include "convkit/threads.h"
#include "f32-pool-box.h"

static inline void ck_adaptive_window(int64_t o, int64_t in, int64_t out, int64_t *lo, int64_t *hi) {
    *lo = o * in / out;
    *hi = ((o + 1) * in + out - 1) / out;
}

void ck_f32_adaptive_pool_nd__ref(int64_t batch, int64_t channels, const int64_t in_size[3],
                                  const int64_t out_size[3], const float *CK_RESTRICT x, float *CK_RESTRICT y,
                                  int is_max) {
    const int64_t ID = in_size[0], IH = in_size[1], IW = in_size[2];
    const int64_t OD = out_size[0], OH = out_size[1], OW = out_size[2];
    const int64_t C = channels;
    const int64_t pixels = batch * OD * OH * OW;
    /* Each output cell reads about (in/out + 1) cells per dim. */
    const int64_t cells = (ID / OD + 1) * (IH / OH + 1) * (IW / OW + 1);

    CK_PARALLEL_FOR(pixels * C * cells)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
        int64_t d0, d1, h0, h1, w0, w1;
        ck_adaptive_window(od, ID, OD, &d0, &d1);
        ck_adaptive_window(oh, IH, OH, &h0, &h1);
        ck_adaptive_window(ow, IW, OW, &w0, &w1);
        ck_f32_pool_box(x, ID, IH, IW, C, n, d0, d1, h0, h1, w0, w1, is_max, y + p * C);
    }
}
