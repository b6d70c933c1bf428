/* Reference transposed convolution. The definition is a scatter (each input pixel spreads its
 * kernel over the output, see kernels.h); written here as the equivalent gather so every output
 * pixel is owned by one thread: output o receives input i through tap k exactly when
 * o + crop = i*stride + k*dilation, i.e. i = (o + crop - k*dilation) / stride with no remainder. */
#include "convkit/dispatch.h"
#include "convkit/threads.h"

/* The input index feeding output position o through tap k, or -1 if none. */
static inline int64_t ck_transpose_source(int64_t o, int64_t k, int64_t stride, int64_t dilation,
                                          int64_t crop, int64_t in) {
    const int64_t t = o + crop - k * dilation;
    if (t < 0 || t % stride != 0) return -1;
    const int64_t i = t / stride;
    return i < in ? i : -1;
}

void ck_f32_conv_transpose_nd__ref(const ck_conv_shape *s, const float *CK_RESTRICT x,
                                   const float *CK_RESTRICT w, const float *CK_RESTRICT bias,
                                   ck_activation act, float *CK_RESTRICT y) {
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t KD = s->kernel_size[0], KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t CI = s->in_channels, CO = s->out_channels, G = s->groups;
    const int64_t CIG = CI / G, COG = CO / G;
    const int64_t pixels = s->batch * OD * OH * OW;

    CK_PARALLEL_FOR(pixels * KD * KH * KW * CIG * CO)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
        float *yp = y + p * CO;
        for (int64_t co = 0; co < CO; co++) yp[co] = 0.0f;
        for (int64_t kd = 0; kd < KD; kd++) {
            const int64_t id = ck_transpose_source(od, kd, s->stride[0], s->dilation[0], s->pad_before[0], ID);
            if (id < 0) continue;
            for (int64_t kh = 0; kh < KH; kh++) {
                const int64_t ih = ck_transpose_source(oh, kh, s->stride[1], s->dilation[1], s->pad_before[1], IH);
                if (ih < 0) continue;
                for (int64_t kw = 0; kw < KW; kw++) {
                    const int64_t iw = ck_transpose_source(ow, kw, s->stride[2], s->dilation[2], s->pad_before[2], IW);
                    if (iw < 0) continue;
                    const float *xp = x + (((n * ID + id) * IH + ih) * IW + iw) * CI;
                    const float *wp = w + ((kd * KH + kh) * KW + kw) * COG * CI; /* [COG, CI] */
                    for (int64_t g = 0; g < G; g++) {
                        for (int64_t cog = 0; cog < COG; cog++) {
                            float acc = 0.0f;
                            const float *wrow = wp + cog * CI + g * CIG;
                            const float *xg = xp + g * CIG;
                            for (int64_t ci = 0; ci < CIG; ci++) acc += xg[ci] * wrow[ci];
                            yp[g * COG + cog] += acc;
                        }
                    }
                }
            }
        }
        for (int64_t co = 0; co < CO; co++) yp[co] = ck_activate_f32(yp[co] + (bias ? bias[co] : 0.0f), act);
    }
}
