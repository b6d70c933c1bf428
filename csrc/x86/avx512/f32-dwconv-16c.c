/* AVX-512 depthwise convolution, channels-last, multiplier 1, stride 1 and dilation 1 along W with
 * a kernel width of 3, 5 or 7 (MobileNet's, EfficientNet's and ConvNeXt's depthwise layers); every
 * other depthwise convolution goes to the AVX2 kernel (csrc/x86/avx2/f32-dwconv-8c.c), whose
 * units this follows: (output row, block of channels). A row is cut into tiles of eight output
 * pixels from its first; the tiles that cross the row's borders skip the input columns outside
 * (ck_dw16_tile's edge variant). The blocks are the AVX2
 * kernel's (ck_dw_channel_block: 64-channel blocks merged, up to 512, while the layer keeps 32
 * units), evened out to whole 16-channel vectors. Against fixed 64-channel units on Zen 4 (AVX-512
 * at AVX2's FMA rate; in-process A/B, each pair in both orders, 10 rounds; 1 / 2 threads): 3x3
 * over 8x56x56x128 1.13x / 1.14x, 160x160x128 1.09-1.13x / 1.15x, 56x56x144 1.11-1.20x /
 * 1.19x, 14x14x576 1.12-1.14x / 1.12x, 7x7x960 1.16-1.20x / 1.12x, 28x28x512 1.04x / 1.03x; 7x7
 * over 2x56x56x256 1.00-1.06x / 1.04x; 28x28x192 3x3 and 28x28x240 5x5 0.95-1.01x (ties).
 *
 * A tile runs eight output pixels at a time for one 16-channel vector: for each valid (kd, kh) tap
 * row the KW weight vectors go into registers, then the 7 + KW input columns of that row are
 * loaded once each and every column feeds the outputs that use it. A 7x7 kernel thus costs
 * 21 loads per 56 FMAs, where the AVX2 kernel's four-pixel tiles load one input vector per FMA
 * (Xeon, 1 thread, against the AVX2 kernel: 56x56x96 7x7 0.72 -> 0.41-0.43 ms, 28x28x240 5x5 0.22
 * -> 0.15 ms; PyTorch 0.38-0.39 and 0.16 ms; 3x3 layers move within the noise).
 *
 * Border pixels (where some kw taps fall in the padding) went one at a time before, loading a
 * weight vector and an input vector per FMA; they took about a third of the time of 56x56x96 7x7,
 * whose rows have 8 border pixels in 56. Edge tiles instead (Zen 4, 1 thread, in-process A/B,
 * each pair in both orders, 9-15 rounds, bitwise-identical outputs): 7x7 over 56x56x96
 * 1.26-1.36x, over 2x56x56x256 1.16x; 5x5 over 8x56x56x128 1.20x, 28x28x240 1.03x; 3x3 over
 * 7x7x960 1.64-2.04x, 14x14x576 1.20-1.26x, 56x56x144 1.11x, 28x28x192 1.07x, 112x112x32 1.04x;
 * 3x3 over 8x56x56x128 (12.8 MB, past the caches) ran at 0.87-1.05x, mostly 0.90-0.97x, at 1
 * and 2 threads, for reasons not found: the old row layout (border pixels one at a time) put
 * back into this file for such layers also measured 0.93-0.98x against the old file.
 *
 * Each output still sums bias, then its taps in (kd, kh, kw) order, like the AVX2 and reference
 * kernels, in whichever tile it falls, so results do not depend on the thread count.
 * Activations other than a clamp run over each finished pixel's channels with the path's
 * activate_span. */
#include <immintrin.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"
#include "../f32-dwconv-rows.h"

#define CK_DW16_P 8       /* output pixels per interior tile */

/* v clamped to [lo, hi] with NaN kept (compare and select: the max/min intrinsics may be commuted). */
CK_INLINE __m512 ck_dw16_clamp(__m512 v, __m512 lo, __m512 hi) {
    v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), lo);
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), hi);
}

/* CK_DW16_P output pixels from output column ow, channels [c0, c1). xrow: x at the row's first
 * valid (kd, kh) tap, iw = 0, channel 0; col0 = ow - pad: the input column of the first pixel's
 * kw = 0 tap (may be negative). KW is a constant after inlining.
 *
 * With `edge` (a constant too) the tile may cross the row's borders: only the tile's columns j
 * in [j0, j1) are inside the input (the others are never read), and only the first np pixels are
 * stored. Skipping column j drops exactly the taps (p, kw = j - p) that fall outside the input,
 * so every pixel still sums bias, then its valid taps in (kd, kh, kw) order: the same FMAs as in
 * an interior tile or in the reference kernel. */
CK_INLINE void ck_dw16_tile(const ck_dw_row *g, const float *xrow, int64_t col0, float *yp, int64_t c0, int64_t c1,
                            const int KW, const int edge, int64_t j0, int64_t j1, int64_t np) {
    const int64_t C = g->C;
    const __m512 lo = _mm512_set1_ps(g->lo), hi = _mm512_set1_ps(g->hi);
    for (int64_t c = c0; c < c1; c += 16) {
        const __mmask16 m = c1 - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c1 - c)) - 1u);
        const __m512 b = g->bias ? _mm512_maskz_loadu_ps(m, g->bias + c) : _mm512_setzero_ps();
        __m512 acc[CK_DW16_P];
#pragma GCC unroll 8
        for (int p = 0; p < CK_DW16_P; p++) acc[p] = b;
        const float *xd = xrow + c, *wd = g->w + c;
        for (int64_t kd = 0; kd < g->nd; kd++, xd += g->xdd, wd += g->wdd) {
            const float *xh = xd, *wh = wd;
            for (int64_t kh = 0; kh < g->nh; kh++, xh += g->xdh, wh += g->wdh) {
                __m512 w[7];
#pragma GCC unroll 7
                for (int k = 0; k < KW; k++) w[k] = _mm512_maskz_loadu_ps(m, wh + k * C);
                /* column j feeds output p = j - kw for every kw: per output, kw ascending */
#pragma GCC unroll 14
                for (int j = 0; j < CK_DW16_P + KW - 1; j++) {
                    if (edge && (j < j0 || j >= j1)) continue;
                    const __m512 xv = _mm512_maskz_loadu_ps(m, xh + (col0 + j) * C);
#pragma GCC unroll 7
                    for (int k = 0; k < KW; k++)
                        if (j - k >= 0 && j - k < CK_DW16_P) acc[j - k] = _mm512_fmadd_ps(xv, w[k], acc[j - k]);
                }
            }
        }
#pragma GCC unroll 8
        for (int p = 0; p < CK_DW16_P; p++)
            if (!edge || p < np) _mm512_mask_storeu_ps(yp + p * C + c, m, ck_dw16_clamp(acc[p], lo, hi));
    }
}

/* One output row, channels [c0, c1), in tiles of CK_DW16_P pixels from its first: a full tile
 * with all its columns inside the input runs the interior variant, the others (the first and
 * last of a row, or every tile of a narrow row) the edge variant. Tiles starting at the first
 * interior pixel instead, with one edge tile for the left border, ran at 0.56-1.02x the speed of
 * this (7x7x960 3x3 0.56x, 56x56x96 7x7 0.89x, 8x56x56x128 3x3 1.02x). */
CK_INLINE void ck_dw16_row_run(const ck_dw_call *ctx, int64_t row, int64_t c0, int64_t c1, const int KW) {
    const ck_conv_shape *s = ctx->s;
    const int64_t IW = s->in_size[2], OW = s->out_size[2], C = s->in_channels, pw = s->pad_before[2];
    ck_dw_row g;
    const float *xrow = ck_dw_row_of(ctx, row, KW, &g);
    float *yrow = ctx->y + row * OW * C;
    for (int64_t ow = 0; ow < OW; ow += CK_DW16_P) {
        int64_t col0, np, j0, j1;
        const int interior = ck_dw_tile_columns(ow, pw, IW, OW, CK_DW16_P, KW, &col0, &np, &j0, &j1);
        ck_dw_prefetch_next_row(&g, xrow, col0, col0 + CK_DW16_P, IW, c0, c1);
        if (interior) ck_dw16_tile(&g, xrow, col0, yrow + ow * C, c0, c1, KW, 0, j0, j1, np);
        else ck_dw16_tile(&g, xrow, col0, yrow + ow * C, c0, c1, KW, 1, j0, j1, np);
    }
    ck_dw_prefetch_next_row(&g, xrow, OW - pw, IW, IW, c0, c1); /* the columns past the last start */
    if (ctx->post_act)
        for (int64_t p = 0; p < OW; p++) ck_dispatch.activate_span(yrow + p * C + c0, (size_t)(c1 - c0), ctx->act);
}

/* The AVX2 kernel for what this one does not cover. */
static int ck_dw16_covers(const ck_conv_shape *s) {
    const int64_t kw = s->kernel_size[2];
    return s->out_channels == s->in_channels && s->stride[2] == 1 && s->dilation[2] == 1 &&
           (kw == 3 || kw == 5 || kw == 7);
}

void ck_f32_depthwise_conv_nd__avx512(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                      ck_activation act, float *y) {
    if (!ck_dw16_covers(s)) {
        ck_f32_depthwise_conv_nd__avx2(s, x, w, bias, act, y);
        return;
    }
    const ck_dw_call ctx = ck_dw_call_of(s, x, w, bias, act, y);
    const int64_t rows = s->batch * s->out_size[0] * s->out_size[1], C = s->out_channels;
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const int64_t cblock = ck_dw_channel_block(rows, C, 16);
    const int64_t cblocks = (C + cblock - 1) / cblock;
    const int64_t KW = s->kernel_size[2];
    CK_PARALLEL_FOR(rows * s->out_size[2] * C * taps)
    for (int64_t u = 0; u < rows * cblocks; u++) {
        const int64_t r = u / cblocks, c0 = (u % cblocks) * cblock;
        const int64_t c1 = c0 + cblock < C ? c0 + cblock : C;
        const ck_fpenv env = ck_fpenv_enter();
        if (KW == 3) ck_dw16_row_run(&ctx, r, c0, c1, 3);
        else if (KW == 5) ck_dw16_row_run(&ctx, r, c0, c1, 5);
        else ck_dw16_row_run(&ctx, r, c0, c1, 7);
        ck_fpenv_leave(env);
    }
}
