/* AVX2+FMA depthwise convolution, channels-last, vectorised over channels (8 floats a vector,
 * masked loads/stores for the channels past the last multiple of 8).
 *
 * Work is split over output rows (batch x out_d x out_h) and blocks of channels; within a row
 * the kd/kh taps that fall inside the input are found once, and the row is cut in three along W:
 * a left and a right border (pixels whose window crosses the padding: the kw taps are clipped,
 * one pixel at a time) and an interior where every kw tap is inside, computed without a branch:
 *  - 3x3, dilation 1, stride 1 or 2, with all three kernel rows inside (MobileNet's case): one
 *    channel vector at a time with its nine weights in registers while the row streams by; at
 *    stride 1 each input column is loaded once and feeds the three outputs that use it;
 *  - 5 or 7 taps wide at stride 1 and dilation 1: every pixel of the row, borders included, in
 *    tiles of eight (ck_dw_tile8) for the full 8-channel vectors; a masked tail vector takes the
 *    paths below;
 *  - otherwise four output pixels at a time (one weight load feeds four FMAs).
 * A unit of work is one output row for a block of 64 to 512 channels (ck_dw_channel_block, in
 * ../f32-dwconv-rows.h).
 * Bias is the accumulators' start value; linear/relu/relu6 are a clamp fused into the store
 * (NaN goes through), other activations go through ck_activate_f32 on the finished row.
 *
 * Multiplier 1 is the hot case. For multiplier M > 1 a plain vector path runs over output
 * channels, each lane reading input channel co / M (one masked load and a lane permutation).
 *
 * Which code path computes an output depends only on its position, never on the thread count,
 * so results are bitwise identical for any number of threads. FTZ/DAZ are set per row and
 * restored. The blocking follows the usual direct-convolution recipe (output-row split, border /
 * interior split, register-held filter taps, as in XNNPACK's and NNPACK's depthwise kernels);
 * the code is our own. */
#include <immintrin.h>
#include <math.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"
#include "../f32-dwconv-rows.h"

/* Lanes [0, n) on, the rest off (1 <= n <= 8). */
CK_INLINE __m256i ck_dw_mask8(int64_t n) {
    static const int32_t t[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(t + 8 - n));
}

/* min/max return their second operand when either is NaN: with v second, NaN goes through. */
CK_INLINE __m256 ck_dw_clamp(__m256 v, __m256 lo, __m256 hi) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); }

/* ---- multiplier 1 ---------------------------------------------------------------------------- */

/* P output pixels (stride xs apart in x), kw taps [kw0, kw1) (0 and KW for the interior, where
 * KW is a compile-time constant in the hot cases), channels [c0, c1): full vectors, then a
 * masked tail of `tail` channels at c1. xb: x at the first pixel's first valid tap, channel 0. */
CK_INLINE void ck_dw_tile(const ck_dw_row *g, const float *xb, float *yp, int64_t c0, int64_t c1, int64_t tail,
                          __m256i tmask, const int P, int64_t kw0, int64_t kw1) {
    CK_ASSERT(P <= 4);
    const int64_t C = g->C, xdw = g->xdw, xs = g->xs;
    const __m256 lo = _mm256_set1_ps(g->lo), hi = _mm256_set1_ps(g->hi);
    const float *w0 = g->w + kw0 * C;
    for (int64_t c = c0; c < c1 + (tail ? 8 : 0); c += 8) {
        const int masked = c >= c1;
        __m256 acc[4];
        acc[0] = g->bias ? (masked ? _mm256_maskload_ps(g->bias + c, tmask) : _mm256_loadu_ps(g->bias + c))
                         : _mm256_setzero_ps();
        for (int p = 1; p < P; p++) acc[p] = acc[0];
        const float *xd = xb + c, *wd = w0 + c;
        for (int64_t kd = 0; kd < g->nd; kd++, xd += g->xdd, wd += g->wdd) {
            const float *xh = xd, *wh = wd;
            for (int64_t kh = 0; kh < g->nh; kh++, xh += g->xdh, wh += g->wdh) {
                const float *xp = xh, *wp = wh;
                if (!masked) {
                    for (int64_t kw = kw0; kw < kw1; kw++, xp += xdw, wp += C) {
                        const __m256 wv = _mm256_loadu_ps(wp);
                        for (int p = 0; p < P; p++) acc[p] = _mm256_fmadd_ps(_mm256_loadu_ps(xp + p * xs), wv, acc[p]);
                    }
                } else {
                    for (int64_t kw = kw0; kw < kw1; kw++, xp += xdw, wp += C) {
                        const __m256 wv = _mm256_maskload_ps(wp, tmask);
                        for (int p = 0; p < P; p++)
                            acc[p] = _mm256_fmadd_ps(_mm256_maskload_ps(xp + p * xs, tmask), wv, acc[p]);
                    }
                }
            }
        }
        for (int p = 0; p < P; p++) {
            const __m256 r = ck_dw_clamp(acc[p], lo, hi);
            if (!masked) _mm256_storeu_ps(yp + p * C + c, r);
            else _mm256_maskstore_ps(yp + p * C + c, tmask, r);
        }
    }
}

/* Four interior pixels at stride 1 and dilation 1 along W for KW = 5 or 7 (a constant after
 * inlining): per valid (kd, kh) row the KW weight vectors are held in registers and the 3 + KW
 * input columns loaded once each, every column feeding the outputs that use it (7x7: 17 loads per
 * 28 FMAs instead of 35). Per output the taps still come in (kd, kh, kw) order, as ck_dw_tile's. */
CK_INLINE void ck_dw_sweep4(const ck_dw_row *g, const float *xb, float *yp, int64_t c0, int64_t c1, int64_t tail,
                            __m256i tmask, const int KW) {
    const int64_t C = g->C;
    const __m256 lo = _mm256_set1_ps(g->lo), hi = _mm256_set1_ps(g->hi);
    for (int64_t c = c0; c < c1 + (tail ? 8 : 0); c += 8) {
        const int masked = c >= c1;
        const __m256i m = masked ? tmask : _mm256_set1_epi32(-1);
        __m256 acc[4];
        acc[0] = g->bias ? _mm256_maskload_ps(g->bias + c, m) : _mm256_setzero_ps();
        acc[1] = acc[0], acc[2] = acc[0], acc[3] = acc[0];
        const float *xd = xb + c, *wd = g->w + c;
        for (int64_t kd = 0; kd < g->nd; kd++, xd += g->xdd, wd += g->wdd) {
            const float *xh = xd, *wh = wd;
            for (int64_t kh = 0; kh < g->nh; kh++, xh += g->xdh, wh += g->wdh) {
                __m256 w[7];
#pragma GCC unroll 7
                for (int k = 0; k < KW; k++) w[k] = _mm256_maskload_ps(wh + k * C, m);
#pragma GCC unroll 10
                for (int j = 0; j < 3 + KW; j++) {
                    const __m256 xv = _mm256_maskload_ps(xh + j * C, m);
#pragma GCC unroll 7
                    for (int k = 0; k < KW; k++)
                        if (j - k >= 0 && j - k < 4) acc[j - k] = _mm256_fmadd_ps(xv, w[k], acc[j - k]);
                }
            }
        }
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) _mm256_maskstore_ps(yp + p * C + c, m, ck_dw_clamp(acc[p], lo, hi));
    }
}

/* Eight output pixels from output column ow at stride 1 and dilation 1 along W, KW = 5 or 7 (a
 * constant after inlining), full 8-channel vectors [c0, c1): the AVX-512 kernel's tile
 * (csrc/x86/avx512/f32-dwconv-16c.c) on ymm registers. Per valid (kd, kh) row the KW weight
 * vectors are held in registers and the 7 + KW input columns loaded once each, every column
 * feeding the outputs that use it: eight accumulators, so eight independent FMA chains, where
 * ck_dw_sweep4's four left half of the two FMA pipes idle (4-cycle latency). 7x7 uses all 16 ymm
 * registers (8 accumulators, 7 weights, 1 column). Against sweep4 for the interior and one pixel
 * at a time at the borders (Zen 4 running this AVX2 path, 1 thread, in-process A/B, each pair in
 * both orders, 7-11 rounds, bitwise-identical outputs): 7x7 over 56x56x96 2.06-2.17x, over
 * 2x56x56x256 1.80x, over 14x14x200 2.43x, over 7x7x768 4.41x, over 56x56x21 (16 channels here,
 * 5 masked) 1.45x; 5x5 over 56x56x64 1.89x, 28x28x240 1.73x, 8x56x56x128 1.83x. The same tiles
 * for 3x3 lost to ck_dw_stream3 on rows of 28 pixels or more (0.84-0.97x) and won on 14x14x576
 * and 7x7x960 (1.26x, 1.66x); 3x3 stays as it was.
 * xrow: x at the row's first valid (kd, kh) tap, iw = 0, channel 0; col0 = ow - pad (may be
 * negative). With `edge` only the columns j in [j0, j1) are inside the input and read, and only
 * the first np pixels are stored: skipping a column drops exactly the taps that fall outside, so
 * each output still sums bias, then its valid taps in (kd, kh, kw) order, like ck_dw_tile and
 * ck_dw_sweep4. */
CK_INLINE void ck_dw_tile8(const ck_dw_row *g, const float *xrow, int64_t col0, float *yp, int64_t c0, int64_t c1,
                           const int KW, const int edge, int64_t j0, int64_t j1, int64_t np) {
    const int64_t C = g->C;
    for (int64_t c = c0; c < c1; c += 8) {
        const __m256 b = g->bias ? _mm256_loadu_ps(g->bias + c) : _mm256_setzero_ps();
        __m256 acc[8];
#pragma GCC unroll 8
        for (int p = 0; p < 8; p++) acc[p] = b;
        const float *xd = xrow + c, *wd = g->w + c;
        for (int64_t kd = 0; kd < g->nd; kd++, xd += g->xdd, wd += g->wdd) {
            const float *xh = xd, *wh = wd;
            for (int64_t kh = 0; kh < g->nh; kh++, xh += g->xdh, wh += g->wdh) {
                __m256 w[7];
#pragma GCC unroll 7
                for (int k = 0; k < KW; k++) w[k] = _mm256_loadu_ps(wh + k * C);
                /* column j feeds output p = j - kw for every kw: per output, kw ascending */
#pragma GCC unroll 14
                for (int j = 0; j < 7 + KW; j++) {
                    if (edge && (j < j0 || j >= j1)) continue;
                    const __m256 xv = _mm256_loadu_ps(xh + (col0 + j) * C);
#pragma GCC unroll 7
                    for (int k = 0; k < KW; k++)
                        if (j - k >= 0 && j - k < 8) acc[j - k] = _mm256_fmadd_ps(xv, w[k], acc[j - k]);
                }
            }
        }
        const __m256 lo = _mm256_set1_ps(g->lo), hi = _mm256_set1_ps(g->hi);
#pragma GCC unroll 8
        for (int p = 0; p < 8; p++)
            if (!edge || p < np) _mm256_storeu_ps(yp + p * C + c, ck_dw_clamp(acc[p], lo, hi));
    }
}

/* A whole output row of ck_dw_tile8 tiles for channels [c0, c1) (full vectors), from its first
 * pixel: full tiles with every column inside run the interior variant, the others (the first
 * and last of a row, or every tile of a narrow row) the edge variant. A function of its own
 * (one per KW), since inlined into the row code the tiles spilled registers to the stack. */
static void ck_dw_row_tiles8(const ck_dw_row *g, const float *xrow, float *yrow, int64_t IW, int64_t OW,
                             int64_t pw, int64_t c0, int64_t c1, const int KW) {
    const int64_t C = g->C;
    for (int64_t ow = 0; ow < OW; ow += 8) {
        int64_t col0, np, j0, j1;
        const int interior = ck_dw_tile_columns(ow, pw, IW, OW, 8, KW, &col0, &np, &j0, &j1);
        ck_dw_prefetch_next_row(g, xrow, col0, col0 + 8, IW, c0, c1);
        if (interior) ck_dw_tile8(g, xrow, col0, yrow + ow * C, c0, c1, KW, 0, j0, j1, np);
        else ck_dw_tile8(g, xrow, col0, yrow + ow * C, c0, c1, KW, 1, j0, j1, np);
    }
}

__attribute__((noinline)) static void ck_dw_row_tiles8_k5(const ck_dw_row *g, const float *xrow, float *yrow,
                                                         int64_t IW, int64_t OW, int64_t pw, int64_t c0, int64_t c1) {
    ck_dw_row_tiles8(g, xrow, yrow, IW, OW, pw, c0, c1, 5);
}

__attribute__((noinline)) static void ck_dw_row_tiles8_k7(const ck_dw_row *g, const float *xrow, float *yrow,
                                                         int64_t IW, int64_t OW, int64_t pw, int64_t c0, int64_t c1) {
    ck_dw_row_tiles8(g, xrow, yrow, IW, OW, pw, c0, c1, 7);
}

/* 3x3 taps, dilation 1, stride 1 or 2, all three kernel rows inside the input: `count` interior
 * pixels of a row, one channel vector at a time with its nine weights held in registers while the
 * row streams by (three x loads per output pixel at stride 1: each input column feeds the three
 * outputs that use it). xb: x at the first pixel's first tap (row 0), channel 0. */
CK_INLINE void ck_dw_stream3_vec(const ck_dw_row *g, const float *xb, float *yp, int64_t c, const int SW,
                                 int64_t count, const int MASKED, __m256i tmask) {
    const int64_t C = g->C, xdh = g->xdh, wdh = g->wdh;
#define CK_DW_LD(p) (MASKED ? _mm256_maskload_ps((p), tmask) : _mm256_loadu_ps(p))
#define CK_DW_ST(p, v) (MASKED ? _mm256_maskstore_ps((p), tmask, (v)) : _mm256_storeu_ps((p), (v)))
    const float *w = g->w + c;
    const __m256 w00 = CK_DW_LD(w), w01 = CK_DW_LD(w + C), w02 = CK_DW_LD(w + 2 * C);
    const __m256 w10 = CK_DW_LD(w + wdh), w11 = CK_DW_LD(w + wdh + C), w12 = CK_DW_LD(w + wdh + 2 * C);
    const __m256 w20 = CK_DW_LD(w + 2 * wdh), w21 = CK_DW_LD(w + 2 * wdh + C), w22 = CK_DW_LD(w + 2 * wdh + 2 * C);
    const __m256 b = g->bias ? CK_DW_LD(g->bias + c) : _mm256_setzero_ps();
    const __m256 lo = _mm256_set1_ps(g->lo), hi = _mm256_set1_ps(g->hi);
    const float *x0 = xb + c, *x1 = x0 + xdh, *x2 = x0 + 2 * xdh;
    float *y = yp + c;
    if (SW == 1) {
        /* Column j completes output j-2 (kw 2), adds kw 1 to output j-1, starts output j. */
        __m256 p = _mm256_fmadd_ps(CK_DW_LD(x2), w20, _mm256_fmadd_ps(CK_DW_LD(x1), w10, _mm256_fmadd_ps(CK_DW_LD(x0), w00, b)));
        x0 += C, x1 += C, x2 += C;
        __m256 a0 = CK_DW_LD(x0), a1 = CK_DW_LD(x1), a2 = CK_DW_LD(x2);
        __m256 q = _mm256_fmadd_ps(a2, w21, _mm256_fmadd_ps(a1, w11, _mm256_fmadd_ps(a0, w01, p)));
        p = _mm256_fmadd_ps(a2, w20, _mm256_fmadd_ps(a1, w10, _mm256_fmadd_ps(a0, w00, b)));
        x0 += C, x1 += C, x2 += C;
        for (int64_t j = 2; j < count + 2; j++, x0 += C, x1 += C, x2 += C, y += C) {
            a0 = CK_DW_LD(x0), a1 = CK_DW_LD(x1), a2 = CK_DW_LD(x2);
            q = _mm256_fmadd_ps(a2, w22, _mm256_fmadd_ps(a1, w12, _mm256_fmadd_ps(a0, w02, q)));
            CK_DW_ST(y, ck_dw_clamp(q, lo, hi));
            q = _mm256_fmadd_ps(a2, w21, _mm256_fmadd_ps(a1, w11, _mm256_fmadd_ps(a0, w01, p)));
            p = _mm256_fmadd_ps(a2, w20, _mm256_fmadd_ps(a1, w10, _mm256_fmadd_ps(a0, w00, b)));
        }
    } else {
        /* Output o reads columns 2o, 2o+1, 2o+2; column 2o+2 is the next output's first. */
        __m256 c0 = CK_DW_LD(x0), c1 = CK_DW_LD(x1), c2 = CK_DW_LD(x2);
        for (int64_t o = 0; o < count; o++, y += C) {
            __m256 acc = _mm256_fmadd_ps(c2, w20, _mm256_fmadd_ps(c1, w10, _mm256_fmadd_ps(c0, w00, b)));
            acc = _mm256_fmadd_ps(CK_DW_LD(x0 + C), w01, acc);
            acc = _mm256_fmadd_ps(CK_DW_LD(x1 + C), w11, acc);
            acc = _mm256_fmadd_ps(CK_DW_LD(x2 + C), w21, acc);
            x0 += 2 * C, x1 += 2 * C, x2 += 2 * C;
            c0 = CK_DW_LD(x0), c1 = CK_DW_LD(x1), c2 = CK_DW_LD(x2);
            acc = _mm256_fmadd_ps(c0, w02, acc);
            acc = _mm256_fmadd_ps(c1, w12, acc);
            acc = _mm256_fmadd_ps(c2, w22, acc);
            CK_DW_ST(y, ck_dw_clamp(acc, lo, hi));
        }
    }
#undef CK_DW_LD
#undef CK_DW_ST
}

static void ck_dw_stream3(const ck_dw_row *g, const float *xb, float *yp, int64_t c0, int64_t c1, int64_t tail,
                          __m256i tmask, int64_t sw, int64_t count) {
    if (sw == 1) {
        for (int64_t c = c0; c < c1; c += 8) ck_dw_stream3_vec(g, xb, yp, c, 1, count, 0, tmask);
        if (tail) ck_dw_stream3_vec(g, xb, yp, c1, 1, count, 1, tmask);
    } else {
        for (int64_t c = c0; c < c1; c += 8) ck_dw_stream3_vec(g, xb, yp, c, 2, count, 0, tmask);
        if (tail) ck_dw_stream3_vec(g, xb, yp, c1, 2, count, 1, tmask);
    }
}

/* Output row `row`, channels [cb, ce) (one unit). KW is a parameter so the common 3-tap case
 * gets a specialised, unrolled copy. */
CK_INLINE void ck_dw_row_m1(const ck_dw_call *ctx, int64_t row, int64_t cb, int64_t ce, const int64_t KW) {
    const ck_conv_shape *s = ctx->s;
    const int64_t IW = s->in_size[2], OW = s->out_size[2], C = s->in_channels;
    const int64_t sw = s->stride[2], dw = s->dilation[2], pw = s->pad_before[2];
    ck_dw_row g;
    const float *xrow = ck_dw_row_of(ctx, row, KW, &g);
    int64_t ia, ib;
    ck_dw_interior(OW, sw, pw, (KW - 1) * dw + 1, IW, &ia, &ib);
    float *yrow = ctx->y + row * OW * C;
    const int stream = KW == 3 && dw == 1 && (sw == 1 || sw == 2) && g.nd == 1 && g.nh == 3 && ib > ia;

    int64_t cfull = cb + ((ce - cb) & ~(int64_t)7);
    const int64_t tail = ce - cfull;
    const __m256i tmask = ck_dw_mask8(tail > 0 ? tail : 8);
    if (sw == 1 && dw == 1 && (KW == 5 || KW == 7) && cfull > cb) {
        /* The full channel vectors in 8-pixel tiles, edges included; the rest of this function
         * then runs only the masked tail vector, if any. */
        if (KW == 5) ck_dw_row_tiles8_k5(&g, xrow, yrow, IW, OW, pw, cb, cfull);
        else ck_dw_row_tiles8_k7(&g, xrow, yrow, IW, OW, pw, cb, cfull);
        if (tail == 0) {
            ck_dw_prefetch_next_row(&g, xrow, OW - pw, IW, IW, cb, ce); /* the columns past the last start */
            return;
        }
        cb = cfull;
    }
    int64_t ow = 0;
    /* Left border: one pixel at a time, kw taps clipped. */
    for (; ow < ia; ow++) {
        int64_t kw0, kw1;
        ck_dw_tap_range(ow * sw - pw, dw, KW, IW, &kw0, &kw1);
        ck_dw_prefetch_next_row(&g, xrow, ow * sw - pw, (ow + 1) * sw - pw, IW, cb, ce);
        ck_dw_tile(&g, xrow + (ow * sw - pw + kw0 * dw) * C, yrow + ow * C, cb, cfull, tail, tmask, 1, kw0, kw1);
    }
    /* Interior: every kw tap inside, no branch. 3x3 with three valid rows: streamed with the
     * weights in registers; otherwise four then one pixel at a time. */
    if (stream) {
        /* In chunks whose three input rows (this channel block) fit in half of L1, so the
         * passes for the block's channel vectors after the first find them there; at least
         * four pixels (wide blocks: each pass starts by loading two columns it then keeps). */
        int64_t chunk = 16384 / (3 * sw * (ce - cb) * (int64_t)sizeof(float));
        if (chunk < 4) chunk = 4;
        for (; ow < ib; ow += chunk) {
            const int64_t cnt = ib - ow < chunk ? ib - ow : chunk;
            ck_dw_prefetch_next_row(&g, xrow, ow * sw - pw, (ow + cnt) * sw - pw, IW, cb, ce);
            ck_dw_stream3(&g, xrow + (ow * sw - pw) * C, yrow + ow * C, cb, cfull, tail, tmask, sw, cnt);
        }
        ow = ib;
    }
    if (sw == 1 && dw == 1 && KW == 5)
        for (; ow + 4 <= ib; ow += 4) {
            ck_dw_prefetch_next_row(&g, xrow, ow - pw, ow + 4 - pw, IW, cb, ce);
            ck_dw_sweep4(&g, xrow + (ow - pw) * C, yrow + ow * C, cb, cfull, tail, tmask, 5);
        }
    if (sw == 1 && dw == 1 && KW == 7)
        for (; ow + 4 <= ib; ow += 4) {
            ck_dw_prefetch_next_row(&g, xrow, ow - pw, ow + 4 - pw, IW, cb, ce);
            ck_dw_sweep4(&g, xrow + (ow - pw) * C, yrow + ow * C, cb, cfull, tail, tmask, 7);
        }
    for (; ow + 4 <= ib; ow += 4) {
        ck_dw_prefetch_next_row(&g, xrow, ow * sw - pw, (ow + 4) * sw - pw, IW, cb, ce);
        ck_dw_tile(&g, xrow + (ow * sw - pw) * C, yrow + ow * C, cb, cfull, tail, tmask, 4, 0, KW);
    }
    for (; ow < ib; ow++) {
        ck_dw_prefetch_next_row(&g, xrow, ow * sw - pw, (ow + 1) * sw - pw, IW, cb, ce);
        ck_dw_tile(&g, xrow + (ow * sw - pw) * C, yrow + ow * C, cb, cfull, tail, tmask, 1, 0, KW);
    }
    /* Right border. */
    for (; ow < OW; ow++) {
        int64_t kw0, kw1;
        ck_dw_tap_range(ow * sw - pw, dw, KW, IW, &kw0, &kw1);
        ck_dw_prefetch_next_row(&g, xrow, ow * sw - pw, (ow + 1) * sw - pw, IW, cb, ce);
        ck_dw_tile(&g, xrow + (ow * sw - pw + kw0 * dw) * C, yrow + ow * C, cb, cfull, tail, tmask, 1, kw0, kw1);
    }
    ck_dw_prefetch_next_row(&g, xrow, OW * sw - pw, IW, IW, cb, ce); /* the columns past the last start */
}

/* ---- multiplier > 1: output channel co reads input channel co / M ------------------------------ */

/* Output vectors per pass: independent accumulators, where one vector at a time waited on its
 * single FMA chain (4-cycle latency). With that and plain loads for whole vectors, against one
 * vector at a time with masked loads (Zen 4, 1 thread, in-process A/B, both orders, 9 rounds,
 * bitwise-identical outputs): 3x3 over 56x56x32 with multiplier 2 1.70-1.94x (1.93x at 2
 * threads), 28x28x64 x3 1.77x, 112x112x16 x2 1.71-2.01x, 56x56x8 x6 1.30-1.57x; 5x5 over
 * 14x14x100 x4 1.49-1.64x. Still far below the multiplier-1 kernels (about 12 GFLOP/s on
 * 56x56x32 x2): a lane permutation and two loads per FMA. */
#define CK_DW_MULT_V 4

static void ck_dw_row_mult(const ck_dw_call *ctx, int64_t row) {
    const ck_conv_shape *s = ctx->s;
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t C = s->in_channels, CO = s->out_channels, M = CO / C;
    const int64_t oh = row % OH, od = (row / OH) % OD, n = row / (OH * OD);
    const int64_t bd = od * s->stride[0] - s->pad_before[0], bh = oh * s->stride[1] - s->pad_before[1];
    int64_t kd0, kd1, kh0, kh1;
    ck_dw_tap_range(bd, s->dilation[0], s->kernel_size[0], ID, &kd0, &kd1);
    ck_dw_tap_range(bh, s->dilation[1], KH, IH, &kh0, &kh1);
    const __m256 lo = _mm256_set1_ps(ctx->lo), hi = _mm256_set1_ps(ctx->hi);
    const __m256 zero = _mm256_setzero_ps();
    /* Passes of up to CK_DW_MULT_V output vectors over the whole row: the vectors' masks and lane
     * permutations are found once per pass, not per pixel. */
    for (int64_t cg = 0; cg < CO; cg += 8 * CK_DW_MULT_V) {
        const int nv = (int)((CO - cg + 7) / 8 < CK_DW_MULT_V ? (CO - cg + 7) / 8 : CK_DW_MULT_V);
        __m256i m[CK_DW_MULT_V], xm[CK_DW_MULT_V], perm[CK_DW_MULT_V];
        int64_t cin[CK_DW_MULT_V];
        /* every vector whole, its 8 input lanes inside too: plain loads (maskload is slower) */
        const int full = nv == CK_DW_MULT_V && cg + 8 * CK_DW_MULT_V <= CO &&
                         (cg + 8 * (CK_DW_MULT_V - 1)) / M + 8 <= C;
        for (int v = 0; v < CK_DW_MULT_V; v++) {
            /* past nv: a copy of the first vector, computed and never stored */
            const int64_t co = cg + 8 * (v < nv ? v : 0);
            m[v] = ck_dw_mask8(CO - co < 8 ? CO - co : 8);
            /* The lanes' input channels (co + j) / M lie in [c0, c0 + 8): one masked load of those
             * from c0 and a lane permutation replace a gather (the same values, so the same sums). */
            const int64_t c0 = co / M, cn = C - c0 < 8 ? C - c0 : 8;
            cin[v] = c0;
            xm[v] = ck_dw_mask8(cn);
            perm[v] = _mm256_setr_epi32((int)(co / M - c0), (int)((co + 1) / M - c0), (int)((co + 2) / M - c0),
                                        (int)((co + 3) / M - c0), (int)((co + 4) / M - c0), (int)((co + 5) / M - c0),
                                        (int)((co + 6) / M - c0), (int)((co + 7) / M - c0));
        }
        for (int64_t ow = 0; ow < OW; ow++) {
            const int64_t bw = ow * s->stride[2] - s->pad_before[2];
            int64_t kw0, kw1;
            ck_dw_tap_range(bw, s->dilation[2], KW, IW, &kw0, &kw1);
            float *yp = ctx->y + (row * OW + ow) * CO;
            __m256 acc[CK_DW_MULT_V];
#pragma GCC unroll 4
            for (int v = 0; v < CK_DW_MULT_V; v++)
                acc[v] = ctx->bias ? _mm256_maskload_ps(ctx->bias + cg + 8 * (v < nv ? v : 0), m[v]) : zero;
            for (int64_t kd = kd0; kd < kd1; kd++) {
                const int64_t id = bd + kd * s->dilation[0];
                for (int64_t kh = kh0; kh < kh1; kh++) {
                    const int64_t ih = bh + kh * s->dilation[1];
                    for (int64_t kw = kw0; kw < kw1; kw++) {
                        const int64_t iw = bw + kw * s->dilation[2];
                        const float *xp = ctx->x + (((n * ID + id) * IH + ih) * IW + iw) * C;
                        const float *wp = ctx->w + ((kd * KH + kh) * KW + kw) * CO + cg;
                        if (full) {
#pragma GCC unroll 4
                            for (int v = 0; v < CK_DW_MULT_V; v++) {
                                const __m256 xv = _mm256_permutevar8x32_ps(_mm256_loadu_ps(xp + cin[v]), perm[v]);
                                acc[v] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(wp + 8 * v), acc[v]);
                            }
                        } else {
#pragma GCC unroll 4
                            for (int v = 0; v < CK_DW_MULT_V; v++) {
                                const __m256 xv =
                                    _mm256_permutevar8x32_ps(_mm256_maskload_ps(xp + cin[v], xm[v]), perm[v]);
                                const __m256 wv = _mm256_maskload_ps(wp + 8 * (v < nv ? v : 0), m[v]);
                                acc[v] = _mm256_fmadd_ps(xv, wv, acc[v]);
                            }
                        }
                    }
                }
            }
            for (int v = 0; v < nv; v++) _mm256_maskstore_ps(yp + cg + 8 * v, m[v], ck_dw_clamp(acc[v], lo, hi));
        }
    }
}

void ck_f32_depthwise_conv_nd__avx2(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                    ck_activation act, float *y) {
    const ck_dw_call ctx = ck_dw_call_of(s, x, w, bias, act, y);
    const int64_t rows = s->batch * s->out_size[0] * s->out_size[1];
    const int64_t row_len = s->out_size[2] * s->out_channels;
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const int m1 = s->out_channels == s->in_channels, k3 = s->kernel_size[2] == 3;

    /* Units: (row, block of channels; see ck_dw_channel_block), so a layer of one row (1D, batch
     * 1: 4000x128 k9 is a single row) still feeds every thread; each unit sweeps its row for its
     * channels. */
    const int64_t C = s->out_channels;
    const int64_t cblock = ck_dw_channel_block(rows, C, 8);
    const int64_t cblocks = m1 ? (C + cblock - 1) / cblock : 1;
    CK_PARALLEL_FOR(rows * row_len * taps)
    for (int64_t u = 0; u < rows * cblocks; u++) {
        const int64_t r = u / cblocks, c0 = (u % cblocks) * cblock;
        const int64_t c1 = m1 && c0 + cblock < C ? c0 + cblock : C;
        const ck_fpenv env = ck_fpenv_enter();
        if (m1 && k3) ck_dw_row_m1(&ctx, r, c0, c1, 3);
        else if (m1) ck_dw_row_m1(&ctx, r, c0, c1, s->kernel_size[2]);
        else ck_dw_row_mult(&ctx, r);
        if (ctx.post_act) {
            float *yr = y + r * row_len;
            for (int64_t p = 0; p < s->out_size[2]; p++)
                for (int64_t c = c0; c < c1; c++) yr[p * C + c] = ck_activate_f32(yr[p * C + c], act);
        }
        ck_fpenv_leave(env);
    }
}
