/* Public convolution entry points: check the shape, pick a kernel from the dispatch table. */
#include "convkit/dispatch.h"
#include "convkit/validate.h"

static int ck_act_valid(ck_activation act) { return act.kind >= 0 && act.kind < CK_ACT_COUNT_; }

ck_status ck_f32_conv_nd(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                         ck_activation act, int algorithm, float *y) {
    ck_status st = ck_check_conv_shape(shape, 0);
    if (st != CK_OK) return st;
    if (!ck_act_valid(act) || (shape->batch > 0 && (x == NULL || y == NULL)) || w == NULL) return CK_EINVAL;
    if (shape->batch == 0) return CK_OK;
    ck_conv_kernel_fn kernel = ck_dispatch.conv_direct;
    switch (algorithm) {
    case CK_ALGO_AUTO:
    case CK_ALGO_DIRECT:
        break;
    case CK_ALGO_GEMM:
        if (ck_dispatch.conv_gemm == NULL) return CK_EUNSUPPORTED;
        kernel = ck_dispatch.conv_gemm;
        break;
    case CK_ALGO_WINOGRAD:
        return CK_EUNSUPPORTED;
    default:
        return CK_EINVAL;
    }
    kernel(shape, x, w, bias, act, y);
    return CK_OK;
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
