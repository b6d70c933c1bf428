/* AVX2 max and average pooling, channels-last, vectorised over channels: 32 channels (four
 * vectors) at a time, then single vectors, then a masked tail. Work is split over runs of output
 * pixels along rows (batch x out_d x out_h); each output's window is clipped to the input once
 * (padding cells are neither maxed over nor counted) and then walked without a branch.
 *
 * Semantics are the reference kernel's (csrc/ref/f32-pool-nd.c), bit for bit:
 *  - max: ties keep the earlier cell (max(v, m) returns m when equal); NaN wins as in numpy.max.
 *    vmaxps drops a NaN operand, so the kernel ORs an "unordered" flag per pair of cells and, in
 *    the rare vector where it is set, redoes those channels with the reference's scalar rule so
 *    the same NaN (payload included) comes out;
 *  - average: the cells are summed in the same order from 0 and divided by the count. */
#include <immintrin.h>
#include <math.h>

#include "convkit/dispatch.h"
#include "convkit/threads.h"

CK_INLINE __m256i ck_pool_mask8(int64_t n) {
    static const int32_t t[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(t + 8 - n));
}

CK_INLINE void ck_pool_range(int64_t o, int64_t stride, int64_t pad, int64_t window, int64_t in, int64_t *lo,
                             int64_t *hi) {
    const int64_t start = o * stride - pad, end = start + window;
    *lo = start < 0 ? 0 : start;
    *hi = end > in ? in : end;
}

/* The window of one output pixel: nd x nh x nw cells from x0, cells dd / dh / 1*C floats apart. */
typedef struct ck_pool_win {
    const float *x0;
    int64_t nd, nh, nw, dd, dh, C;
} ck_pool_win;

/* Scalar max over `lanes` channels from channel offset c, the reference's NaN rule. */
static void ck_pool_max_scalar(const ck_pool_win *wn, int64_t c, int64_t lanes, float *yp) {
    for (int64_t l = 0; l < lanes; l++) {
        float m = -INFINITY;
        for (int64_t d = 0; d < wn->nd; d++)
            for (int64_t h = 0; h < wn->nh; h++)
                for (int64_t w = 0; w < wn->nw; w++) {
                    const float v = wn->x0[d * wn->dd + h * wn->dh + w * wn->C + c + l];
                    if (v > m || v != v) m = (m != m) ? m : v;
                }
        yp[c + l] = m;
    }
}

/* NV vectors of channels [c, c + 8*NV); MASKED: one vector, lanes of `mask` only. */
CK_INLINE void ck_pool_max_vec(const ck_pool_win *wn, int64_t c, float *yp, const int NV, const int MASKED,
                               __m256i mask, int64_t lanes) {
    __m256 m[4], u[4];
    for (int v = 0; v < NV; v++) m[v] = _mm256_set1_ps(-INFINITY), u[v] = _mm256_setzero_ps();
    const int64_t C = wn->C;
    for (int64_t d = 0; d < wn->nd; d++)
        for (int64_t h = 0; h < wn->nh; h++) {
            const float *p = wn->x0 + d * wn->dd + h * wn->dh + c;
            int64_t w = 0;
            for (; w + 2 <= wn->nw; w += 2, p += 2 * C)
                for (int v = 0; v < NV; v++) {
                    const __m256 a = MASKED ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p + 8 * v);
                    const __m256 b = MASKED ? _mm256_maskload_ps(p + C, mask) : _mm256_loadu_ps(p + C + 8 * v);
                    m[v] = _mm256_max_ps(b, _mm256_max_ps(a, m[v]));
                    u[v] = _mm256_or_ps(u[v], _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
                }
            if (w < wn->nw)
                for (int v = 0; v < NV; v++) {
                    const __m256 a = MASKED ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p + 8 * v);
                    m[v] = _mm256_max_ps(a, m[v]);
                    u[v] = _mm256_or_ps(u[v], _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
                }
        }
    int any = 0;
    for (int v = 0; v < NV; v++) {
        if (MASKED) _mm256_maskstore_ps(yp + c, mask, m[v]);
        else _mm256_storeu_ps(yp + c + 8 * v, m[v]);
        any |= _mm256_movemask_ps(u[v]);
    }
    if (CK_UNLIKELY(any)) ck_pool_max_scalar(wn, c, MASKED ? lanes : 8 * NV, yp);
}

CK_INLINE void ck_pool_avg_vec(const ck_pool_win *wn, int64_t c, float *yp, const int NV, const int MASKED,
                               __m256i mask, __m256 count) {
    __m256 s[4];
    for (int v = 0; v < NV; v++) s[v] = _mm256_setzero_ps();
    const int64_t C = wn->C;
    for (int64_t d = 0; d < wn->nd; d++)
        for (int64_t h = 0; h < wn->nh; h++) {
            const float *p = wn->x0 + d * wn->dd + h * wn->dh + c;
            for (int64_t w = 0; w < wn->nw; w++, p += C)
                for (int v = 0; v < NV; v++)
                    s[v] = _mm256_add_ps(s[v], MASKED ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p + 8 * v));
        }
    for (int v = 0; v < NV; v++) {
        const __m256 r = _mm256_div_ps(s[v], count);
        if (MASKED) _mm256_maskstore_ps(yp + c, mask, r);
        else _mm256_storeu_ps(yp + c + 8 * v, r);
    }
}

CK_INLINE void ck_pool_row(const ck_pool_shape *s, const float *x, float *y, int64_t row, int64_t ow_begin,
                            int64_t ow_end, const int is_max) {
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t C = s->channels;
    const int64_t oh = row % OH, od = (row / OH) % OD, n = row / (OH * OD);
    int64_t d0, d1, h0, h1;
    ck_pool_range(od, s->stride[0], s->pad_before[0], s->window[0], ID, &d0, &d1);
    ck_pool_range(oh, s->stride[1], s->pad_before[1], s->window[1], IH, &h0, &h1);
    const int64_t c32 = C & ~(int64_t)31, c8 = C & ~(int64_t)7, tail = C - c8;
    const __m256i tmask = ck_pool_mask8(tail > 0 ? tail : 8);
    ck_pool_win wn;
    wn.nd = d1 - d0;
    wn.nh = h1 - h0;
    wn.dd = IH * IW * C;
    wn.dh = IW * C;
    wn.C = C;
    const float *xrow = x + ((n * ID + d0) * IH + h0) * IW * C;
    for (int64_t ow = ow_begin; ow < ow_end; ow++) {
        int64_t w0, w1;
        ck_pool_range(ow, s->stride[2], s->pad_before[2], s->window[2], IW, &w0, &w1);
        wn.nw = w1 - w0;
        wn.x0 = xrow + w0 * C;
        float *yp = y + (row * OW + ow) * C;
        if (is_max) {
            int64_t c = 0;
            for (; c < c32; c += 32) ck_pool_max_vec(&wn, c, yp, 4, 0, tmask, 0);
            for (; c < c8; c += 8) ck_pool_max_vec(&wn, c, yp, 1, 0, tmask, 0);
            if (tail) ck_pool_max_vec(&wn, c, yp, 1, 1, tmask, tail);
        } else {
            const __m256 count = _mm256_set1_ps((float)(wn.nd * wn.nh * wn.nw));
            int64_t c = 0;
            for (; c < c32; c += 32) ck_pool_avg_vec(&wn, c, yp, 4, 0, tmask, count);
            for (; c < c8; c += 8) ck_pool_avg_vec(&wn, c, yp, 1, 0, tmask, count);
            if (tail) ck_pool_avg_vec(&wn, c, yp, 1, 1, tmask, count);
        }
    }
}

/* Units: runs of up to CK_POOL_RUN output pixels of a row, so a layer of one row (1D, batch 1)
 * still feeds every thread. Every output is computed the same way whichever unit holds it. The
 * loop is written out in each entry point so each gets its own parallel region with is_max a
 * constant (one shared region, max and average behind a runtime flag, ran ResNet's 112x112x64
 * max pool ~10% slower at 2 threads). */
#define CK_POOL_RUN 64

static int64_t ck_pool_runs(const ck_pool_shape *s) { return (s->out_size[2] + CK_POOL_RUN - 1) / CK_POOL_RUN; }

CK_INLINE void ck_pool_unit(const ck_pool_shape *s, const float *x, float *y, int64_t u, int64_t runs,
                            const int is_max) {
    const int64_t r = u / runs, ow0 = (u % runs) * CK_POOL_RUN, OW = s->out_size[2];
    ck_pool_row(s, x, y, r, ow0, ow0 + CK_POOL_RUN < OW ? ow0 + CK_POOL_RUN : OW, is_max);
}

#define CK_POOL_WORK(s) \
    ((s)->batch * (s)->out_size[0] * (s)->out_size[1] * (s)->out_size[2] * (s)->channels * (s)->window[0] * \
     (s)->window[1] * (s)->window[2])

void ck_f32_max_pool_nd__avx2(const ck_pool_shape *s, const float *x, float *y) {
    const int64_t runs = ck_pool_runs(s), units = s->batch * s->out_size[0] * s->out_size[1] * runs;
    CK_PARALLEL_FOR(CK_POOL_WORK(s))
    for (int64_t u = 0; u < units; u++) ck_pool_unit(s, x, y, u, runs, 1);
}

void ck_f32_avg_pool_nd__avx2(const ck_pool_shape *s, const float *x, float *y) {
    const int64_t runs = ck_pool_runs(s), units = s->batch * s->out_size[0] * s->out_size[1] * runs;
    CK_PARALLEL_FOR(CK_POOL_WORK(s))
    for (int64_t u = 0; u < units; u++) ck_pool_unit(s, x, y, u, runs, 0);
}

/* ---- global pooling ----------------------------------------------------------------------------
 * Units: (sample, 64 channels), so one sample (ResNet's 1x7x7x512 head) still feeds every thread.
 * Eight accumulators take a unit's full 64 channels down the positions in one pass; each
 * channel's sum or max runs over the positions in order, as the reference kernel's, so the
 * results are its bits (max keeps the first of equal values, so -0/+0 agree, and the first NaN). */
#define CK_GPOOL_CB 64

CK_INLINE __m256 ck_gpool_step(__m256 acc, __m256 v, __m256 *nan, const int is_max) {
    if (!is_max) return _mm256_add_ps(acc, v);
    *nan = _mm256_or_ps(*nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    return _mm256_max_ps(v, acc); /* v > acc ? v : acc */
}

/* Stores a finished vector of channels [c, c + n); for max, a lane that met a NaN gets the
 * first NaN down its column, payload included, as the reference kernel keeps it. */
CK_INLINE void ck_gpool_store(__m256 acc, __m256 nan, __m256 count, const float *x, int64_t spatial,
                              int64_t channels, float *y, int64_t c, int64_t n, const int is_max) {
    const __m256i m = ck_pool_mask8(n);
    if (!is_max) {
        _mm256_maskstore_ps(y + c, m, _mm256_div_ps(acc, count));
        return;
    }
    _mm256_maskstore_ps(y + c, m, acc);
    const int lanes = _mm256_movemask_ps(nan);
    for (int64_t l = 0; lanes != 0 && l < n; l++)
        if (lanes & (1 << l))
            for (int64_t s = 0; s < spatial; s++)
                if (x[s * channels + c + l] != x[s * channels + c + l]) {
                    y[c + l] = x[s * channels + c + l];
                    break;
                }
}

CK_INLINE void ck_gpool_unit(int64_t spatial, int64_t channels, const float *x, float *y, int64_t c0, int64_t c1,
                             const int is_max) {
    const __m256 init = _mm256_set1_ps(is_max ? -INFINITY : 0.0f), count = _mm256_set1_ps((float)spatial);
    if (c1 - c0 == CK_GPOOL_CB) {
        __m256 acc[8], nan[8];
        for (int v = 0; v < 8; v++) acc[v] = init, nan[v] = _mm256_setzero_ps();
        for (int64_t s = 0; s < spatial; s++) {
            const float *xp = x + s * channels + c0;
#pragma GCC unroll 8
            for (int v = 0; v < 8; v++) acc[v] = ck_gpool_step(acc[v], _mm256_loadu_ps(xp + 8 * v), &nan[v], is_max);
        }
        for (int v = 0; v < 8; v++) ck_gpool_store(acc[v], nan[v], count, x, spatial, channels, y, c0 + 8 * v, 8, is_max);
        return;
    }
    /* the ragged last block: a vector at a time, the last one masked */
    for (int64_t c = c0; c < c1; c += 8) {
        const __m256i m = ck_pool_mask8(c1 - c < 8 ? c1 - c : 8);
        __m256 acc = init, nan = _mm256_setzero_ps();
        for (int64_t s = 0; s < spatial; s++) acc = ck_gpool_step(acc, _mm256_maskload_ps(x + s * channels + c, m), &nan, is_max);
        ck_gpool_store(acc, nan, count, x, spatial, channels, y, c, c1 - c < 8 ? c1 - c : 8, is_max);
    }
}

void ck_f32_global_pool__avx2(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                              int is_max) {
    const int64_t blocks = (channels + CK_GPOOL_CB - 1) / CK_GPOOL_CB;
    if (is_max) {
        CK_PARALLEL_FOR(batch * spatial * channels)
        for (int64_t u = 0; u < batch * blocks; u++) {
            const int64_t n = u / blocks, c0 = (u % blocks) * CK_GPOOL_CB;
            ck_gpool_unit(spatial, channels, x + n * spatial * channels, y + n * channels, c0,
                          c0 + CK_GPOOL_CB < channels ? c0 + CK_GPOOL_CB : channels, 1);
        }
    } else {
        CK_PARALLEL_FOR(batch * spatial * channels)
        for (int64_t u = 0; u < batch * blocks; u++) {
            const int64_t n = u / blocks, c0 = (u % blocks) * CK_GPOOL_CB;
            ck_gpool_unit(spatial, channels, x + n * spatial * channels, y + n * channels, c0,
                          c0 + CK_GPOOL_CB < channels ? c0 + CK_GPOOL_CB : channels, 0);
        }
    }
}
