/* Reference global max / average pooling over all spatial positions: [N, S, C] -> [N, C]. */
#include <math.h>

#include "convkit/ref.h"
#include "convkit/threads.h"

void ck_f32_global_pool__ref(int64_t batch, int64_t spatial, int64_t channels, const float *CK_RESTRICT x,
                             float *CK_RESTRICT y, int is_max) {
    CK_PARALLEL_FOR(batch * spatial * channels)
    for (int64_t n = 0; n < batch; n++) {
        float *yp = y + n * channels;
        for (int64_t c = 0; c < channels; c++) yp[c] = is_max ? -INFINITY : 0.0f;
        for (int64_t s = 0; s < spatial; s++) {
            const float *xp = x + (n * spatial + s) * channels;
            if (is_max) {
                for (int64_t c = 0; c < channels; c++)
                    if (xp[c] > yp[c] || xp[c] != xp[c]) yp[c] = (yp[c] != yp[c]) ? yp[c] : xp[c];
            } else {
                for (int64_t c = 0; c < channels; c++) yp[c] += xp[c];
            }
        }
        if (!is_max)
            for (int64_t c = 0; c < channels; c++) yp[c] /= (float)spatial;
    }
}
