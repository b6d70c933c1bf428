# C declarations of the convkit core (csrc/include/convkit/kernels.h), all callable without the GIL.
from libc.stdint cimport int64_t, uint8_t

cdef extern from "convkit/kernels.h" nogil:
    ctypedef enum ck_status:
        CK_OK
        CK_EINVAL
        CK_ENOMEM
        CK_EOVERFLOW
        CK_EUNSUPPORTED

    ctypedef struct ck_activation:
        int kind
        float alpha

    ctypedef struct ck_conv_shape:
        int64_t batch
        int64_t in_size[3]
        int64_t out_size[3]
        int64_t kernel_size[3]
        int64_t stride[3]
        int64_t dilation[3]
        int64_t pad_before[3]
        int64_t in_channels
        int64_t out_channels
        int64_t groups

    ctypedef struct ck_pool_shape:
        int64_t batch
        int64_t channels
        int64_t in_size[3]
        int64_t out_size[3]
        int64_t window[3]
        int64_t stride[3]
        int64_t pad_before[3]

    ctypedef struct ck_cpu_features:
        int sse2, sse41, avx, fma, f16c, avx2, avx512f, avx512dq, avx512bw, avx512vl
        int os_avx, os_avx512
        char vendor[13]
        char brand[49]

    ck_status ck_f32_conv_nd(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                             ck_activation act, int algorithm, float *y)
    ck_status ck_f32_depthwise_conv_nd(const ck_conv_shape *shape, const float *x, const float *w,
                                       const float *bias, ck_activation act, float *y)
    ck_status ck_f32_conv_transpose_nd(const ck_conv_shape *shape, const float *x, const float *w,
                                       const float *bias, ck_activation act, float *y)
    ck_status ck_f32_gemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                          int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc)
    ck_status ck_f32_activation(int64_t n, float *x, ck_activation act)
    ck_status ck_f32_activation_copy(int64_t n, const float *x, float *y, ck_activation act)
    ck_status ck_f32_layer_norm(int64_t rows, int64_t n, const float *x, const float *gamma, const float *beta,
                                float epsilon, int rms, float *y)
    ck_status ck_f32_channel_affine(int64_t outer, int64_t channels, int64_t inner, const float *x,
                                    const float *scale, const float *shift, float *y)
    ck_status ck_f32_channel_moments(int64_t batch, int64_t outer, int64_t channels, int64_t inner,
                                     const float *x, double *sum, double *sumsq)
    ck_status ck_f32_softmax(int64_t rows, int64_t n, const float *x, int log_softmax, float *y)
    ck_status ck_f32_merge(int op, int64_t k, const float *const *xs, int64_t n, ck_activation act, float *y)
    ck_status ck_f32_rnn_sequence(int cell, int64_t n, int64_t steps, int64_t units, const float *xproj,
                                  const float *rkernel, const float *rbias, ck_activation act,
                                  ck_activation rec_act, float *h, float *c, float *seq,
                                  const uint8_t *mask, int zero_masked)
    ck_status ck_f32_max_pool_nd(const ck_pool_shape *shape, const float *x, float *y)
    ck_status ck_f32_avg_pool_nd(const ck_pool_shape *shape, const float *x, float *y)
    ck_status ck_f32_adaptive_max_pool_nd(int64_t batch, int64_t channels, const int64_t *in_size,
                                          const int64_t *out_size, const float *x, float *y)
    ck_status ck_f32_adaptive_avg_pool_nd(int64_t batch, int64_t channels, const int64_t *in_size,
                                          const int64_t *out_size, const float *x, float *y)
    ck_status ck_f32_global_max_pool(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y)
    ck_status ck_f32_global_avg_pool(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y)
    ck_status ck_f32_zero_pad_nd(int64_t batch, int64_t channels, const int64_t *in_size,
                                 const int64_t *pad_before, const int64_t *pad_after, const float *x, float *y)
    ck_status ck_f32_crop_nd(int64_t batch, int64_t channels, const int64_t *in_size,
                             const int64_t *crop_before, const int64_t *out_size, const float *x, float *y)
    ck_status ck_f32_upsample_nearest_nd(int64_t batch, int64_t channels, const int64_t *in_size,
                                         const int64_t *factor, const float *x, float *y)
    ck_status ck_f32_resize_bilinear_2d(int64_t batch, int64_t channels, int64_t in_h, int64_t in_w,
                                        int64_t out_h, int64_t out_w, const float *x, float *y)
    ck_status ck_f32_transpose_batched(int64_t batch, int64_t rows, int64_t cols, const float *x, float *y)

    ck_status ck_f32_conv_pack_size(const ck_conv_shape *shape, size_t *nbytes)
    ck_status ck_f32_conv_pack(const ck_conv_shape *shape, const float *w, const float *bias, void *buf,
                               size_t nbytes)
    ck_status ck_f32_conv_nd_packed(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                    const void *packed, size_t packed_bytes, const void *winograd_packed,
                                    size_t winograd_bytes, ck_activation act, int algorithm, float *y)
    ck_status ck_f32_conv_pack_winograd_size(const ck_conv_shape *shape, int algorithm, size_t *bytes)
    ck_status ck_f32_conv_pack_winograd(const ck_conv_shape *shape, const float *w, void *buf, size_t bytes)
    ck_status ck_f32_gemm_pack_size(int64_t K, int64_t N, size_t *nbytes)
    ck_status ck_f32_gemm_pack(int64_t K, int64_t N, const float *B, int64_t ldb, const float *bias, void *buf,
                               size_t nbytes)
    ck_status ck_f32_gemm_packed(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                                 int64_t ldb, const float *bias, const void *packed, size_t packed_bytes,
                                 ck_activation act, float *C, int64_t ldc)
    int ck_packed_is_current(const void *packed, size_t packed_bytes)

    const ck_cpu_features *ck_cpu_get_features()
    ck_status ck_dispatch_init(const char *isa)
    const char *ck_dispatch_isa_name()
    void ck_set_num_threads(int n)
    int ck_get_num_threads()
    int ck_have_openmp()
    double ck_measure_fma_peak_gflops(double seconds)

cdef extern from "convkit/gemm.h" nogil:
    void *ck_scratch_alloc(size_t nbytes)
    void ck_scratch_free(void *p)
