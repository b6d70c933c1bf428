/* Reference N-d convolution (1D/2D/3D as 3D), grouped, channels-last. Written to be read: the
 * loops follow the math, one output pixel at a time. The innermost loop runs over the output
 * channels of a group because both w and y are contiguous there, which the compiler vectorises
 * without changing the order of the sum for any single output. */
#include "convkit/dispatch.h"
#include "convkit/threads.h"

void ck_f32_conv_nd__ref(const ck_conv_shape *s, const float *CK_RESTRICT x, const float *CK_RESTRICT w,
                         const float *CK_RESTRICT bias, ck_activation act, float *CK_RESTRICT y) {
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t KD = s->kernel_size[0], KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t CI = s->in_channels, CO = s->out_channels, G = s->groups;
    const int64_t CIG = CI / G, COG = CO / G; /* channels per group */
    const int64_t pixels = s->batch * OD * OH * OW;
    const int64_t work = pixels * KD * KH * KW * CIG * CO;

    CK_PARALLEL_FOR(work)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
        float *yp = y + p * CO;
        for (int64_t co = 0; co < CO; co++) yp[co] = 0.0f;
        for (int64_t kd = 0; kd < KD; kd++) {
            const int64_t id = od * s->stride[0] - s->pad_before[0] + kd * s->dilation[0];
            if (id < 0 || id >= ID) continue; /* zero padding */
            for (int64_t kh = 0; kh < KH; kh++) {
                const int64_t ih = oh * s->stride[1] - s->pad_before[1] + kh * s->dilation[1];
                if (ih < 0 || ih >= IH) continue;
                for (int64_t kw = 0; kw < KW; kw++) {
                    const int64_t iw = ow * s->stride[2] - s->pad_before[2] + kw * s->dilation[2];
                    if (iw < 0 || iw >= IW) continue;
                    const float *xp = x + (((n * ID + id) * IH + ih) * IW + iw) * CI;
                    const float *wp = w + ((kd * KH + kh) * KW + kw) * CIG * CO;
                    for (int64_t g = 0; g < G; g++) {
                        for (int64_t ci = 0; ci < CIG; ci++) {
                            const float xv = xp[g * CIG + ci];
                            const float *wrow = wp + ci * CO + g * COG;
                            float *yrow = yp + g * COG;
                            for (int64_t co = 0; co < COG; co++) yrow[co] += xv * wrow[co];
                        }
                    }
                }
            }
        }
        for (int64_t co = 0; co < CO; co++) {
            const float v = yp[co] + (bias ? bias[co] : 0.0f);
            yp[co] = ck_activate_f32(v, act);
        }
    }
}
