/* The AVX2+FMA path: overrides the table entries it has faster kernels for. A strong definition
 * of the weak hook in csrc/dispatch.c; only called after CPUID/XGETBV said AVX2 and FMA work. */
#include "convkit/dispatch.h"

void ck_dispatch_fill_avx2(ck_dispatch_table *t) {
    t->isa = "avx2";
    /* Blocking for 6x16 on Zen 3 / Haswell-class cores (as BLIS's Haswell sgemm): a 256x16 B
     * micro-panel (16 KiB) in L1, a 168x256 A block (168 KiB) in L2, a 256x4080 B slice in L3. */
    t->gemm_ukernel = (ck_f32_gemm_ukernel){ck_f32_gemm_ukernel_6x16__avx2, 6, 16, 168, 256, 4080};
    /* Convolution weights: a column block of packed panels up to 384 KiB stays in a 512 KiB L2. */
    t->igemm_ukernel = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_6x16__avx2, 6, 16, 384 * 1024};
    t->gemm = ck_f32_gemm__blocked;
    t->conv_gemm = ck_f32_conv_nd__igemm;
    t->gemm_is_fast = 1;
}
