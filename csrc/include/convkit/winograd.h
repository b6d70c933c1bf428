/* Winograd F(4x4, 3x3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016): each 4x4 block of outputs of a 3x3 stride-1 convolution comes from a 6x6
 * input tile d and the 3x3 filter g as
 *
 *     Y = A^T [ (G g G^T) (.) (B^T d B) ] A          (.) = element-wise, 36 products per channel pair
 *
 * so a layer costs 36 multiply-adds per 4x4 outputs per (ci, co) pair instead of 144 (2.25x
 * fewer), done as 36 independent GEMMs M_e = V_e U_e (tiles x Cin times Cin x Cout) on the
 * project's packed SGEMM microkernels, between an input transform (B^T d B) and an output
 * transform (A^T m A) that are cheap, vectorised over channels, and where bias and activation
 * are fused.
 *
 * The matrices come from Toom-Cook interpolation at the points 0, +1, -1, +1/2, -1/2 and
 * infinity (derived in csrc/winograd/f32-conv-winograd.c). Why these points: F(4, 3) needs six
 * points; 0 and infinity are free (a single coefficient), and the others should be small and
 * exactly representable so that the transforms need no rounding of their own and the
 * Vandermonde matrices stay well conditioned. +-1 and +-1/2 (equivalently +-2: a point and its
 * reciprocal give the same matrices up to reversal) are the smallest such set: the output
 * transform only multiplies by 1/2, 1/4, 1/8 (exact), the input transform by 2, 4, 5, and the
 * +- pairs let even and odd parts be shared, about 12 adds or FMAs per 6 values. Larger points
 * (+-3, +-4...) grow the entries as a power of the point and the float32 error with them. */
#ifndef CONVKIT_WINOGRAD_H
#define CONVKIT_WINOGRAD_H

#include <stddef.h>

#include "convkit/gemm.h"
#include "convkit/kernels.h"

/* Input transform of `mr` tiles (one GEMM row panel) for `kc` channels:
 *   x[i*36 + r*6 + s] points at the kc contiguous channels of element (r, s) of tile i's 6x6
 *   input patch (into the input, or into a zero row of >= kc floats for padding);
 *   v[e*e_stride + c*mr + i] = (B^T d_{i,c} B)[e], e = row*6 + col: 36 packed A panels
 *   (k-major, mr rows) the gemm microkernel reads directly. */
typedef void (*ck_f32_winograd_input_fn)(size_t mr, size_t kc, const float *const *x, float *v, size_t e_stride);

/* Output transform of one tile for `nc` channels:
 *   m[e*e_stride + c] holds element e of the 6x6 product for channel c;
 *   y[k] (k = row*4 + col of the 4x4 output block) receives nc channels
 *   clamp(bias[c] + (A^T m A)[k]) (bias may be NULL); the driver points y[k] of outputs past
 *   the image at a scratch row. */
typedef void (*ck_f32_winograd_output_fn)(size_t nc, const float *m, size_t e_stride, const float *bias,
                                          const ck_f32_clamp *clamp, float *const *y);

void ck_f32_winograd_input_4x4_3x3__scalar(size_t mr, size_t kc, const float *const *x, float *v, size_t e_stride);
void ck_f32_winograd_output_4x4_3x3__scalar(size_t nc, const float *m, size_t e_stride, const float *bias,
                                            const ck_f32_clamp *clamp, float *const *y);
void ck_f32_winograd_input_4x4_3x3__avx2(size_t mr, size_t kc, const float *const *x, float *v, size_t e_stride);
void ck_f32_winograd_output_4x4_3x3__avx2(size_t nc, const float *m, size_t e_stride, const float *bias,
                                          const ck_f32_clamp *clamp, float *const *y);
void ck_f32_winograd_input_4x4_3x3__avx512(size_t mr, size_t kc, const float *const *x, float *v, size_t e_stride);
void ck_f32_winograd_output_4x4_3x3__avx512(size_t nc, const float *m, size_t e_stride, const float *bias,
                                            const ck_f32_clamp *clamp, float *const *y);

/* 1 when the shape is one the Winograd path computes: 3x3 kernel over the last two spatial
 * dims, stride 1 and dilation 1 there, and no convolution along the first (kernel 1, stride 1,
 * no padding): 2D convolution, or 3D with a 1x3x3 kernel (each depth slice an image). Any
 * padding, groups, batch. */
int ck_f32_conv_winograd_applicable(const ck_conv_shape *shape);

/* The driver (csrc/winograd/f32-conv-winograd.c): CK_EUNSUPPORTED for shapes it does not
 * cover, CK_ENOMEM when scratch cannot be had. */
ck_status ck_f32_conv_nd__winograd(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                   ck_activation act, float *y);

/* Tiles per block (multiple of the GEMM's MR) forced for tests and benchmarks; 0 = from the
 * shape. Not thread-safe: set it before running. */
void ck_f32_conv_winograd_set_block(int tiles);

/* How threads split the work, forced for tests and benchmarks: 0 = whole tile blocks per thread
 * where there are at least as many blocks as threads, the remainder shared (default); 1 = every
 * block shared by the team (barriers between the steps); 2 = whole blocks per thread only. The
 * result is bitwise the same in every mode. Not thread-safe: set it before running. */
void ck_f32_conv_winograd_set_split(int mode);

/* ---- filters transformed once (U = G g G^T, packed as the GEMM's B panels) ----------------------
 * A 3x3 layer on the Winograd path otherwise transforms its filters at every call (36/9 = 4x the
 * weights in floats, e.g. 9.4 MB for 256 -> 256, about half the call on a 14x14 image).
 *   ck_f32_conv_winograd_pack_size: bytes for `shape` on the current dispatch path (CK_EUNSUPPORTED
 *     when the Winograd path does not apply or this path has no Winograd kernels);
 *   ck_f32_conv_winograd_pack: transforms w ([kh][kw][CIG][CO], as ck_f32_conv_nd) into `buf`
 *     (any alignment; a header records the path, NR, groups, CIG, CO), threaded;
 *   ck_f32_conv_winograd_packed_ok: 1 when `buf` was packed for this shape on the current path
 *     (else repack: after ck_dispatch_init changed the path, for instance);
 *   ck_f32_conv_nd__winograd_packed: bitwise what ck_f32_conv_nd__winograd(shape, x, w, bias, act, y)
 *     gives for the w that was packed; CK_EINVAL when `buf` does not match. Bias stays a call
 *     argument (not in the buffer). */
ck_status ck_f32_conv_winograd_pack_size(const ck_conv_shape *shape, size_t *bytes);
ck_status ck_f32_conv_winograd_pack(const ck_conv_shape *shape, const float *w, void *buf, size_t bytes);
int ck_f32_conv_winograd_packed_ok(const ck_conv_shape *shape, const void *buf, size_t bytes);
/* 1 when packed_ok and the filters it was packed from held no NaN or Inf (checked once, at pack
 * time, so 'auto' need not scan them per call). */
int ck_f32_conv_winograd_packed_finite(const ck_conv_shape *shape, const void *buf, size_t bytes);
ck_status ck_f32_conv_nd__winograd_packed(const ck_conv_shape *shape, const float *x, const void *buf, size_t bytes,
                                          const float *bias, ck_activation act, float *y);

#endif /* CONVKIT_WINOGRAD_H */
