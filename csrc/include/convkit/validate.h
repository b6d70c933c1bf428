/* Shape checks shared by the public entry points. They guard the C core against sizes that would
 * make a kernel read or write out of bounds or overflow an index; the Python floor has already
 * produced a friendly message for anything a user can get wrong. */
#ifndef CONVKIT_VALIDATE_H
#define CONVKIT_VALIDATE_H

#include "convkit/kernels.h"

/* Product of n non-negative sizes, or -1 if one is negative or the product overflows int64. */
int64_t ck_checked_product(const int64_t *sizes, int n);
/* a * b for non-negative a and b, or -1 on overflow. */
int64_t ck_checked_mul(int64_t a, int64_t b);

/* 1 if none of the n floats is NaN or +-Inf. Read in blocks without early exit inside a block so
 * the compiler vectorises it; memory-bound (a few tens of microseconds per MB in cache). */
int ck_f32_all_finite(const float *x, int64_t n);
/* The same answer, with the team scanning slices of a large array (the scan sits on a serial
 * path before a parallel kernel, so on 16 threads it would otherwise cost like the kernel). */
int ck_f32_all_finite_mt(const float *x, int64_t n);

/* Every size > 0 (batch may be 0), strides and dilations >= 1, pads >= 0, element counts of
 * x, w and y fit int64. For depthwise, out_channels must be a multiple of in_channels; for conv
 * and conv_transpose, groups must divide both channel counts. */
ck_status ck_check_conv_shape(const ck_conv_shape *s, int depthwise);
ck_status ck_check_pool_shape(const ck_pool_shape *s);

#endif /* CONVKIT_VALIDATE_H */
