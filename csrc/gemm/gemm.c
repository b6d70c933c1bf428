/* Public GEMM and activation entry points. */
#include "convkit/dispatch.h"
#include "convkit/ref.h"
#include "convkit/validate.h"

ck_status ck_f32_gemm(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                      int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc) {
    if (M < 0 || N < 0 || K < 0) return CK_EINVAL;
    if (act.kind < 0 || act.kind >= CK_ACT_COUNT_) return CK_EINVAL;
    if (M == 0 || N == 0) return CK_OK;
    if (lda < (K > 0 ? K : 1) || ldb < N || ldc < N) return CK_EINVAL;
    if (C == NULL || (K > 0 && (A == NULL || B == NULL))) return CK_EINVAL;
    if (ck_checked_mul(M, lda) < 0 || ck_checked_mul(K, ldb) < 0 || ck_checked_mul(M, ldc) < 0 ||
        ck_checked_mul(ck_checked_mul(M, N), K) < 0)
        return CK_EOVERFLOW;
    return ck_dispatch.gemm(M, N, K, A, lda, B, ldb, bias, act, C, ldc);
}

ck_status ck_f32_activation(int64_t n, float *x, ck_activation act) {
    if (n < 0 || act.kind < 0 || act.kind >= CK_ACT_COUNT_) return CK_EINVAL;
    if (n == 0 || act.kind == CK_ACT_LINEAR) return CK_OK;
    if (x == NULL) return CK_EINVAL;
    ck_f32_activation__ref(n, x, act);
    return CK_OK;
}
