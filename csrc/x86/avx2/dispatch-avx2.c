/* The AVX2+FMA path: overrides the table entries it has faster kernels for. A strong definition
 * of the weak hook in csrc/dispatch.c; only called after CPUID/XGETBV said AVX2 and FMA work. */
#include "convkit/dispatch.h"

void ck_dispatch_fill_avx2(ck_dispatch_table *t) {
    t->isa = "avx2";
    /* Blocking for 6x16 on Zen 3 / Haswell-class cores (as BLIS's Haswell sgemm): a 256x16 B
     * micro-panel (16 KiB) in L1, a 168x256 A block (168 KiB) in L2, a 256x4080 B slice in L3. */
    t->gemm_ukernel = (ck_f32_gemm_ukernel){ck_f32_gemm_ukernel_6x16__avx2, 6, 16, 168, 256, 4080,
                                            ck_f32_gemm_pack_a_6__avx2, ck_f32_gemm_row_1x16__avx2,
                                            ck_f32_gemm_row_wide__avx2};
    /* Convolution weights: a column block of packed panels up to 384 KiB stays in a 512 KiB L2. */
    /* Ragged tiles of one or two pixels go row by row: the row kernel needs about two cycles a
     * k-step per pixel when the weight panel streams from L2, the 6x16 kernel six per tile. */
    t->igemm_ukernel = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_6x16__avx2, 6, 16, 384 * 1024,
                                              ck_f32_igemm_row_1x16__avx2, 2};
    /* Groups of at most 8 output channels (ResNeXt's): the 12x8 kernel, no padding columns. */
    t->igemm_ukernel_narrow8 = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_12x8__avx2, 12, 8, 384 * 1024, NULL, 0};
    t->gemm = ck_f32_gemm__blocked;
    t->conv_gemm = ck_f32_conv_nd__igemm;
    t->gemm_is_fast = 1;
    /* Depthwise convolution and pooling, 8 channels a vector (f32-dwconv-8c.c, f32-pool-8c.c). */
    t->depthwise_conv = ck_f32_depthwise_conv_nd__avx2;
    t->max_pool = ck_f32_max_pool_nd__avx2;
    t->avg_pool = ck_f32_avg_pool_nd__avx2;
    t->global_pool = ck_f32_global_pool__avx2;
    t->conv_small_ukernel = (ck_f32_conv_small_ukernel){ck_f32_conv_small_ukernel_6x16__avx2, 6, 16};
    t->small_wide_1d = 1;
    t->activate_span = ck_f32_activate_span__avx2;
    t->softmax_row = ck_f32_softmax_row__avx2;
    t->activate_copy = ck_f32_activate_copy__avx2;
    t->winograd_input = ck_f32_winograd_input_4x4_3x3__avx2;
    t->winograd_output = ck_f32_winograd_output_4x4_3x3__avx2;
}
