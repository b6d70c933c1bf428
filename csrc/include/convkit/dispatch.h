/* The dispatch table: one function pointer per kernel, filled once by ck_dispatch_init().
 * It starts from the reference kernels (csrc/ref/) and each instruction-set path overrides the
 * entries it has a faster kernel for. Drivers call through the table, never a kernel by name. */
#ifndef CONVKIT_DISPATCH_H
#define CONVKIT_DISPATCH_H

#include "convkit/gemm.h"
#include "convkit/kernels.h"

/* Kernels behind the table take shapes the public entry point has already checked. */
typedef void (*ck_conv_kernel_fn)(const ck_conv_shape *shape, const float *x, const float *w,
                                  const float *bias, ck_activation act, float *y);
/* Kernels that may need scratch return a status (CK_ENOMEM) for the entry point to pass on. */
typedef ck_status (*ck_conv_status_kernel_fn)(const ck_conv_shape *shape, const float *x, const float *w,
                                              const float *bias, ck_activation act, float *y);
typedef ck_status (*ck_gemm_kernel_fn)(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                                       const float *B, int64_t ldb, const float *bias, ck_activation act,
                                       float *C, int64_t ldc);
typedef void (*ck_pool_kernel_fn)(const ck_pool_shape *shape, const float *x, float *y);

typedef struct ck_dispatch_table {
    const char *isa; /* "ref", "avx2", "avx512" */
    ck_gemm_kernel_fn gemm;
    ck_conv_kernel_fn conv_direct;
    ck_conv_status_kernel_fn conv_gemm; /* indirect GEMM over the table's igemm microkernel */
    ck_conv_kernel_fn depthwise_conv;
    ck_conv_kernel_fn conv_transpose;
    ck_pool_kernel_fn max_pool;
    ck_pool_kernel_fn avg_pool;
    /* Microkernels the portable GEMM/conv drivers call; a path overrides them together with
     * the blocking that suits them. */
    ck_f32_gemm_ukernel gemm_ukernel;
    ck_f32_igemm_ukernel igemm_ukernel;
    /* 1 when the GEMM paths are expected to beat the direct kernel (vector microkernels); the
     * 'auto' algorithm in conv.c reads it. */
    int gemm_is_fast;
} ck_dispatch_table;

/* The table in use. Read-only after ck_dispatch_init(). */
extern ck_dispatch_table ck_dispatch;

/* Adapter so the reference GEMM fits the status-returning table slot (csrc/dispatch.c). */
ck_status ck_f32_gemm__ref_status(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                                  int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc);

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
