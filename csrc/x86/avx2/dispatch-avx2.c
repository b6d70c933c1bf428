/* The AVX2+FMA path: overrides the table entries it has faster kernels for. A strong definition
 * of the weak hook in csrc/dispatch.c; only called after CPUID/XGETBV said AVX2 and FMA work. */
#include "convkit/dispatch.h"

void ck_dispatch_fill_avx2(ck_dispatch_table *t) {
    t->isa = "avx2";
    /* Blocking for 6x16 on Zen 3: KC = 512 (a 32 KiB B micro-panel, L1's size), small row blocks
     * of MC = 36 (a 72 KiB A block in L2) and a 512x1024 B slice (2 MiB) in L3: half the passes
     * over C of KC = 256, and a C tile column of a row block is 36 rows, which with a power-of-two
     * ldc fight over fewer cache sets than 168. Against the Haswell-style 168/256/4080 of BLIS,
     * interleaved in one process, each pair in both orders (the first of a pair ran up to ~5%
     * slower), median ratios of 12 rounds, 1 thread / 2 threads: 1024^3 1.02-1.04 / 1.03,
     * 512x4096x1024 1.09 / 1.08 (mostly NC: a 2 MiB B slice instead of 8 MiB), 2048x512x512
     * 1.01 / 1.04; 4096x256x256 and 784x128x256 within +-2%. MC 24-48 were alike; KC = 1024 (a
     * 64 KiB panel) lost 10%. Weights packed once still go panel by panel up to 168 rows (the
     * last field; the MC-block loop lost 6-12% at 64-128 rows), see ck_gemm_run. */
    t->gemm_ukernel = (ck_f32_gemm_ukernel){ck_f32_gemm_ukernel_6x16__avx2, 6, 16, 36, 512, 1024,
                                            ck_f32_gemm_pack_a_6__avx2, ck_f32_gemm_row_1x16__avx2,
                                            ck_f32_gemm_row_wide__avx2, 0, 168};
    /* Convolution weights: a column block of packed panels up to 384 KiB stays in a 512 KiB L2. */
    /* Ragged tiles of one or two pixels go row by row: the row kernel needs about two cycles a
     * k-step per pixel when the weight panel streams from L2, the 6x16 kernel six per tile. */
    t->igemm_ukernel = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_6x16__avx2, 6, 16, 384 * 1024,
                                              ck_f32_igemm_row_1x16__avx2, 2};
    /* Groups of at most 8 output channels (ResNeXt's): the 12x8 kernel, no padding columns. */
    t->igemm_ukernel_narrow8 = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_12x8__avx2, 12, 8, 384 * 1024, NULL, 0,
                                                      ck_f32_igemm_groups_12x8__avx2};
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
    t->rnn_gates = ck_f32_rnn_gates__avx2;
    t->merge_span = ck_f32_merge_span__avx2;
    t->activate_copy = ck_f32_activate_copy__avx2;
    t->winograd_input = ck_f32_winograd_input_4x4_3x3__avx2;
    t->winograd_output = ck_f32_winograd_output_4x4_3x3__avx2;
}
