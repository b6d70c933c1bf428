/* convkit C core: the public entry points, one per op. float32, channels-last.
 *
 * Shapes always carry three spatial dimensions (D, H, W); 1D and 2D callers set the leading ones
 * to 1 (size 1, kernel 1, stride 1, dilation 1, pad 0). Every function validates its shape and
 * returns CK_EINVAL rather than reading or writing out of bounds; it never keeps a pointer.
 * Output buffers are fully written (no accumulate-into semantics). */
#ifndef CONVKIT_KERNELS_H
#define CONVKIT_KERNELS_H

#include "convkit/activation.h"
#include "convkit/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolution family ------------------------------------------------------------------ */

typedef struct ck_conv_shape {
    int64_t batch;
    int64_t in_size[CK_SPATIAL_DIMS];
    int64_t out_size[CK_SPATIAL_DIMS];
    int64_t kernel_size[CK_SPATIAL_DIMS];
    int64_t stride[CK_SPATIAL_DIMS];
    int64_t dilation[CK_SPATIAL_DIMS];
    /* conv/depthwise: zeros added before the input along each dim (after-padding is implied by
     * out_size). conv_transpose: how many leading positions of the full transposed output are
     * cropped away (see ck_f32_conv_transpose_nd). */
    int64_t pad_before[CK_SPATIAL_DIMS];
    int64_t in_channels;
    int64_t out_channels;
    int64_t groups; /* conv and conv_transpose; 1 for depthwise */
} ck_conv_shape;

/* Algorithms a caller may force; CK_ALGO_AUTO lets the driver choose. */
typedef enum ck_conv_algorithm {
    CK_ALGO_AUTO = 0,
    CK_ALGO_DIRECT = 1,
    CK_ALGO_GEMM = 2,
    CK_ALGO_WINOGRAD = 3
} ck_conv_algorithm;

/* y[n, o..., co] = act(bias[co] + sum_{k..., ci in group(co)} x[n, o*s + k*d - pad, ci] * w[k..., ci', co])
 * x: [batch, in_size..., in_channels]
 * w: [kernel_size..., in_channels / groups, out_channels]     (Keras's Conv kernel layout)
 * bias: [out_channels] or NULL
 * y: [batch, out_size..., out_channels] */
ck_status ck_f32_conv_nd(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                         ck_activation act, int algorithm, float *y);

/* Depthwise: out_channels = in_channels * multiplier; output channel c*multiplier + m reads input
 * channel c only. w: [kernel_size..., in_channels, multiplier] (Keras's DepthwiseConv kernel). */
ck_status ck_f32_depthwise_conv_nd(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y);

/* Transposed convolution (the gradient of conv with respect to its input), as a scatter:
 *   full[n, i*s + k*d, co] += x[n, i, ci] * w[k, co', ci]      (per spatial dim, groups split ci/co)
 *   y[n, o, co] = act(bias[co] + full[n, o + pad_before, co]), zero where o + pad_before is past full.
 * w: [kernel_size..., out_channels / groups, in_channels]     (Keras's ConvTranspose kernel). */
ck_status ck_f32_conv_transpose_nd(const ck_conv_shape *shape, const float *x, const float *w,
                                   const float *bias, ck_activation act, float *y);

/* ---- GEMM (Dense, 1x1 convolution, recurrent layers) -------------------------------------- */

/* C[m, n] = act(sum_k A[m, k] * B[k, n] + bias[n]); row-major with leading dimensions.
 * bias may be NULL. M, N or K may be 0 (K == 0 gives act(bias)). */
ck_status ck_f32_gemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                      int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc);

/* In-place activation over n contiguous values. */
ck_status ck_f32_activation(int64_t n, float *x, ck_activation act);
/* The time loop of a recurrent layer over a whole sequence (csrc/gemm/f32-recurrent.c):
 *   xproj: [n, steps, G*units], each step's input projection x_t @ kernel + input bias;
 *   rkernel: [units, G*units]; rbias: the GRU's recurrent bias [3*units] or NULL (others: NULL);
 *   h (and c, LSTM): [n, units], the initial state on entry and the final one on return;
 *   seq: [n, steps, units] receives h after every step, or NULL.
 * G = 1 (CK_RNN_SIMPLE: h = act(x_t + h @ U)), 4 (CK_RNN_LSTM: gates i, f, g, o) or 3
 * (CK_RNN_GRU: gates z, r, h, reset applied after the recurrent product as Keras's
 * reset_after=True). act is the cell's activation, rec_act the gates'.
 * mask: [n, steps] (0 = masked) or NULL. A masked step leaves the row's state as it was, and its
 * seq row gets zeros when zero_masked, else the previous step's seq row (zeros at step 0), as
 * Keras's RNN with a mask and zero_output_for_mask. */
typedef enum ck_rnn_cell { CK_RNN_SIMPLE = 0, CK_RNN_LSTM = 1, CK_RNN_GRU = 2 } ck_rnn_cell;
ck_status ck_f32_rnn_sequence(int cell, int64_t n, int64_t steps, int64_t units, const float *xproj,
                              const float *rkernel, const float *rbias, ck_activation act, ck_activation rec_act,
                              float *h, float *c, float *seq, const uint8_t *mask, int zero_masked);

/* ---- element-wise merges (csrc/merge/f32-merge.c) --------------------------------------------
 * y = act(x0 op x1 op ... op x(k-1)) over n values, left to right; CK_MERGE_AVG divides the sum
 * by k; CK_MERGE_SUB takes exactly two inputs. y may be an input's own memory, never a shifted
 * overlap of one. */
typedef enum ck_merge_op {
    CK_MERGE_ADD = 0,
    CK_MERGE_SUB = 1,
    CK_MERGE_MUL = 2,
    CK_MERGE_AVG = 3,
    CK_MERGE_MAX = 4,
    CK_MERGE_MIN = 5
} ck_merge_op;
ck_status ck_f32_merge(int op, int64_t k, const float *const *xs, int64_t n, ck_activation act, float *y);

/* ---- normalisation (csrc/norm/f32-normalize.c); x and y may be the same array ------------- */

/* The total of eight interleaved float lanes, added pairwise: the fixed order of the portable
 * row sums (csrc/norm/f32-normalize.c), which the vector softmax rows repeat for the same bits. */
CK_INLINE float ck_f32_lanes8_total(const float acc[8]) {
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/* Each of `rows` rows of n values: (x - mean) / sqrt(var + epsilon) * gamma + beta, or with rms
 * x / sqrt(var + epsilon) * gamma (Keras 3's rms_scaling; beta unused). gamma, beta: [n] or NULL. */
ck_status ck_f32_layer_norm(int64_t rows, int64_t n, const float *x, const float *gamma, const float *beta,
                            float epsilon, int rms, float *y);
/* x viewed as [outer, channels, inner]: y = x * scale[c] + shift[c] (BatchNormalization at
 * inference), each product rounded before the add; with inner == 1, shift may be NULL: y = x *
 * scale[c] (a per-channel Multiply). */
ck_status ck_f32_channel_affine(int64_t outer, int64_t channels, int64_t inner, const float *x, const float *scale,
                                const float *shift, float *y);
/* x viewed as [batch, outer, channels, inner]: sum[n, c] = sum of x[n, :, c, :] and sumsq[n, c] = sum of
 * the float32 squares, in double (csrc/norm/f32-channel-moments.c). */
ck_status ck_f32_channel_moments(int64_t batch, int64_t outer, int64_t channels, int64_t inner, const float *x,
                                 double *sum, double *sumsq);
/* Softmax (or log-softmax) of each of `rows` rows of n values. */
ck_status ck_f32_softmax(int64_t rows, int64_t n, const float *x, int log_softmax, float *y);

/* y = act(x) over n contiguous values in one pass (x and y must not overlap). */
ck_status ck_f32_activation_copy(int64_t n, const float *x, float *y, ck_activation act);

/* ---- weights packed once ------------------------------------------------------------------
 * A layer packs its kernel once (when it gets its weights) into a caller-owned buffer, for the
 * dispatch path in use, and passes it to every call; set_weights repacks. The buffer needs no
 * particular alignment (the core aligns inside it) and may be moved or copied.
 *
 * ck_f32_conv_pack_size / ck_f32_conv_pack read kernel_size, in_channels, out_channels and groups
 * of `shape` (the rest may be anything); w and bias as for ck_f32_conv_nd, bias may be NULL.
 * ck_f32_conv_nd_packed computes exactly what ck_f32_conv_nd(shape, x, w, bias, act, algorithm, y)
 * does (same algorithm choice, same kernels, bitwise the same result); w and bias are still
 * needed for the algorithms that do not use packed weights. CK_EINVAL if `packed` was made for
 * another kernel shape or with/without bias; if it was made for another dispatch path it is
 * ignored (weights packed per call) and ck_packed_is_current() returns 0: repack then. */
ck_status ck_f32_conv_pack_size(const ck_conv_shape *shape, size_t *bytes);
ck_status ck_f32_conv_pack(const ck_conv_shape *shape, const float *w, const float *bias, void *buf, size_t bytes);
ck_status ck_f32_conv_nd_packed(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                const void *packed, size_t packed_bytes, const void *winograd_packed,
                                size_t winograd_bytes, ck_activation act, int algorithm, float *y);

/* Optional second buffer for ck_f32_conv_nd_packed: the filters already transformed for Winograd
 * (about 4x the kernel's size), worth keeping only where `algorithm` may send the layer to
 * Winograd. ck_f32_conv_pack_winograd_size gives 0 bytes when it would never be used; a NULL or
 * stale buffer is simply not used (the filters are transformed per call). */
ck_status ck_f32_conv_pack_winograd_size(const ck_conv_shape *shape, int algorithm, size_t *bytes);
ck_status ck_f32_conv_pack_winograd(const ck_conv_shape *shape, const float *w, void *buf, size_t bytes);

/* The same for a Dense kernel B (K x N, row stride ldb) and its bias (N or NULL):
 * ck_f32_gemm_packed computes exactly what ck_f32_gemm(M, N, K, A, lda, B, ldb, bias, act, C, ldc)
 * does. */
ck_status ck_f32_gemm_pack_size(int64_t K, int64_t N, size_t *bytes);
ck_status ck_f32_gemm_pack(int64_t K, int64_t N, const float *B, int64_t ldb, const float *bias, void *buf,
                           size_t bytes);
ck_status ck_f32_gemm_packed(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                             int64_t ldb, const float *bias, const void *packed, size_t packed_bytes,
                             ck_activation act, float *C, int64_t ldc);

/* 1 when `packed` (from ck_f32_conv_pack or ck_f32_gemm_pack) was made for the dispatch path in
 * use, 0 otherwise (or when it is not a packed buffer at all). */
int ck_packed_is_current(const void *packed, size_t packed_bytes);

/* ---- pooling ------------------------------------------------------------------------------- */

typedef struct ck_pool_shape {
    int64_t batch;
    int64_t channels;
    int64_t in_size[CK_SPATIAL_DIMS];
    int64_t out_size[CK_SPATIAL_DIMS];
    int64_t window[CK_SPATIAL_DIMS];
    int64_t stride[CK_SPATIAL_DIMS];
    int64_t pad_before[CK_SPATIAL_DIMS]; /* 'same' padding; padded cells are never counted */
} ck_pool_shape;

/* Max over the cells of each window that lie inside the input (a window with none is an error). */
ck_status ck_f32_max_pool_nd(const ck_pool_shape *shape, const float *x, float *y);
/* Mean over the cells of each window that lie inside the input (Keras's 'same' rule). */
ck_status ck_f32_avg_pool_nd(const ck_pool_shape *shape, const float *x, float *y);

/* x: [batch, spatial, channels] -> y: [batch, channels]; spatial >= 1. */
ck_status ck_f32_global_max_pool(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y);
ck_status ck_f32_global_avg_pool(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y);

/* Adaptive pooling (PyTorch's and Keras 3's rule): x [batch, in_size..., channels] ->
 * y [batch, out_size..., channels], where output cell o of a dim of length `in` pools the input cells
 * [floor(o * in / out), ceil((o + 1) * in / out)). Max keeps NaN, as the local pools do. */
ck_status ck_f32_adaptive_max_pool_nd(int64_t batch, int64_t channels, const int64_t in_size[CK_SPATIAL_DIMS],
                                      const int64_t out_size[CK_SPATIAL_DIMS], const float *x, float *y);
ck_status ck_f32_adaptive_avg_pool_nd(int64_t batch, int64_t channels, const int64_t in_size[CK_SPATIAL_DIMS],
                                      const int64_t out_size[CK_SPATIAL_DIMS], const float *x, float *y);

/* ---- reshaping ----------------------------------------------------------------------------- */

/* y = x with pad_before / pad_after zeros along each spatial dim. */
ck_status ck_f32_zero_pad_nd(int64_t batch, int64_t channels, const int64_t in_size[CK_SPATIAL_DIMS],
                             const int64_t pad_before[CK_SPATIAL_DIMS],
                             const int64_t pad_after[CK_SPATIAL_DIMS], const float *x, float *y);

/* y = x[:, crop_before : crop_before + out_size, :] along each spatial dim. */
ck_status ck_f32_crop_nd(int64_t batch, int64_t channels, const int64_t in_size[CK_SPATIAL_DIMS],
                         const int64_t crop_before[CK_SPATIAL_DIMS],
                         const int64_t out_size[CK_SPATIAL_DIMS], const float *x, float *y);

/* Nearest-neighbour upsampling by repetition: y[o] = x[o / factor] along each spatial dim. */
ck_status ck_f32_upsample_nearest_nd(int64_t batch, int64_t channels,
                                     const int64_t in_size[CK_SPATIAL_DIMS],
                                     const int64_t factor[CK_SPATIAL_DIMS], const float *x, float *y);

/* Bilinear resize of [batch, in_h, in_w, channels] to [batch, out_h, out_w, channels] with the
 * half-pixel rule (src = (dst + 0.5) * in / out - 0.5, clamped to the edges), as Keras's
 * UpSampling2D(interpolation='bilinear'). */
ck_status ck_f32_resize_bilinear_2d(int64_t batch, int64_t channels, int64_t in_h, int64_t in_w,
                                    int64_t out_h, int64_t out_w, const float *x, float *y);

/* y[b][j][i] = x[b][i][j]: `batch` row-major rows x cols matrices transposed, x and y not
 * overlapping (NCHW <-> channels-last for data_format='channels_first'). */
ck_status ck_f32_transpose_batched(int64_t batch, int64_t rows, int64_t cols, const float *x, float *y);

/* ---- runtime: CPU features, dispatch, threads --------------------------------------------- */

typedef struct ck_cpu_features {
    int sse2, sse41, avx, fma, f16c, avx2, avx512f, avx512dq, avx512bw, avx512vl;
    int os_avx;    /* the OS saves YMM state (XGETBV) */
    int os_avx512; /* the OS saves ZMM/opmask state */
    char vendor[13];
    char brand[49];
} ck_cpu_features;

/* Read once (CPUID + XGETBV) and cached; safe to call from any thread. */
const ck_cpu_features *ck_cpu_get_features(void);

/* Fill the dispatch table. isa: NULL or "" or "auto" picks the best the CPU has; "ref", "avx2"
 * or "avx512" forces a path (CK_EUNSUPPORTED if the CPU lacks it, CK_EINVAL if unknown). */
ck_status ck_dispatch_init(const char *isa);
/* Name of the path in use: "ref", "avx2" or "avx512". */
const char *ck_dispatch_isa_name(void);
/* The same as a small number (0 ref, 1 avx2, 2 avx512), recorded in packed weights. */
int ck_dispatch_path_id(void);

/* Threads used by the kernels (OpenMP). n <= 0 resets to the default (OMP_NUM_THREADS or the
 * number of cores). Results never depend on this number beyond float rounding order rules
 * documented per kernel. */
void ck_set_num_threads(int n);
int ck_get_num_threads(void);
int ck_have_openmp(void);

/* A register-only FMA loop: returns achieved GFLOP/s on the calling thread (benchmark limit). */
double ck_measure_fma_peak_gflops(double seconds);

#ifdef __cplusplus
}
#endif
#endif /* CONVKIT_KERNELS_H */
