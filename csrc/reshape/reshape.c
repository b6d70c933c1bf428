/* Public zero padding, cropping and upsampling entry points. */
#include "convkit/ref.h"
#include "convkit/validate.h"

static ck_status ck_check_block(int64_t batch, int64_t channels, const int64_t size[3]) {
    if (batch < 0 || channels < 1) return CK_EINVAL;
    for (int d = 0; d < 3; d++)
        if (size[d] < 1) return CK_EINVAL;
    int64_t n = ck_checked_mul(ck_checked_mul(batch, ck_checked_product(size, 3)), channels);
    return n < 0 ? CK_EOVERFLOW : CK_OK;
}

ck_status ck_f32_zero_pad_nd(int64_t batch, int64_t channels, const int64_t in[3], const int64_t before[3],
                             const int64_t after[3], const float *x, float *y) {
    int64_t out[3];
    for (int d = 0; d < 3; d++) {
        if (before[d] < 0 || after[d] < 0) return CK_EINVAL;
        out[d] = in[d] + before[d] + after[d];
        if (out[d] < in[d]) return CK_EOVERFLOW;
    }
    ck_status st = ck_check_block(batch, channels, in);
    if (st == CK_OK) st = ck_check_block(batch, channels, out);
    if (st != CK_OK || batch == 0) return st;
    if (x == NULL || y == NULL) return CK_EINVAL;
    ck_f32_zero_pad_nd__ref(batch, channels, in, before, after, x, y);
    return CK_OK;
}

ck_status ck_f32_crop_nd(int64_t batch, int64_t channels, const int64_t in[3], const int64_t before[3],
                         const int64_t out[3], const float *x, float *y) {
    ck_status st = ck_check_block(batch, channels, in);
    if (st == CK_OK) st = ck_check_block(batch, channels, out);
    if (st != CK_OK) return st;
    for (int d = 0; d < 3; d++)
        if (before[d] < 0 || before[d] > in[d] - out[d]) return CK_EINVAL;
    if (batch == 0) return CK_OK;
    if (x == NULL || y == NULL) return CK_EINVAL;
    ck_f32_crop_nd__ref(batch, channels, in, before, out, x, y);
    return CK_OK;
}

ck_status ck_f32_upsample_nearest_nd(int64_t batch, int64_t channels, const int64_t in[3],
                                     const int64_t factor[3], const float *x, float *y) {
    int64_t out[3];
    for (int d = 0; d < 3; d++) {
        if (factor[d] < 1) return CK_EINVAL;
        out[d] = ck_checked_mul(in[d], factor[d]);
        if (out[d] < 0) return CK_EOVERFLOW;
    }
    ck_status st = ck_check_block(batch, channels, in);
    if (st == CK_OK) st = ck_check_block(batch, channels, out);
    if (st != CK_OK || batch == 0) return st;
    if (x == NULL || y == NULL) return CK_EINVAL;
    ck_f32_upsample_nearest_nd__ref(batch, channels, in, factor, x, y);
    return CK_OK;
}

ck_status ck_f32_resize_bilinear_2d(int64_t batch, int64_t channels, int64_t in_h, int64_t in_w,
                                    int64_t out_h, int64_t out_w, const float *x, float *y) {
    const int64_t in[3] = {1, in_h, in_w}, out[3] = {1, out_h, out_w};
    ck_status st = ck_check_block(batch, channels, in);
    if (st == CK_OK) st = ck_check_block(batch, channels, out);
    if (st != CK_OK || batch == 0) return st;
    if (x == NULL || y == NULL) return CK_EINVAL;
    ck_f32_resize_bilinear_2d__ref(batch, channels, in_h, in_w, out_h, out_w, x, y);
    return CK_OK;
}
