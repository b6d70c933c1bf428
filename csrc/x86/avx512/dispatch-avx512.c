/* The AVX-512F path: overrides the GEMM microkernels (the table was first filled by the AVX2 path,
 * so what AVX-512 lacks stays AVX2). Strong definition of the weak hook in csrc/dispatch.c;
 * only called after CPUID/XGETBV said AVX-512F/DQ/BW/VL work and the OS saves ZMM state. */
#include "convkit/dispatch.h"

void ck_dispatch_fill_avx512(ck_dispatch_table *t) {
    t->isa = "avx512";
    /* Blocking for 12x32: KC = 512 (a 64 KiB B micro-panel streaming from L2) and small row blocks
     * of MC = 24 (a 48 KiB A block), a 512x4096 B slice in L3. Fewer KC blocks mean fewer passes
     * over C, which for a large C comes from L3 each pass. On Zen 4 (32 KiB L1, 1 MiB L2; medians
     * of 6 alternating runs of benchmarks/c/bench_kernels.c, % of the FMA peak, 1 thread) against
     * the earlier 192/256: 1024^3 80 -> 86%, 32x1000x2048 with packed weights 64 -> 78%, 8x1000x2048
     * packed 73 -> 86%, 256^3 87 -> 91%. On Zen 5 MC/KC of 96-240 / 256-512 moved 1024^3 within
     * the +-4% noise of paired runs. KC grows up to 1024 (the last field) while the B slice stays
     * within 4 MiB: 1024^3 then takes one pass over C (86 -> 90%, see ck_gemm_kc). */
    t->gemm_ukernel = (ck_f32_gemm_ukernel){ck_f32_gemm_ukernel_12x32__avx512, 12, 32, 24, 512, 4096,
                                            ck_f32_gemm_pack_a_12__avx2, ck_f32_gemm_row_1x32__avx512,
                                            ck_f32_gemm_row_wide__avx512, 1024};
    /* Ragged tiles of one or two pixels go row by row: the 12x32 kernel spends 12 cycles a k-step
     * on a tile whatever its valid rows, the row kernel about two per pixel with the weights
     * streaming from L2 (Zen 5, paired runs: 7x7x512 -> 512 +17% per call; with four-pixel
     * tiles also by row, 56x56x64 s2 and 14x14x256 moved within +-3%, so they stay tiles). */
#ifndef CK_AVX512_IGEMM_ROW_MAX
#define CK_AVX512_IGEMM_ROW_MAX 2
#endif
    t->igemm_ukernel = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_12x32__avx512, 12, 32, 768 * 1024,
                                              ck_f32_igemm_row_1x32__avx512, CK_AVX512_IGEMM_ROW_MAX};
    t->igemm_ukernel_aliased = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_8x32__avx512, 8, 32, 768 * 1024,
                                                      ck_f32_igemm_row_1x32__avx512, CK_AVX512_IGEMM_ROW_MAX};
    /* Groups of at most 16 output channels: the AVX2 6x16 kernel, whose 16-wide panels waste
     * half of an 8-channel group instead of three quarters (ResNeXt's 28x28x256, 32 groups of
     * 8, 3x3, 1 thread: 1.07 -> 0.94 ms with this alone, 0.60 with the driver's group order). */
    t->igemm_ukernel_narrow = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_6x16__avx2, 6, 16, 768 * 1024,
                                                     ck_f32_igemm_row_1x16__avx2, 2};
    t->igemm_ukernel_narrow8 = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_12x8__avx2, 12, 8, 768 * 1024, NULL, 0,
                                                      ck_f32_igemm_groups_12x8__avx2};
    t->gemm = ck_f32_gemm__blocked;
    t->conv_gemm = ck_f32_conv_nd__igemm;
    t->gemm_is_fast = 1;
    t->conv_small_ukernel = (ck_f32_conv_small_ukernel){ck_f32_conv_small_ukernel_12x32__avx512, 12, 32};
    t->small_wide_1d = 0; /* conv.c: the igemm wins on wide 1D layers here */
    t->activate_span = ck_f32_activate_span__avx512;
    t->softmax_row = ck_f32_softmax_row__avx512;
    t->rnn_gates = ck_f32_rnn_gates__avx512;
    t->merge_span = ck_f32_merge_span__avx512;
    t->activate_copy = ck_f32_activate_copy__avx512;
    t->global_pool = ck_f32_global_pool__avx512;
    t->depthwise_conv = ck_f32_depthwise_conv_nd__avx512;
    t->winograd_input = ck_f32_winograd_input_4x4_3x3__avx512;
    t->winograd_output = ck_f32_winograd_output_4x4_3x3__avx512;
}
