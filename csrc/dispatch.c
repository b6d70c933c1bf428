/* Fill the dispatch table: reference kernels first, then the best instruction-set path the CPU
 * (and the request in CONVKIT_ISA, passed in by the glue) allows overrides what it has. */
#include <string.h>

#include "convkit/dispatch.h"

ck_dispatch_table ck_dispatch = {
    "ref",
    ck_f32_gemm__ref,
    ck_f32_conv_nd__ref,
    NULL,
    ck_f32_depthwise_conv_nd__ref,
    ck_f32_conv_transpose_nd__ref,
    ck_f32_max_pool_nd__ref,
    ck_f32_avg_pool_nd__ref,
};

static void ck_fill_ref(ck_dispatch_table *t) {
    t->isa = "ref";
    t->gemm = ck_f32_gemm__ref;
    t->conv_direct = ck_f32_conv_nd__ref;
    t->conv_gemm = NULL;
    t->depthwise_conv = ck_f32_depthwise_conv_nd__ref;
    t->conv_transpose = ck_f32_conv_transpose_nd__ref;
    t->max_pool = ck_f32_max_pool_nd__ref;
    t->avg_pool = ck_f32_avg_pool_nd__ref;
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
