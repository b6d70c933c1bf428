/* Reference adaptive pooling. Along a spatial dim of length `in` pooled to `out` cells, output
 * cell o covers the input cells [floor(o * in / out), ceil((o + 1) * in / out)): the rule of
 * PyTorch's AdaptiveAvgPool/AdaptiveMaxPool, which Keras 3's adaptive pooling layers follow.
 * Neighbouring windows may overlap by a cell and differ in size by one. The sums and the NaN rule
 * are those of the reference local pooling (f32-pool-nd.c), so where the windows are a regular
 * grid the two give the same bits. */
#include <math.h>

#include "convkit/ref.h"
#include "convkit/threads.h"

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
        float *yp = y + p * C;
        for (int64_t c = 0; c < C; c++) yp[c] = is_max ? -INFINITY : 0.0f;
        for (int64_t id = d0; id < d1; id++)
            for (int64_t ih = h0; ih < h1; ih++)
                for (int64_t iw = w0; iw < w1; iw++) {
                    const float *xp = x + (((n * ID + id) * IH + ih) * IW + iw) * C;
                    if (is_max) {
                        /* NaN wins, as in numpy.max: once yp[c] is NaN it stays NaN. Written as one
                         * select so the compiler vectorises it (a branch per channel ran 20x slower
                         * than the sum). */
                        for (int64_t c = 0; c < C; c++) {
                            const float a = yp[c], b = xp[c];
                            yp[c] = ((b > a || b != b) && a == a) ? b : a;
                        }
                    } else {
                        for (int64_t c = 0; c < C; c++) yp[c] += xp[c];
                    }
                }
        if (!is_max) {
            const float count = (float)((d1 - d0) * (h1 - h0) * (w1 - w0));
            for (int64_t c = 0; c < C; c++) yp[c] /= count;
        }
    }
}
