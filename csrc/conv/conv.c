/* Public convolution entry points: check the shape, pick a kernel from the dispatch table. */
#include "convkit/dispatch.h"
#include "convkit/validate.h"

/* 'auto' algorithm. The GEMM path (indirect GEMM over a vector microkernel, f32-conv-igemm.c)
 * runs near the FMA peak whenever a tile has work, while the direct reference kernel is scalar
 * loops the compiler vectorises over output channels only. Measured on Zen 3 (AVX2, 1 thread),
 * GEMM wins on every layer shape tried, from 56x56x64 3x3 -> 64 (~10x) down to a few hundred
 * multiply-adds; below that the fixed cost of packing the weights and allocating scratch
 * (~1 us) is comparable to the whole convolution and the direct kernel is as good. So: GEMM
 * whenever the table says its microkernels are vector code (gemm_is_fast) and the layer has at
 * least CK_AUTO_GEMM_MIN_MACS multiply-adds; direct otherwise (and always on the "ref" path,
 * which keeps the oracle as the default there). */
#define CK_AUTO_GEMM_MIN_MACS 2048

static int ck_auto_prefers_gemm(const ck_conv_shape *s) {
    if (ck_dispatch.conv_gemm == NULL || !ck_dispatch.gemm_is_fast) return 0;
    const int64_t pixels = s->batch * s->out_size[0] * s->out_size[1] * s->out_size[2];
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const int64_t macs = pixels * taps * (s->in_channels / s->groups) * s->out_channels;
    return macs >= CK_AUTO_GEMM_MIN_MACS;
}

/* The direct kernel for few input channels (f32-conv-small.c) replaces the indirect GEMM when a
 * kernel row holds few multiply-adds per output (in_channels * kernel_w small): there the
 * igemm's per-tap pointers (found with divisions per pixel) and its 3-float reductions cost as
 * much as the arithmetic. Measured with benchmarks/c/bench_kernels.c ("small": algo 1 = direct,
 * 2 = indirect GEMM), Zen 3 AVX2, 1 thread, GFLOP/s, medians of 15:
 *   1x224x224x3 3x3 -> 64        direct ~51-60   igemm ~42
 *   32x32x32x3 3x3 -> 32          direct ~63      igemm ~20-30
 *   1x224x224x3 7x7 s2 -> 64      direct ~83      igemm ~58
 *   1x112x112x8 3x3 -> 32         direct ~82      igemm ~50
 *   1x112x112x16 3x3 -> 32        direct ~85      igemm ~64
 *   1x56x56x32 / x64 3x3 -> 64    direct ~84      igemm ~76
 *   conv1d 1x16000x1 k9 -> 32     direct ~46      igemm ~14
 *   conv3d 1x8x56x56x3 3x3x3 -> 32 direct ~78     igemm ~41
 * AVX-512 path (12x32 kernels) on a 16-core Xeon, 1 thread: 224x224x3 -> 64 direct 50 / igemm 30,
 * 32x32x32x3 -> 32 51 / 25, 112x112x16 -> 32 84 / 63, but 56x56x32 -> 64 76 / 81 and
 * 56x56x64 -> 64 78 / 87 (igemm ahead); 16 threads: 224x224x3 ~330-380 / ~290-320, 32x32x32x3
 * ~390-410 / ~220-260.
 * AVX-512 path on Zen 5 (2-core EPYC), 1 thread, direct / igemm GFLOP/s, same run: 224x224x3 -> 64
 * 133 / 84, 32x32x32x3 -> 32 135 / 61, 112x112x16 -> 32 191 / 152, 56x56x32 -> 64 195 / 200,
 * conv3d 8x56x56x3 -> 32 174 / 87; conv3d 8x56x56x16 -> 32 through Python 3.7 / 4.3 ms.
 * Rule: groups = 1, a vector path, and in_channels * kernel_w <= CK_AUTO_SMALL_MAX_ROW (48: up to
 * 16 channels at 3x3, where direct wins on both paths; at 32+ channels the igemm wins on
 * AVX-512). Shape-only, never the thread count. */
#define CK_AUTO_SMALL_MAX_ROW 48

/* 1D convolutions (no D or H extent) go to the direct kernel whatever their channel count: there
 * the igemm finds per-tap pointers per pixel while the direct kernel streams one contiguous row.
 * Measured with convkit.bench (Zen 3 AVX2, layers, ms, direct vs igemm, 1 / 2 threads):
 *   1x1000x128 k5 -> 128          1.67 vs 1.85  /  1.09 vs 1.12
 *   1x3199x512 k3 s2 -> 512      25.7 vs 29.7   / 14.4 vs 15.1
 *   1x4000x64 k3 d4 causal -> 64  1.02 vs 1.16  /  0.66 vs 0.74
 *   8x1014x70 k7 -> 256          26.7 vs 22.8   / 11.5 vs 17.4  (the one loss, at 1 thread)
 * Not on the AVX-512 path, whose direct kernel is untuned (16-core Xeon, 1 / 16 threads, ms):
 *   1x3199x512 k3 s2 -> 512      33.4 vs 17.4   / 3.32 vs 3.22
 *   1x4000x64 k3 d4 causal -> 64  0.91 vs 0.74  / 0.120 vs 0.116
 *   32x64x300 k3 -> 100           4.77 vs 3.84  / 0.507 vs 0.518
 *   8x1014x70 k7 -> 256          21.1 vs 21.8   / 2.42 vs 1.95
 * so there (small_wide_1d = 0) 1D layers follow the channel rule below like 2D ones. */
static int ck_is_1d(const ck_conv_shape *s) {
    return s->in_size[0] == 1 && s->in_size[1] == 1 && s->kernel_size[0] == 1 && s->kernel_size[1] == 1;
}

static int ck_auto_prefers_small(const ck_conv_shape *s) {
    if (!ck_dispatch.gemm_is_fast || !ck_f32_conv_small_applicable(s)) return 0;
    return (ck_is_1d(s) && ck_dispatch.small_wide_1d) || s->in_channels * s->kernel_size[2] <= CK_AUTO_SMALL_MAX_ROW;
}

/* Winograd F(4x4, 3x3) (csrc/winograd/) does 2.25x fewer multiplications than a direct 3x3
 * convolution; its 36 products have only as many rows as the call has 4x4 output tiles, so it
 * needs enough tiles per channel. Layers keep their filters already transformed (the second
 * buffer of ck_f32_conv_nd_packed); a bare ck_f32_conv_nd call transforms them per call, which
 * costs as much as the products on small images. Measured with filters kept (Zen 3 AVX2, layers
 * through Python, GFLOP/s counted as the direct conv's, 1 / 2 threads, same run):
 *   28x28x256 -> 256 (49 tiles)   winograd 240 / 467   gemm 87 / 170
 *   14x14x256 -> 256 (16 tiles)   winograd 180 / 330   gemm 87 / 142
 *   14x14x512 -> 512 (16 tiles)   winograd 133 / 233   gemm 83 / 154
 *    7x7x256 -> 256  (4 tiles)    winograd 146 / 243   gemm 79 / 154
 *    7x7x512 -> 512  (4 tiles)    winograd  53 / 103   gemm 71 / 121   (gemm wins)
 * and with per-call transforms 56x56x64 -> 64 winograd 176 / 242 vs gemm 78 / 124, but
 * 14x14x256 -> 256 52 / 93 vs 66 / 118 (the price of a bare ops.conv call on small images).
 * Rule: a vector path, a shape Winograd covers, at least 16 input channels per group (64 with
 * groups > 1, see below; fewer go to the small-channel kernel or the GEMM) and at least 4 tiles per 256 channels (tiles * 256 >=
 * 4 * widest channel count per group). Shape-only, never the thread count. The transforms mix
 * the cells of a tile, so a NaN or Inf anywhere in a 6x6 input tile would reach all 16 outputs of
 * the tile instead of only those whose window holds it: 'auto' checks the input and the filters
 * are finite first (a memory-bound scan, a few percent of the call) and otherwise takes the GEMM,
 * which keeps non-finite values exactly where they belong. */
/* Grouped convolutions need more channels per group: their per-group transforms and products are
 * small, while the GEMM keeps each tile's indirection across groups. Xeon (AVX-512), layers with
 * filters kept, ms at 1 / 2 threads, gemm vs winograd:
 *   56x56x128, 4 groups (cig 32)   1.23 / 0.65 vs 1.52 / 0.81
 *   56x56x128, 8 groups (cig 16)   1.04 / 0.67 vs 1.33 / 0.75
 *   28x28x256, 8 groups (cig 32)   0.60 / 0.32 vs 0.85 / 0.44
 *   28x28x256, 4 groups (cig 64)   1.10 / 0.57 vs 1.13 / 0.57
 *   8x28x28x128, 2 groups (cig 64) 4.49 / 2.33 vs 3.82 / 1.99
 *   14x14x256, 4 groups (cig 64)   0.28 / 0.15 vs 0.36 / 0.22
 * so groups > 1 ask for 64 input channels per group (and the tiles rule below). */
static int64_t ck_auto_winograd_min_cig(int64_t groups) { return groups > 1 ? 64 : 16; }

static int ck_auto_prefers_winograd(const ck_conv_shape *s) {
    if (!ck_dispatch.gemm_is_fast || ck_dispatch.winograd_input == NULL || !ck_f32_conv_winograd_applicable(s))
        return 0;
    const int64_t cig = s->in_channels / s->groups, cog = s->out_channels / s->groups;
    const int64_t tiles = s->batch * s->out_size[0] * ((s->out_size[1] + 3) / 4) * ((s->out_size[2] + 3) / 4);
    const int64_t widest = cig > cog ? cig : cog;
    return cig >= ck_auto_winograd_min_cig(s->groups) && tiles * 256 >= 4 * widest;
}

/* Which implementation runs a call: the same for packed and unpacked weights. */
enum { CK_ROUTE_DIRECT_REF = 0, CK_ROUTE_GEMM = 1, CK_ROUTE_SMALL = 2, CK_ROUTE_WINOGRAD = 3,
       CK_ROUTE_WINOGRAD_IF_FINITE = 4, CK_ROUTE_DEPTHWISE = 5, CK_ROUTE_UNSUPPORTED = -1, CK_ROUTE_BAD = -2 };

/* One input channel per group (groups == in_channels) is a depthwise convolution written as a
 * grouped one, as Keras's ConvNeXt writes its 7x7 layers (Conv2D(groups=filters)): the kernel
 * (k..., 1, C*M) is the depthwise kernel (k..., C, M) in the same memory, output c*M + m from
 * input c either way. The grouped GEMM ran such groups in a 12x8 tile with one lane of eight in
 * use; the vector depthwise kernel (csrc/x86) runs them whole (1x56x56x96 7x7 -> 96, 1 thread:
 * see the commit). Both sum bias, then the taps in (kd, kh, kw) order. */
static int ck_is_depthwise_grouping(const ck_conv_shape *s) {
    return s->groups > 1 && s->groups == s->in_channels && ck_dispatch.gemm_is_fast;
}

static int ck_conv_route(const ck_conv_shape *s, int algorithm) {
    switch (algorithm) {
    case CK_ALGO_AUTO:
        if (ck_is_depthwise_grouping(s)) return CK_ROUTE_DEPTHWISE;
        if (!ck_auto_prefers_gemm(s)) return CK_ROUTE_DIRECT_REF;
        if (ck_auto_prefers_small(s)) return CK_ROUTE_SMALL;
        return ck_auto_prefers_winograd(s) ? CK_ROUTE_WINOGRAD_IF_FINITE : CK_ROUTE_GEMM;
    case CK_ALGO_DIRECT:
        /* 'direct' is the vector direct kernel where the path has one and it handles the shape. */
        if (ck_is_depthwise_grouping(s)) return CK_ROUTE_DEPTHWISE;
        if (ck_dispatch.gemm_is_fast && ck_f32_conv_small_applicable(s)) return CK_ROUTE_SMALL;
        return CK_ROUTE_DIRECT_REF;
    case CK_ALGO_GEMM:
        return ck_dispatch.conv_gemm == NULL ? CK_ROUTE_UNSUPPORTED : CK_ROUTE_GEMM;
    case CK_ALGO_WINOGRAD: /* F(4x4, 3x3), csrc/winograd/; 3x3 stride 1 dilation 1 (2D) only */
        return ck_f32_conv_winograd_applicable(s) ? CK_ROUTE_WINOGRAD : CK_ROUTE_UNSUPPORTED;
    default:
        return CK_ROUTE_BAD;
    }
}

/* CK_ROUTE_WINOGRAD when input and filters are finite, else CK_ROUTE_GEMM (see above). w == NULL:
 * the filters are already known to be finite (checked when they were transformed once). */
static int ck_conv_winograd_keeps_nonfinite_local(const ck_conv_shape *s, const float *x, const float *w) {
    const int64_t xn = s->batch * s->in_size[0] * s->in_size[1] * s->in_size[2] * s->in_channels;
    const int64_t wn = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2] * (s->in_channels / s->groups) *
                       s->out_channels;
    return (w == NULL || ck_f32_all_finite_mt(w, wn)) && ck_f32_all_finite_mt(x, xn) ? CK_ROUTE_WINOGRAD
                                                                                       : CK_ROUTE_GEMM;
}

static int ck_act_valid(ck_activation act) { return act.kind >= 0 && act.kind < CK_ACT_COUNT_; }

ck_status ck_f32_conv_nd(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                         ck_activation act, int algorithm, float *y) {
    ck_status st = ck_check_conv_shape(shape, 0);
    if (st != CK_OK) return st;
    if (!ck_act_valid(act) || (shape->batch > 0 && (x == NULL || y == NULL)) || w == NULL) return CK_EINVAL;
    if (shape->batch == 0) return CK_OK;
    int route = ck_conv_route(shape, algorithm);
    if (route == CK_ROUTE_BAD) return CK_EINVAL;
    if (route == CK_ROUTE_UNSUPPORTED) return CK_EUNSUPPORTED;
    if (route == CK_ROUTE_WINOGRAD_IF_FINITE) route = ck_conv_winograd_keeps_nonfinite_local(shape, x, w);
    switch (route) {
    case CK_ROUTE_GEMM: return ck_dispatch.conv_gemm(shape, x, w, bias, act, y);
    case CK_ROUTE_SMALL: return ck_f32_conv_nd__small(shape, x, w, bias, act, y);
    case CK_ROUTE_WINOGRAD: return ck_f32_conv_nd__winograd(shape, x, w, bias, act, y);
    case CK_ROUTE_DEPTHWISE: {
        ck_conv_shape d = *shape;
        d.groups = 1; /* the depthwise kernels' convention: out_channels = in_channels * M */
        ck_dispatch.depthwise_conv(&d, x, w, bias, act, y);
        return CK_OK;
    }
    default: ck_dispatch.conv_direct(shape, x, w, bias, act, y); return CK_OK;
    }
}

int ck_f32_conv_auto_is_igemm(const ck_conv_shape *shape) {
    return ck_check_conv_shape(shape, 0) == CK_OK && ck_conv_route(shape, CK_ALGO_AUTO) == CK_ROUTE_GEMM &&
           ck_dispatch.conv_gemm == ck_f32_conv_nd__igemm;
}

/* Packed weights usable for this shape on the current path? 1 yes, 0 stale (other path: pack per
 * call instead), -1 made for another kernel (an error). */
static int ck_conv_packed_usable(const ck_conv_shape *s, const float *bias, const void *packed, size_t bytes,
                                 const float **panels) {
    const ck_packed_header *h = ck_packed_view(packed, bytes, panels);
    if (h == NULL || h->kind != CK_PACKED_KIND_CONV) return -1;
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    if (h->groups != s->groups || h->taps != taps || h->cig != s->in_channels / s->groups ||
        h->cout != s->out_channels || h->has_bias != (bias != NULL))
        return -1;
    if (!ck_packed_is_current(packed, bytes) || ck_dispatch.conv_gemm != ck_f32_conv_nd__igemm) return 0;
    return 1;
}

ck_status ck_f32_conv_pack_winograd_size(const ck_conv_shape *s, int algorithm, size_t *bytes) {
    if (s == NULL || bytes == NULL) return CK_EINVAL;
    *bytes = 0;
    const int64_t cig = s->groups > 0 ? s->in_channels / s->groups : 0;
    /* The input size is unknown when a layer packs, so this is the shape-only part of the rule in
     * ck_auto_prefers_winograd (the tile count is checked per call). */
    const int maybe =
        algorithm == CK_ALGO_WINOGRAD || (algorithm == CK_ALGO_AUTO && cig >= ck_auto_winograd_min_cig(s->groups));
    if (!maybe || !ck_dispatch.gemm_is_fast || ck_dispatch.winograd_input == NULL) return CK_OK;
    size_t need = 0;
    if (ck_f32_conv_winograd_pack_size(s, &need) != CK_OK) return CK_OK; /* Winograd does not apply */
    *bytes = need;
    return CK_OK;
}

ck_status ck_f32_conv_pack_winograd(const ck_conv_shape *s, const float *w, void *buf, size_t bytes) {
    return ck_f32_conv_winograd_pack(s, w, buf, bytes);
}

ck_status ck_f32_conv_nd_packed(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                const void *packed, size_t packed_bytes, const void *winograd_packed,
                                size_t winograd_bytes, ck_activation act, int algorithm, float *y) {
    ck_status st = ck_check_conv_shape(shape, 0);
    if (st != CK_OK) return st;
    if (!ck_act_valid(act) || (shape->batch > 0 && (x == NULL || y == NULL)) || w == NULL) return CK_EINVAL;
    const float *panels = NULL;
    const int usable = ck_conv_packed_usable(shape, bias, packed, packed_bytes, &panels);
    if (usable < 0) return CK_EINVAL;
    if (shape->batch == 0) return CK_OK;
    int route = ck_conv_route(shape, algorithm);
    if (route == CK_ROUTE_BAD) return CK_EINVAL;
    if (route == CK_ROUTE_UNSUPPORTED) return CK_EUNSUPPORTED;
    if (route == CK_ROUTE_WINOGRAD_IF_FINITE) {
        /* filters transformed once carry their own finiteness: only the input is scanned */
        const int known_finite =
            winograd_packed != NULL && ck_f32_conv_winograd_packed_finite(shape, winograd_packed, winograd_bytes);
        route = ck_conv_winograd_keeps_nonfinite_local(shape, x, known_finite ? NULL : w);
    }
    /* The small kernel reads the igemm's panels (same microkernel, same layout). */
    if (usable && route == CK_ROUTE_GEMM) return ck_f32_conv_nd__igemm_packed(shape, x, panels, bias != NULL, act, y);
    if (usable && route == CK_ROUTE_SMALL) return ck_f32_conv_nd__small_packed(shape, x, panels, act, y);
    if (route == CK_ROUTE_WINOGRAD && winograd_packed != NULL &&
        ck_f32_conv_winograd_packed_ok(shape, winograd_packed, winograd_bytes))
        return ck_f32_conv_nd__winograd_packed(shape, x, winograd_packed, winograd_bytes, bias, act, y);
    return ck_f32_conv_nd(shape, x, w, bias, act, algorithm, y);
}

ck_status ck_f32_depthwise_conv_nd(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y) {
    ck_status st = ck_check_conv_shape(shape, 1);
    if (st != CK_OK) return st;
    if (!ck_act_valid(act) || (shape->batch > 0 && (x == NULL || y == NULL)) || w == NULL) return CK_EINVAL;
    if (shape->batch == 0) return CK_OK;
    ck_dispatch.depthwise_conv(shape, x, w, bias, act, y);
    return CK_OK;
}

ck_status ck_f32_conv_transpose_nd(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y) {
    ck_status st = ck_check_conv_shape(shape, 0);
    if (st != CK_OK) return st;
    if (!ck_act_valid(act) || (shape->batch > 0 && (x == NULL || y == NULL)) || w == NULL) return CK_EINVAL;
    if (shape->batch == 0) return CK_OK;
    /* Vector paths: the phases on the convolution drivers; the reference kernel for the "ref"
     * path and what the phases cannot express. */
    if (ck_dispatch.gemm_is_fast) {
        st = ck_f32_conv_transpose_nd__phases(shape, x, w, bias, act, y);
        if (st != CK_EUNSUPPORTED) return st;
    }
    ck_dispatch.conv_transpose(shape, x, w, bias, act, y);
    return CK_OK;
}
