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
