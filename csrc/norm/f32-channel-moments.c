/* Per-channel sums of x and of its float32 squares over each sample's positions, in double:
 * the statistics of GroupNormalization (and of any normalisation over a sample's positions).
 * Keras takes mean(x) and mean(x * x) of float32 values; the squares here are float32 products
 * as there, and the sums are float32 partials of at most CK_MOMENT_BLOCK values added into double,
 * so they are at least as exact as a float32 cascade sum whatever the map size. The order of the
 * additions is fixed by the layout alone, so the sums do not depend on the thread count. */
#include "convkit/kernels.h"
#include "convkit/threads.h"
#include "convkit/validate.h"

/* A float partial sums at most CK_MOMENT_BLOCK values before it goes into double: the rows kernel
 * sums 128 rows per channel lane; the runs kernel 128 values per each of its 32 lanes (32 lanes,
 * not 8: with few lanes the adds of one partial wait on each other and it ran 3.6x slower). */
enum { CK_MOMENT_BLOCK = 128, CK_MOMENT_CHANNELS = 256, CK_MOMENT_LANES = 32 };

static inline int64_t ck_min64_(int64_t a, int64_t b) { return a < b ? a : b; }

/* Channels last (inner 1): rows of `channels` values; the sums run down the rows, a block of
 * channels at a time, each lane one channel (the compiler vectorises across channels). */
static void ck_moments_rows(int64_t n, int64_t outer, int64_t channels, int64_t c0, int64_t nc, const float *x,
                            double *sum, double *sumsq) {
    float fs[CK_MOMENT_CHANNELS], fq[CK_MOMENT_CHANNELS];
    double *s = sum + n * channels + c0, *q = sumsq + n * channels + c0;
    for (int64_t c = 0; c < nc; c++) s[c] = q[c] = 0.0;
    for (int64_t o0 = 0; o0 < outer; o0 += CK_MOMENT_BLOCK) {
        const int64_t o1 = ck_min64_(outer, o0 + CK_MOMENT_BLOCK);
        for (int64_t c = 0; c < nc; c++) fs[c] = fq[c] = 0.0f;
        for (int64_t o = o0; o < o1; o++) {
            const float *xr = x + (n * outer + o) * channels + c0;
            for (int64_t c = 0; c < nc; c++) {
                const float v = xr[c], v2 = v * v;
                fs[c] += v;
                fq[c] += v2;
            }
        }
        for (int64_t c = 0; c < nc; c++) {
            s[c] += fs[c];
            q[c] += fq[c];
        }
    }
}

/* Channels first (inner > 1): a channel's values are runs of `inner`; CK_MOMENT_LANES float lanes
 * per block of the run (a fixed order the compiler can vectorise), then into double. */
static void ck_moments_runs(int64_t n, int64_t c, int64_t outer, int64_t channels, int64_t inner, const float *x,
                            double *sum, double *sumsq) {
    double s = 0.0, q = 0.0;
    for (int64_t o = 0; o < outer; o++) {
        const float *xr = x + ((n * outer + o) * channels + c) * inner;
        for (int64_t i0 = 0; i0 < inner; i0 += CK_MOMENT_BLOCK * CK_MOMENT_LANES) {
            const int64_t len = ck_min64_(inner - i0, CK_MOMENT_BLOCK * CK_MOMENT_LANES);
            float fs[CK_MOMENT_LANES] = {0}, fq[CK_MOMENT_LANES] = {0};
            int64_t i = 0;
            for (; i + CK_MOMENT_LANES <= len; i += CK_MOMENT_LANES)
                for (int l = 0; l < CK_MOMENT_LANES; l++) {
                    const float v = xr[i0 + i + l], v2 = v * v;
                    fs[l] += v;
                    fq[l] += v2;
                }
            for (int l = 0; i < len; i++, l++) {
                const float v = xr[i0 + i], v2 = v * v;
                fs[l] += v;
                fq[l] += v2;
            }
            for (int l = 0; l < CK_MOMENT_LANES; l++) {
                s += fs[l];
                q += fq[l];
            }
        }
    }
    sum[n * channels + c] = s;
    sumsq[n * channels + c] = q;
}

ck_status ck_f32_channel_moments(int64_t batch, int64_t outer, int64_t channels, int64_t inner, const float *x,
                                 double *sum, double *sumsq) {
    if (batch < 0 || outer < 1 || channels < 1 || inner < 1) return CK_EINVAL;
    const int64_t sizes[4] = {batch, outer, channels, inner};
    if (ck_checked_product(sizes, 4) < 0) return CK_EOVERFLOW;
    if (batch == 0) return CK_OK;
    if (x == NULL || sum == NULL || sumsq == NULL) return CK_EINVAL;
    if (inner == 1) {
        const int64_t blocks = (channels + CK_MOMENT_CHANNELS - 1) / CK_MOMENT_CHANNELS;
        CK_PARALLEL_FOR(batch * outer * channels)
        for (int64_t t = 0; t < batch * blocks; t++) {
            const int64_t n = t / blocks, c0 = (t % blocks) * CK_MOMENT_CHANNELS;
            ck_moments_rows(n, outer, channels, c0, ck_min64_(CK_MOMENT_CHANNELS, channels - c0), x, sum, sumsq);
        }
    } else {
        CK_PARALLEL_FOR(batch * outer * channels * inner)
        for (int64_t t = 0; t < batch * channels; t++)
            ck_moments_runs(t / channels, t % channels, outer, channels, inner, x, sum, sumsq);
    }
    return CK_OK;
}
