/* Reference zero padding, cropping and nearest-neighbour upsampling: pure data movement, one
 * output row (all channels of one pixel) at a time. */
#include <math.h>
#include <string.h>

#include "convkit/ref.h"
#include "convkit/threads.h"

void ck_f32_zero_pad_nd__ref(int64_t batch, int64_t C, const int64_t in[3], const int64_t before[3],
                             const int64_t after[3], const float *CK_RESTRICT x, float *CK_RESTRICT y) {
    const int64_t OD = in[0] + before[0] + after[0], OH = in[1] + before[1] + after[1],
                  OW = in[2] + before[2] + after[2];
    const int64_t pixels = batch * OD * OH * OW;
    CK_PARALLEL_FOR(pixels * C)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
        const int64_t id = od - before[0], ih = oh - before[1], iw = ow - before[2];
        float *yp = y + p * C;
        if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2])
            memset(yp, 0, (size_t)C * sizeof(float));
        else
            memcpy(yp, x + (((n * in[0] + id) * in[1] + ih) * in[2] + iw) * C, (size_t)C * sizeof(float));
    }
}

void ck_f32_crop_nd__ref(int64_t batch, int64_t C, const int64_t in[3], const int64_t before[3],
                         const int64_t out[3], const float *CK_RESTRICT x, float *CK_RESTRICT y) {
    const int64_t pixels = batch * out[0] * out[1] * out[2];
    CK_PARALLEL_FOR(pixels * C)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % out[2], oh = (p / out[2]) % out[1], od = (p / (out[2] * out[1])) % out[0];
        const int64_t n = p / (out[2] * out[1] * out[0]);
        const float *xp = x + (((n * in[0] + od + before[0]) * in[1] + oh + before[1]) * in[2] + ow + before[2]) * C;
        memcpy(y + p * C, xp, (size_t)C * sizeof(float));
    }
}

void ck_f32_upsample_nearest_nd__ref(int64_t batch, int64_t C, const int64_t in[3], const int64_t f[3],
                                     const float *CK_RESTRICT x, float *CK_RESTRICT y) {
    const int64_t OD = in[0] * f[0], OH = in[1] * f[1], OW = in[2] * f[2];
    const int64_t pixels = batch * OD * OH * OW;
    CK_PARALLEL_FOR(pixels * C)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
        const float *xp = x + (((n * in[0] + od / f[0]) * in[1] + oh / f[1]) * in[2] + ow / f[2]) * C;
        memcpy(y + p * C, xp, (size_t)C * sizeof(float));
    }
}

/* Source coordinate of output index o under the half-pixel rule, clamped to [0, in-1], split into
 * the two neighbours and the weight of the upper one. */
/* The half-pixel source coordinate of output cell o, as torch computes it (Keras's torch backend
 * resizes with torch): in float32, scale = in / out, src = scale * (o + 0.5) - 0.5 as one fused
 * multiply-add (torch's vector kernels are built with FMA). The double coordinate this replaced
 * was more exact but differed from torch's by up to 4e-4 of the value range at 4000 -> 4097
 * pixels; this one by 2.4e-7. */
static inline void ck_half_pixel(int64_t o, int64_t in, int64_t out, int64_t *i0, int64_t *i1, float *frac) {
    const float scale = (float)in / (float)out;
    float src = fmaf(scale, (float)o + 0.5f, -0.5f);
    if (src < 0.0f) src = 0.0f;
    int64_t lo = (int64_t)src;
    if (lo > in - 1) lo = in - 1;
    *i0 = lo;
    *i1 = lo + 1 < in ? lo + 1 : in - 1;
    const float f = src - (float)lo;
    *frac = f > 1.0f ? 1.0f : f;
}

void ck_f32_resize_bilinear_2d__ref(int64_t batch, int64_t C, int64_t IH, int64_t IW, int64_t OH,
                                    int64_t OW, const float *CK_RESTRICT x, float *CK_RESTRICT y) {
    const int64_t pixels = batch * OH * OW;
    CK_PARALLEL_FOR(pixels * C * 4)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, n = p / (OW * OH);
        int64_t h0, h1, w0, w1;
        float fh, fw;
        ck_half_pixel(oh, IH, OH, &h0, &h1, &fh);
        ck_half_pixel(ow, IW, OW, &w0, &w1, &fw);
        const float *x00 = x + ((n * IH + h0) * IW + w0) * C, *x01 = x + ((n * IH + h0) * IW + w1) * C;
        const float *x10 = x + ((n * IH + h1) * IW + w0) * C, *x11 = x + ((n * IH + h1) * IW + w1) * C;
        float *yp = y + p * C;
        for (int64_t c = 0; c < C; c++) {
            const float top = x00[c] + (x01[c] - x00[c]) * fw;
            const float bottom = x10[c] + (x11[c] - x10[c]) * fw;
            yp[c] = top + (bottom - top) * fh;
        }
    }
}

void ck_f32_activate_span__ref(float *x, size_t n, ck_activation act) { ck_activate_span_f32(x, n, act); }
