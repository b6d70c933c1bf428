/* Reference kernels that are not behind the dispatch table (data movement and reductions whose
 * speed is bounded by memory, not arithmetic). Called by the public entry points after checks. */
#ifndef CONVKIT_REF_H
#define CONVKIT_REF_H

#include "convkit/kernels.h"

void ck_f32_global_pool__ref(int64_t batch, int64_t spatial, int64_t channels, const float *x, float *y,
                             int is_max);
void ck_f32_zero_pad_nd__ref(int64_t batch, int64_t channels, const int64_t in_size[3],
                             const int64_t pad_before[3], const int64_t pad_after[3], const float *x, float *y);
void ck_f32_crop_nd__ref(int64_t batch, int64_t channels, const int64_t in_size[3],
                         const int64_t crop_before[3], const int64_t out_size[3], const float *x, float *y);
void ck_f32_upsample_nearest_nd__ref(int64_t batch, int64_t channels, const int64_t in_size[3],
                                     const int64_t factor[3], const float *x, float *y);
void ck_f32_resize_bilinear_2d__ref(int64_t batch, int64_t channels, int64_t in_h, int64_t in_w, int64_t out_h,
                                    int64_t out_w, const float *x, float *y);
/* Adaptive pooling, [batch, in_size..., channels] -> [batch, out_size..., channels]: output cell o of a
 * dim pools input cells [floor(o*in/out), ceil((o+1)*in/out)). */
void ck_f32_adaptive_pool_nd__ref(int64_t batch, int64_t channels, const int64_t in_size[3],
                                  const int64_t out_size[3], const float *x, float *y, int is_max);
/* ck_activate_f32 on each of n values (the kind dispatched once, ck_activate_span_f32). */
void ck_f32_activate_span__ref(float *x, size_t n, ck_activation act);

#endif /* CONVKIT_REF_H */
