/* What the depthwise kernels of both vector paths (csrc/x86/avx2/f32-dwconv-8c.c and
 * csrc/x86/avx512/f32-dwconv-16c.c) share, none of it vector code: a call's fused clamp, the taps
 * of a kernel that land inside the input, a row's interior, and the strides one output row's tiles
 * walk. Included by csrc/x86/<isa>/ files only. */
#ifndef CK_X86_F32_DWCONV_ROWS_H
#define CK_X86_F32_DWCONV_ROWS_H

#include <math.h>

#include "convkit/kernels.h"

/* One call: relu and relu6 are a clamp fused into the stores (lo, hi); any other activation but
 * linear runs over the finished outputs (post_act). */
typedef struct ck_dw_call {
    const ck_conv_shape *s;
    const float *x, *w, *bias;
    float *y;
    ck_activation act;
    float lo, hi;
    int post_act;
} ck_dw_call;

CK_INLINE ck_dw_call ck_dw_call_of(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                   ck_activation act, float *y) {
    ck_dw_call c = {s, x, w, bias, y, act, -INFINITY, INFINITY, 0};
    if (act.kind == CK_ACT_RELU) c.lo = 0.0f;
    else if (act.kind == CK_ACT_RELU6) c.lo = 0.0f, c.hi = 6.0f;
    else if (act.kind != CK_ACT_LINEAR) c.post_act = 1;
    return c;
}

/* First (lo) and one-past-last (hi) kernel tap k with 0 <= base + k*dil < in. */
CK_INLINE void ck_dw_tap_range(int64_t base, int64_t dil, int64_t k, int64_t in, int64_t *lo, int64_t *hi) {
    int64_t a = base >= 0 ? 0 : (-base + dil - 1) / dil;
    int64_t b = base > in - 1 ? 0 : (in - 1 - base) / dil + 1;
    if (b > k) b = k;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

/* Output pixels [a, b) of a row whose kw taps are all inside the input (may be empty). */
CK_INLINE void ck_dw_interior(int64_t out, int64_t stride, int64_t pad, int64_t span, int64_t in, int64_t *a,
                              int64_t *b) {
    int64_t lo = (pad + stride - 1) / stride;                                  /* o*s - pad >= 0 */
    int64_t hi = in - span + pad < 0 ? 0 : (in - span + pad) / stride + 1;     /* o*s - pad + span <= in */
    if (lo > out) lo = out;
    if (hi > out) hi = out;
    if (hi < lo) hi = lo;
    *a = lo;
    *b = hi;
}

/* What every tile of one output row shares (multiplier 1). Strides are in floats. */
typedef struct ck_dw_row {
    const float *w, *bias; /* w at the row's first valid (kd, kh) tap, kw = 0 */
    int64_t C, nd, nh;      /* channels; valid kd and kh taps */
    int64_t xdd, xdh, xdw;  /* x: next kd tap, next kh tap, next kw tap */
    int64_t wdd, wdh;       /* w: next kd tap, next kh tap (next kw tap: C) */
    int64_t xs;             /* x: next output pixel */
    float lo, hi;           /* the call's fused clamp */
} ck_dw_row;

/* Output row `row` (batch x out_d x out_h) of a kernel KW taps wide: fills g and returns x at
 * (n, first valid id, first valid ih, iw = 0), or x itself when no (kd, kh) tap is valid. */
CK_INLINE const float *ck_dw_row_of(const ck_dw_call *c, int64_t row, int64_t KW, ck_dw_row *g) {
    const ck_conv_shape *s = c->s;
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1];
    const int64_t KH = s->kernel_size[1], C = s->in_channels;
    const int64_t oh = row % OH, od = (row / OH) % OD, n = row / (OH * OD);
    const int64_t bd = od * s->stride[0] - s->pad_before[0], bh = oh * s->stride[1] - s->pad_before[1];
    int64_t kd0, kd1, kh0, kh1;
    ck_dw_tap_range(bd, s->dilation[0], s->kernel_size[0], ID, &kd0, &kd1);
    ck_dw_tap_range(bh, s->dilation[1], KH, IH, &kh0, &kh1);
    g->C = C;
    g->nd = kd1 - kd0;
    g->nh = kh1 - kh0;
    g->xdd = s->dilation[0] * IH * IW * C;
    g->xdh = s->dilation[1] * IW * C;
    g->xdw = s->dilation[2] * C;
    g->xs = s->stride[2] * C;
    g->wdd = KH * KW * C;
    g->wdh = KW * C;
    g->w = c->w + (kd0 * KH + kh0) * KW * C;
    g->bias = c->bias;
    g->lo = c->lo;
    g->hi = c->hi;
    return g->nd > 0 && g->nh > 0
               ? c->x + (((n * ID + bd + kd0 * s->dilation[0]) * IH + bh + kh0 * s->dilation[1]) * IW) * C
               : c->x;
}

#endif
