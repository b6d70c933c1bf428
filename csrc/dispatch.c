/* Fill the dispatch table: reference kernels first, then the best instruction-set path the CPU
 * (and the request in CONVKIT_ISA, passed in by the glue) allows overrides what it has. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/ref.h"

ck_status ck_f32_gemm__ref_status(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                                  int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc) {
    ck_f32_gemm__ref(M, N, K, A, lda, B, ldb, bias, act, C, ldc);
    return CK_OK;
}

/* The reference path: ref kernels, plus the portable scalar microkernels so that the GEMM-based
 * convolution (CK_ALGO_GEMM) exists, and is testable, on every CPU. Blocking for the scalar
 * 4x8 kernel: a 4x256 A panel and 256x8 B panel live in L1, a 128x256 A block in L2. */
ck_dispatch_table ck_dispatch = {
    "ref",
    ck_f32_gemm__ref_status,
    ck_f32_conv_nd__ref,
    ck_f32_conv_nd__igemm,
    ck_f32_depthwise_conv_nd__ref,
    ck_f32_conv_transpose_nd__ref,
    ck_f32_max_pool_nd__ref,
    ck_f32_avg_pool_nd__ref,
    {ck_f32_gemm_ukernel_4x8__scalar, 4, 8, 128, 256, 4096},
    {ck_f32_igemm_ukernel_4x8__scalar, 4, 8, 256 * 1024},
    {NULL, 0, 0, 0},
    {NULL, 0, 0, 0},
    {NULL, 0, 0, 0},
    0,
};

static void ck_fill_ref(ck_dispatch_table *t) {
    t->isa = "ref";
    t->gemm = ck_f32_gemm__ref_status;
    t->conv_direct = ck_f32_conv_nd__ref;
    t->conv_gemm = ck_f32_conv_nd__igemm;
    t->depthwise_conv = ck_f32_depthwise_conv_nd__ref;
    t->conv_transpose = ck_f32_conv_transpose_nd__ref;
    t->max_pool = ck_f32_max_pool_nd__ref;
    t->avg_pool = ck_f32_avg_pool_nd__ref;
    t->gemm_ukernel = (ck_f32_gemm_ukernel){ck_f32_gemm_ukernel_4x8__scalar, 4, 8, 128, 256, 4096};
    t->igemm_ukernel = (ck_f32_igemm_ukernel){ck_f32_igemm_ukernel_4x8__scalar, 4, 8, 256 * 1024};
    t->igemm_ukernel_narrow = (ck_f32_igemm_ukernel){NULL, 0, 0, 0};
    t->igemm_ukernel_narrow8 = (ck_f32_igemm_ukernel){NULL, 0, 0, 0};
    t->igemm_ukernel_aliased = (ck_f32_igemm_ukernel){NULL, 0, 0, 0};
    t->gemm_is_fast = 0;
    t->conv_small_ukernel = (ck_f32_conv_small_ukernel){NULL, 0, 0};
    t->small_wide_1d = 0;
    t->activate_span = ck_f32_activate_span__ref;
    t->softmax_row = NULL;
    t->rnn_gates = NULL;
    t->activate_copy = NULL;
    t->winograd_input = ck_f32_winograd_input_4x4_3x3__scalar;
    t->winograd_output = ck_f32_winograd_output_4x4_3x3__scalar;
    t->global_pool = ck_f32_global_pool__ref;
    t->merge_span = ck_f32_merge_span__ref;
}

static int ck_cpu_has_avx2(const ck_cpu_features *f) { return f->avx2 && f->fma; }
static int ck_cpu_has_avx512(const ck_cpu_features *f) {
    return f->avx512f && f->avx512dq && f->avx512bw && f->avx512vl && ck_cpu_has_avx2(f);
}

/* Override hooks for the instruction-set paths. They are weak so a build without a path (a
 * non-x86 machine) still links; each x86/<isa>/ folder defines its own. */
__attribute__((weak)) void ck_dispatch_fill_avx2(ck_dispatch_table *t) { t->isa = "avx2"; }
__attribute__((weak)) void ck_dispatch_fill_avx512(ck_dispatch_table *t) { t->isa = "avx512"; }

ck_status ck_dispatch_init(const char *isa) {
    const ck_cpu_features *f = ck_cpu_get_features();
    ck_dispatch_table t;
    ck_fill_ref(&t);
    if (isa == NULL || isa[0] == '\0' || strcmp(isa, "auto") == 0) {
        if (ck_cpu_has_avx2(f)) ck_dispatch_fill_avx2(&t);
        if (ck_cpu_has_avx512(f)) ck_dispatch_fill_avx512(&t);
    } else if (strcmp(isa, "ref") == 0) {
        /* reference only */
    } else if (strcmp(isa, "avx2") == 0) {
        if (!ck_cpu_has_avx2(f)) return CK_EUNSUPPORTED;
        ck_dispatch_fill_avx2(&t);
    } else if (strcmp(isa, "avx512") == 0) {
        if (!ck_cpu_has_avx512(f)) return CK_EUNSUPPORTED;
        ck_dispatch_fill_avx2(&t); /* kernels AVX-512 lacks fall back to AVX2, not to ref */
        ck_dispatch_fill_avx512(&t);
    } else {
        return CK_EINVAL;
    }
    ck_dispatch = t;
    return CK_OK;
}

const char *ck_dispatch_isa_name(void) { return ck_dispatch.isa; }

int ck_dispatch_path_id(void) {
    if (strcmp(ck_dispatch.isa, "avx512") == 0) return 2;
    if (strcmp(ck_dispatch.isa, "avx2") == 0) return 1;
    return 0;
}
