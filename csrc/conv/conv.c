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

static int ck_act_valid(ck_activation act) { return act.kind >= 0 && act.kind < CK_ACT_COUNT_; }

ck_status ck_f32_conv_nd(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                         ck_activation act, int algorithm, float *y) {
    ck_status st = ck_check_conv_shape(shape, 0);
    if (st != CK_OK) return st;
    if (!ck_act_valid(act) || (shape->batch > 0 && (x == NULL || y == NULL)) || w == NULL) return CK_EINVAL;
    if (shape->batch == 0) return CK_OK;
    switch (algorithm) {
    case CK_ALGO_AUTO:
        if (ck_auto_prefers_gemm(shape)) return ck_dispatch.conv_gemm(shape, x, w, bias, act, y);
        break;
    case CK_ALGO_DIRECT:
        break;
    case CK_ALGO_GEMM:
        if (ck_dispatch.conv_gemm == NULL) return CK_EUNSUPPORTED;
        return ck_dispatch.conv_gemm(shape, x, w, bias, act, y);
    case CK_ALGO_WINOGRAD:
        return CK_EUNSUPPORTED;
    default:
        return CK_EINVAL;
    }
    ck_dispatch.conv_direct(shape, x, w, bias, act, y);
    return CK_OK;
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

ck_status ck_f32_conv_nd_packed(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                const void *packed, size_t packed_bytes, ck_activation act, int algorithm,
                                float *y) {
    ck_status st = ck_check_conv_shape(shape, 0);
    if (st != CK_OK) return st;
    if (!ck_act_valid(act) || (shape->batch > 0 && (x == NULL || y == NULL)) || w == NULL) return CK_EINVAL;
    const float *panels = NULL;
    const int usable = ck_conv_packed_usable(shape, bias, packed, packed_bytes, &panels);
    if (usable < 0) return CK_EINVAL;
    if (shape->batch == 0) return CK_OK;
    const int gemm = algorithm == CK_ALGO_GEMM || (algorithm == CK_ALGO_AUTO && ck_auto_prefers_gemm(shape));
    if (gemm && usable) return ck_f32_conv_nd__igemm_packed(shape, x, panels, bias != NULL, act, y);
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
    ck_dispatch.conv_transpose(shape, x, w, bias, act, y);
    return CK_OK;
}
