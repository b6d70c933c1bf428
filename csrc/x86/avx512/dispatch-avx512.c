/* The AVX-512F path: overrides the GEMM microkernels (the table was first filled by the AVX2 path,
 * so what AVX-512 lacks stays AVX2). Strong definition of the weak hook in csrc/dispatch.c;
 * only called after CPUID/XGETBV said AVX-512F/DQ/BW/VL work and the OS saves ZMM state. */
#include "convkit/dispatch.h"

void ck_dispatch_fill_avx512(ck_dispatch_table *t) {
    t->isa = "avx512";
    /* Blocking for 12x32 on Skylake-SP-class cores (32 KiB L1, 1 MiB L2): a 256x32 B micro-panel
     * (32 KiB) streams through L1, a 192x256 A block (192 KiB) sits in L2, a 256x4096 B slice in
     * L3. Untuned: measure on the AVX-512 machine (benchmarks/c/bench_kernels.c). */
    t->gemm_ukernel = (ck_f32_gemm_ukernel){ck_f32_gemm_ukernel_12x32__avx512, 12, 32, 192, 256, 4096,
                                            ck_f32_gemm_pack_a_12__avx2};
    t->igemm_ukernel = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_12x32__avx512, 12, 32, 768 * 1024};
    t->gemm = ck_f32_gemm__blocked;
    t->conv_gemm = ck_f32_conv_nd__igemm;
    t->gemm_is_fast = 1;
    t->conv_small_ukernel = (ck_f32_conv_small_ukernel){ck_f32_conv_small_ukernel_12x32__avx512, 12, 32};
    t->small_wide_1d = 0; /* conv.c: the igemm wins on wide 1D layers here */
    t->winograd_input = ck_f32_winograd_input_4x4_3x3__avx512;
    t->winograd_output = ck_f32_winograd_output_4x4_3x3__avx512;
}
