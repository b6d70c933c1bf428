/* The dispatch table: one function pointer per kernel, filled once by ck_dispatch_init().
 * It starts from the reference kernels (csrc/ref/) and each instruction-set path overrides the
 * entries it has a faster kernel for. Drivers call through the table, never a kernel by name. */
#ifndef CONVKIT_DISPATCH_H
#define CONVKIT_DISPATCH_H

#include "convkit/kernels.h"

/* Kernels behind the table take shapes the public entry point has already checked. */
typedef void (*ck_conv_kernel_fn)(const ck_conv_shape *shape, const float *x, const float *w,
                                  const float *bias, ck_activation act, float *y);
typedef void (*ck_gemm_kernel_fn)(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                                  const float *B, int64_t ldb, const float *bias, ck_activation act,
                                  float *C, int64_t ldc);
typedef void (*ck_pool_kernel_fn)(const ck_pool_shape *shape, const float *x, float *y);

typedef struct ck_dispatch_table {
    const char *isa; /* "ref", "avx2", "avx512" */
    ck_gemm_kernel_fn gemm;
    ck_conv_kernel_fn conv_direct;
    ck_conv_kernel_fn conv_gemm; /* NULL until an implicit-GEMM path exists */
    ck_conv_kernel_fn depthwise_conv;
    ck_conv_kernel_fn conv_transpose;
    ck_pool_kernel_fn max_pool;
    ck_pool_kernel_fn avg_pool;
} ck_dispatch_table;

/* The table in use. Read-only after ck_dispatch_init(). */
extern ck_dispatch_table ck_dispatch;

/* Reference kernels (csrc/ref/). */
void ck_f32_gemm__ref(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                      int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc);
void ck_f32_conv_nd__ref(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                         ck_activation act, float *y);
void ck_f32_depthwise_conv_nd__ref(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y);
void ck_f32_conv_transpose_nd__ref(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y);
void ck_f32_max_pool_nd__ref(const ck_pool_shape *shape, const float *x, float *y);
void ck_f32_avg_pool_nd__ref(const ck_pool_shape *shape, const float *x, float *y);

#endif /* CONVKIT_DISPATCH_H */
