/* Reference depthwise convolution: output channel c*M + m sees input channel c only, through
 * w[k..., c, m]. Channels-last, so the innermost loop runs over the M multipliers of channel c. */
#include "convkit/dispatch.h"
#include "convkit/threads.h"

void ck_f32_depthwise_conv_nd__ref(const ck_conv_shape *s, const float *CK_RESTRICT x,
                                   const float *CK_RESTRICT w, const float *CK_RESTRICT bias,
                                   ck_activation act, float *CK_RESTRICT y) {
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t KD = s->kernel_size[0], KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t C = s->in_channels, CO = s->out_channels, M = CO / C;
    const int64_t pixels = s->batch * OD * OH * OW;

    CK_PARALLEL_FOR(pixels * KD * KH * KW * CO)
    for (int64_t p = 0; p < pixels; p++) {
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
        float *yp = y + p * CO;
        for (int64_t co = 0; co < CO; co++) yp[co] = 0.0f;
        for (int64_t kd = 0; kd < KD; kd++) {
            const int64_t id = od * s->stride[0] - s->pad_before[0] + kd * s->dilation[0];
            if (id < 0 || id >= ID) continue;
            for (int64_t kh = 0; kh < KH; kh++) {
                const int64_t ih = oh * s->stride[1] - s->pad_before[1] + kh * s->dilation[1];
                if (ih < 0 || ih >= IH) continue;
                for (int64_t kw = 0; kw < KW; kw++) {
                    const int64_t iw = ow * s->stride[2] - s->pad_before[2] + kw * s->dilation[2];
                    if (iw < 0 || iw >= IW) continue;
                    const float *xp = x + (((n * ID + id) * IH + ih) * IW + iw) * C;
                    const float *wp = w + ((kd * KH + kh) * KW + kw) * CO; /* [C, M] flattened */
                    for (int64_t c = 0; c < C; c++)
                        for (int64_t m = 0; m < M; m++) yp[c * M + m] += xp[c] * wp[c * M + m];
                }
            }
        }
        for (int64_t co = 0; co < CO; co++) yp[co] = ck_activate_f32(yp[co] + (bias ? bias[co] : 0.0f), act);
    }
}
