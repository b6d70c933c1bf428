/* The reduction the reference local and adaptive pools share: max or mean over one box of a
 * sample's cells, all channels at once. */
#ifndef CONVKIT_REF_F32_POOL_BOX_H
#define CONVKIT_REF_F32_POOL_BOX_H

#include <math.h>
#include <stdint.h>

/* yp[c] = max (is_max) or mean over the cells [d0, d1) x [h0, h1) x [w0, w1) of sample n of
 * x [batch, ID, IH, IW, C]; the box is not empty. Max: NaN wins, as in numpy.max (once yp[c] is
 * NaN it stays NaN), written as one select so the compiler vectorises it (a branch per channel ran
 * 20x slower than the sum). Mean: the sum in d, h, w order, then one division by the cell count. */
static inline void ck_f32_pool_box(const float *x, int64_t ID, int64_t IH, int64_t IW, int64_t C, int64_t n,
                                   int64_t d0, int64_t d1, int64_t h0, int64_t h1, int64_t w0, int64_t w1,
                                   int is_max, float *yp) {
    for (int64_t c = 0; c < C; c++) yp[c] = is_max ? -INFINITY : 0.0f;
    for (int64_t id = d0; id < d1; id++)
        for (int64_t ih = h0; ih < h1; ih++)
            for (int64_t iw = w0; iw < w1; iw++) {
                const float *xp = x + (((n * ID + id) * IH + ih) * IW + iw) * C;
                if (is_max) {
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

#endif /* CONVKIT_REF_F32_POOL_BOX_H */
