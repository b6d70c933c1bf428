/* Public pooling entry points: check, then run the kernel from the dispatch table. */
#include "convkit/dispatch.h"
#include "convkit/ref.h"
#include "convkit/validate.h"

ck_status ck_f32_max_pool_nd(const ck_pool_shape *shape, const float *x, float *y) {
    ck_status st = ck_check_pool_shape(shape);
    if (st != CK_OK) return st;
    if (shape->batch == 0) return CK_OK;
    if (x == NULL || y == NULL) return CK_EINVAL;
    ck_dispatch.max_pool(shape, x, y);
    return CK_OK;
}

ck_status ck_f32_avg_pool_nd(const ck_pool_shape *shape, const float *x, float *y) {
    ck_status st = ck_check_pool_shape(shape);
    if (st != CK_OK) return st;
    if (shape->batch == 0) return CK_OK;
    if (x == NULL || y == NULL) return CK_EINVAL;
    ck_dispatch.avg_pool(shape, x, y);
    return CK_OK;
}

static ck_status ck_check_global(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y) {
    if (batch < 0 || spatial < 1 || channels < 1) return CK_EINVAL;
    int64_t sizes[3] = {batch, spatial, channels};
    if (ck_checked_product(sizes, 3) < 0) return CK_EOVERFLOW;
    if (batch > 0 && (x == NULL || y == NULL)) return CK_EINVAL;
    return CK_OK;
}

/* The table's kernel; the reference one before ck_dispatch_init has filled the table. */
static void ck_global_pool(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y, int is_max) {
    (ck_dispatch.global_pool ? ck_dispatch.global_pool : ck_f32_global_pool__ref)(batch, spatial, channels, x, y,
                                                                                  is_max);
}

ck_status ck_f32_global_max_pool(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y) {
    ck_status st = ck_check_global(batch, spatial, channels, x, y);
    if (st == CK_OK && batch > 0) ck_global_pool(batch, spatial, channels, x, y, 1);
    return st;
}

ck_status ck_f32_global_avg_pool(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y) {
    ck_status st = ck_check_global(batch, spatial, channels, x, y);
    if (st == CK_OK && batch > 0) ck_global_pool(batch, spatial, channels, x, y, 0);
    return st;
}

/* Adaptive pooling. Where every output size divides its input size the windows are a regular grid
 * (window = stride = in / out, no padding) and the table's vectorised local pool computes the same
 * sums in the same order; other sizes run the reference kernel. */
static ck_status ck_adaptive_pool(int64_t batch, int64_t channels, const int64_t in_size[CK_SPATIAL_DIMS],
                                  const int64_t out_size[CK_SPATIAL_DIMS], const float *x, float *y, int is_max) {
    if (in_size == NULL || out_size == NULL || batch < 0 || channels < 1) return CK_EINVAL;
    int regular = 1;
    for (int d = 0; d < CK_SPATIAL_DIMS; d++) {
        if (in_size[d] < 1 || out_size[d] < 1) return CK_EINVAL;
        /* o * in and (o + 1) * in + out stay far inside int64 for any array that fits in memory. */
        if (in_size[d] > ((int64_t)1 << 31) || out_size[d] > ((int64_t)1 << 31)) return CK_EOVERFLOW;
        regular &= in_size[d] % out_size[d] == 0;
    }
    if (ck_checked_mul(ck_checked_mul(batch, ck_checked_product(in_size, CK_SPATIAL_DIMS)), channels) < 0 ||
        ck_checked_mul(ck_checked_mul(batch, ck_checked_product(out_size, CK_SPATIAL_DIMS)), channels) < 0)
        return CK_EOVERFLOW;
    if (batch == 0) return CK_OK;
    if (x == NULL || y == NULL) return CK_EINVAL;
    if (!regular) {
        ck_f32_adaptive_pool_nd__ref(batch, channels, in_size, out_size, x, y, is_max);
        return CK_OK;
    }
    ck_pool_shape s = {0};
    s.batch = batch;
    s.channels = channels;
    for (int d = 0; d < CK_SPATIAL_DIMS; d++) {
        s.in_size[d] = in_size[d];
        s.out_size[d] = out_size[d];
        s.window[d] = s.stride[d] = in_size[d] / out_size[d];
    }
    (is_max ? ck_dispatch.max_pool : ck_dispatch.avg_pool)(&s, x, y);
    return CK_OK;
}

ck_status ck_f32_adaptive_max_pool_nd(int64_t batch, int64_t channels, const int64_t in_size[CK_SPATIAL_DIMS],
                                      const int64_t out_size[CK_SPATIAL_DIMS], const float *x, float *y) {
    return ck_adaptive_pool(batch, channels, in_size, out_size, x, y, 1);
}

ck_status ck_f32_adaptive_avg_pool_nd(int64_t batch, int64_t channels, const int64_t in_size[CK_SPATIAL_DIMS],
                                      const int64_t out_size[CK_SPATIAL_DIMS], const float *x, float *y) {
    return ck_adaptive_pool(batch, channels, in_size, out_size, x, y, 0);
}
