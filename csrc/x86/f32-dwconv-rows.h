/* What the depthwise kernels of both vector paths (csrc/x86/avx2/f32-dwconv-8c.c and
 * csrc/x86/avx512/f32-dwconv-16c.c) share, none of it vector code: a call's fused clamp, the taps
 * of a kernel that land inside the input, a row's interior, the channels of a unit of work, the
 * strides one output row's tiles walk, and the prefetch of the next row's input. Included by
 * csrc/x86/<isa>/ files only. */
#ifndef CK_X86_F32_DWCONV_ROWS_H
#define CK_X86_F32_DWCONV_ROWS_H

#include <math.h>
#include <xmmintrin.h> /* _mm_prefetch (SSE: every x86-64) */

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

/* A tile of P output pixels from output column ow, at stride 1 and dilation 1 along W with KW
 * taps (the P + KW - 1 input columns j its pixels read, j = p + kw): col0 = ow - pad, the input
 * column of its first pixel's kw = 0 tap (may be negative); np, its pixels inside the row; [j0,
 * j1), its columns inside the input. Returns 1 when the tile is whole and every column inside
 * (the kernels' interior variant), 0 when it crosses a border (their edge variant). */
CK_INLINE int ck_dw_tile_columns(int64_t ow, int64_t pw, int64_t IW, int64_t OW, int64_t P, int64_t KW,
                                 int64_t *col0, int64_t *np, int64_t *j0, int64_t *j1) {
    const int64_t span = P + KW - 1, c = ow - pw;
    *col0 = c;
    *np = OW - ow < P ? OW - ow : P;
    *j0 = c < 0 ? -c : 0;
    *j1 = IW - c < span ? IW - c : span;
    return *np == P && *j0 == 0 && *j1 == span;
}

/* Channels per unit of work: as many 64-channel blocks merged as leave the layer at least
 * CK_DW_MIN_UNITS units (rows x channel blocks), up to CK_DW_MAX_BLOCK channels, the blocks then
 * evened out to whole vectors of `lanes` channels (603 channels: 304 + 299, not 512 + 91). A unit
 * sweeps its row once for all its channels, so fewer, wider units pay the row's set-up and
 * borders once and read each input pixel's channels together. Against fixed 64-channel blocks on
 * Zen 3 with the AVX2 kernel (1 thread; each pair measured in both orders, 10-12 interleaved
 * rounds, since the first of a pair ran 0-9% slower): 3x3 over 28x28x512 1.43x, 160x160x128
 * 1.27x, 8x56x56x128 1.07x, 7x7x960 1.06x, 112x112x96 s2 1.09x, 28x28x192 s2 1.06x; 7x7 over
 * 2x56x56x256 1.05x; cache-resident layers of 144-576 channels 0.95-1.01x (56x56x144
 * 0.97-1.00x, within the +-5% these pairs move); the AVX-512 kernel's figures are in its file.
 * The block depends on the shape only, and no sum depends on it (each channel vector sees the
 * same taps in the same order), so results stay the same for any thread count. A 1D layer of
 * one row keeps 64-channel units to feed the threads. */
#define CK_DW_MIN_UNITS 32
#define CK_DW_MAX_BLOCK 512

CK_INLINE int64_t ck_dw_channel_block(int64_t rows, int64_t C, int64_t lanes) {
    const int64_t blocks64 = (C + 63) / 64;
    int64_t merge = rows * blocks64 / CK_DW_MIN_UNITS;
    if (merge > blocks64) merge = blocks64;
    if (merge > CK_DW_MAX_BLOCK / 64) merge = CK_DW_MAX_BLOCK / 64;
    if (merge <= 1) return 64;
    /* as many blocks as merge*64 channels need, evened out to whole vectors */
    const int64_t nblocks = (C + merge * 64 - 1) / (merge * 64);
    return ((C + nblocks - 1) / nblocks + lanes - 1) / lanes * lanes;
}

/* Input size above which a row prefetches the next row's input (ck_dw_prefetch_next_row). */
#define CK_DW_PREFETCH_MIN_BYTES ((int64_t)4 << 20)

/* What every tile of one output row shares (multiplier 1). Strides are in floats. */
typedef struct ck_dw_row {
    const float *w, *bias; /* w at the row's first valid (kd, kh) tap, kw = 0 */
    int64_t C, nd, nh;      /* channels; valid kd and kh taps */
    int64_t xdd, xdh, xdw;  /* x: next kd tap, next kh tap, next kw tap */
    int64_t wdd, wdh;       /* w: next kd tap, next kh tap (next kw tap: C) */
    int64_t xs;             /* x: next output pixel */
    int64_t xpf;            /* x: from the first valid (kd, kh) row to the row the next output row
                               adds (stride_h past the last valid kh row); 0: none */
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
    /* (only for inputs past a few MiB: on cached ones the prefetches cost 5-10% on 28x28x192 and
     * 14x14x576 and up to 20% on 112x112x32; 224x224x32, 6.4 MB, moved within the noise) */
    const int big = s->batch * ID * IH * IW * C * (int64_t)sizeof(float) > CK_DW_PREFETCH_MIN_BYTES;
    g->xpf = g->nh > 0 && big ? ((g->nh - 1) * s->dilation[1] + s->stride[1]) * IW * C : 0;
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

/* Into L2, the input the next output row will add and this one does not read: in every valid kd
 * plane, the row at g->xpf, input columns [iw0, iw1) (clipped to the row), channels [c0, c1).
 * A row run calls it for the columns its next few output pixels advance over (stride_w per
 * pixel), so the row below streams in one output row ahead, a few lines at a time. Layers past
 * the caches otherwise read each pixel's channels as separate 64-channel pieces, stride C
 * floats apart, which the hardware prefetchers did not cover: 160x160x128 3x3 on Zen 4, 1
 * thread, AVX-512: 5.4-6.7 -> 3.0-3.7 ms (the row below prefetched inside the tile loop). The
 * next output row is this thread's next unless the row ends its image or unit range; a wrong
 * guess costs only the prefetch. */
CK_INLINE void ck_dw_prefetch_next_row(const ck_dw_row *g, const float *xrow, int64_t iw0, int64_t iw1, int64_t IW,
                                       int64_t c0, int64_t c1) {
    if (g->xpf == 0) return;
    if (iw0 < 0) iw0 = 0;
    if (iw1 > IW) iw1 = IW;
    const int64_t C = g->C;
    for (int64_t kd = 0; kd < g->nd; kd++) {
        const float *r = xrow + g->xpf + kd * g->xdd;
        for (int64_t iw = iw0; iw < iw1; iw++)
            for (int64_t c = c0; c < c1; c += 16) _mm_prefetch((const char *)(r + iw * C + c), _MM_HINT_T1);
    }
}

#endif
