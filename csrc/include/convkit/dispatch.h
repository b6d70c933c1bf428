/* The dispatch table: one function pointer per kernel, filled once by ck_dispatch_init().
 * It starts from the reference kernels (csrc/ref/) and each instruction-set path overrides the
 * entries it has a faster kernel for. Drivers call through the table, never a kernel by name. */
#ifndef CONVKIT_DISPATCH_H
#define CONVKIT_DISPATCH_H

#include "convkit/gemm.h"
#include "convkit/kernels.h"
#include "convkit/winograd.h"

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
/* Global max (is_max) or average pooling, [batch, spatial, channels] -> [batch, channels]. */
typedef void (*ck_global_pool_fn)(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                                  int is_max);
/* An activation over n values in place; each value's result must not depend on its position
 * (tails are computed like full vectors), so spans of any length give the same bits. */
typedef void (*ck_activate_span_fn)(float *x, size_t n, ck_activation act);
/* y = act(x), n values, out of place: the bits of a copy then activate_span. */
typedef void (*ck_activate_copy_fn)(const float *x, float *y, size_t n, ck_activation act);
/* y = softmax(x) over one row of n numbers (csrc/norm/f32-normalize.c has the portable loop). */
typedef void (*ck_softmax_row_fn)(const float *x, float *y, size_t n);
/* The gates of one batch row of a recurrent step (csrc/gemm/f32-recurrent.c has the portable
 * loop and the layouts): z = h @ U of the row (G blocks of `units`), x its input projection; h and
 * c (LSTM only, else NULL) updated in place; z is not written. Returns 0, having done nothing, for
 * activation kinds it has no vector formula for; otherwise the portable loop's bits. */
typedef int (*ck_rnn_gates_fn)(int cell, size_t units, const float *z, const float *x, float *h, float *c,
                               ck_activation act, ck_activation rec_act);

/* y = a op b over n values, op a ck_merge_op (csrc/include/convkit/f32-merge-span.h); y may be a or b. */
typedef void (*ck_merge_span_fn)(int op, const float *a, const float *b, float *y, int64_t n);

/* Direct convolution microkernel for few input channels (csrc/conv/f32-conv-small.c): for npix
 * output pixels of a row and one nr-column panel of the igemm's packed weights ([NR bias][ks][kc]
 * [NR]), c[p*ldc + j] = clamp(bias[j] + sum_{t<ks, k<kc} rows[t][p*ps + k] * w[t, k, j]). Its NR
 * is the igemm microkernel's, so both read the same packed panels. */
typedef void (*ck_f32_conv_small_ukernel_fn)(size_t npix, size_t nr, size_t kc, size_t ks, const float *const *rows,
                                             size_t ps, const float *w, float *c, size_t ldc,
                                             const ck_f32_clamp *clamp);
typedef struct ck_f32_conv_small_ukernel {
    ck_f32_conv_small_ukernel_fn fn; /* NULL: the path has none (the driver is not used) */
    int mr, nr;
} ck_f32_conv_small_ukernel;

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
    /* A narrower igemm kernel for grouped convolutions whose groups have at most its nr output
     * channels (ResNeXt's 8-channel groups would fill a quarter of a 32-wide AVX-512 tile); fn
     * NULL where the main kernel is already the narrowest (see ck_igemm_for). */
    ck_f32_igemm_ukernel igemm_ukernel_narrow;
    /* The same for groups of at most 8 output channels (every lane of a 12x8 tile used). */
    ck_f32_igemm_ukernel igemm_ukernel_narrow8;
    /* Fewer rows on the main kernel's panels (same nr), for layers whose pixels sit a multiple of
     * 4 KiB apart (see ck_igemm_rows_alias in csrc/conv/f32-conv-igemm.c); fn NULL: none. */
    ck_f32_igemm_ukernel igemm_ukernel_aliased;
    /* 1 when the GEMM paths are expected to beat the direct kernel (vector microkernels); the
     * 'auto' algorithm in conv.c reads it. */
    int gemm_is_fast;
    ck_f32_conv_small_ukernel conv_small_ukernel; /* few-input-channel direct conv; {NULL} on ref */
    /* 1 when that direct kernel also beats the igemm on 1D convolutions with many channels
     * ('auto' in conv.c): measured so on AVX2, not on AVX-512. */
    int small_wide_1d;
    /* Activations over arrays and output tiles that are no clamp (sigmoid, swish, ...). */
    ck_activate_span_fn activate_span;
    ck_activate_copy_fn activate_copy; /* NULL: a copy, then activate_span */
    /* One softmax row in vectors, the portable loop's bits; NULL: the portable loop. */
    ck_softmax_row_fn softmax_row;
    /* A recurrent step's gates in vectors; NULL: the portable loop. */
    ck_rnn_gates_fn rnn_gates;
    /* Winograd F(4x4, 3x3) transforms around the gemm microkernel (csrc/winograd/). */
    ck_f32_winograd_input_fn winograd_input;
    ck_f32_winograd_output_fn winograd_output;
    ck_global_pool_fn global_pool;
    /* Element-wise merges (Add, Multiply, ...) in the path's vector width. */
    ck_merge_span_fn merge_span;
} ck_dispatch_table;

/* The table in use. Read-only after ck_dispatch_init(). */
extern ck_dispatch_table ck_dispatch;

/* The igemm microkernel for a convolution with `groups` groups of `cog` output channels: the
 * narrow one when the groups fit it and it is narrower, else the main one. Packing, the packed
 * buffer's check and the driver all ask this, so they agree. */
static inline const ck_f32_igemm_ukernel *ck_igemm_for(int64_t groups, int64_t cog) {
    const ck_f32_igemm_ukernel *n8 = &ck_dispatch.igemm_ukernel_narrow8, *narrow = &ck_dispatch.igemm_ukernel_narrow;
    if (groups > 1 && n8->fn != NULL && n8->nr < ck_dispatch.igemm_ukernel.nr && cog <= n8->nr) return n8;
    if (groups > 1 && narrow->fn != NULL && narrow->nr < ck_dispatch.igemm_ukernel.nr && cog <= narrow->nr)
        return narrow;
    return &ck_dispatch.igemm_ukernel;
}

/* Adapter so the reference GEMM fits the status-returning table slot (csrc/dispatch.c). */
ck_status ck_f32_gemm__ref_status(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                                  int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc);

/* Direct convolution for few input channels, row by row over the table's conv_small_ukernel and
 * the igemm's packed panels (csrc/conv/f32-conv-small.c); groups = 1 only. */
int ck_f32_conv_small_applicable(const ck_conv_shape *shape);
ck_status ck_f32_conv_nd__small(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                ck_activation act, float *y);
ck_status ck_f32_conv_nd__small_packed(const ck_conv_shape *shape, const float *x, const float *panels,
                                       ck_activation act, float *y);

void ck_f32_conv_small_ukernel_6x16__avx2(size_t npix, size_t nr, size_t kc, size_t ks, const float *const *rows,
                                          size_t ps, const float *w, float *c, size_t ldc, const ck_f32_clamp *clamp);
void ck_f32_conv_small_ukernel_12x32__avx512(size_t npix, size_t nr, size_t kc, size_t ks, const float *const *rows,
                                             size_t ps, const float *w, float *c, size_t ldc,
                                             const ck_f32_clamp *clamp);

void ck_f32_activate_span__avx2(float *x, size_t n, ck_activation act);
void ck_f32_activate_span__avx512(float *x, size_t n, ck_activation act);
void ck_f32_activate_copy__avx2(const float *x, float *y, size_t n, ck_activation act);
void ck_f32_activate_copy__avx512(const float *x, float *y, size_t n, ck_activation act);
void ck_f32_softmax_row__avx2(const float *x, float *y, size_t n);
void ck_f32_softmax_row__avx512(const float *x, float *y, size_t n);
void ck_f32_merge_span__ref(int op, const float *a, const float *b, float *y, int64_t n);
void ck_f32_merge_span__avx2(int op, const float *a, const float *b, float *y, int64_t n);
void ck_f32_merge_span__avx512(int op, const float *a, const float *b, float *y, int64_t n);
int ck_f32_rnn_gates__avx2(int cell, size_t units, const float *z, const float *x, float *h, float *c,
                           ck_activation act, ck_activation rec_act);
int ck_f32_rnn_gates__avx512(int cell, size_t units, const float *z, const float *x, float *h, float *c,
                             ck_activation act, ck_activation rec_act);

/* Reference kernels (csrc/ref/). */
void ck_f32_gemm__ref(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                      int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc);
void ck_f32_conv_nd__ref(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                         ck_activation act, float *y);
void ck_f32_depthwise_conv_nd__ref(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y);
void ck_f32_conv_transpose_nd__ref(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y);
/* Transposed convolution as one stride-1 convolution per output phase on ck_f32_conv_nd
 * (csrc/conv/f32-conv-transpose.c); CK_EUNSUPPORTED for shapes it cannot express. */
ck_status ck_f32_conv_transpose_nd__phases(const ck_conv_shape *shape, const float *x, const float *w,
                                           const float *bias, ck_activation act, float *y);
void ck_f32_max_pool_nd__ref(const ck_pool_shape *shape, const float *x, float *y);
void ck_f32_avg_pool_nd__ref(const ck_pool_shape *shape, const float *x, float *y);

/* Depthwise convolution and pooling vectorised over channels (csrc/x86/avx2/f32-dwconv-8c.c,
 * f32-pool-8c.c): same contract and semantics as the reference kernels above. The AVX-512 path
 * keeps these (its table is filled by the AVX2 path first). */
void ck_f32_depthwise_conv_nd__avx2(const ck_conv_shape *shape, const float *x, const float *w,
                                    const float *bias, ck_activation act, float *y);
void ck_f32_depthwise_conv_nd__avx512(const ck_conv_shape *shape, const float *x, const float *w,
                                    const float *bias, ck_activation act, float *y);
void ck_f32_max_pool_nd__avx2(const ck_pool_shape *shape, const float *x, float *y);
void ck_f32_avg_pool_nd__avx2(const ck_pool_shape *shape, const float *x, float *y);
void ck_f32_global_pool__avx2(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                              int is_max);
void ck_f32_global_pool__avx512(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                                int is_max);

#endif /* CONVKIT_DISPATCH_H */
