/* Reference GEMM: C = act(A·B + bias), row-major. Row by row, the k loop outside the n loop so
 * the inner loop streams contiguous rows of B and C; each C element sums over k in order. */
#include "convkit/dispatch.h"
#include "convkit/threads.h"

void ck_f32_gemm__ref(int64_t M, int64_t N, int64_t K, const float *CK_RESTRICT A, int64_t lda,
                      const float *CK_RESTRICT B, int64_t ldb, const float *CK_RESTRICT bias,
                      ck_activation act, float *CK_RESTRICT C, int64_t ldc) {
    CK_PARALLEL_FOR(M * N * (K > 0 ? K : 1))
    for (int64_t m = 0; m < M; m++) {
        float *c = C + m * ldc;
        for (int64_t n = 0; n < N; n++) c[n] = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            const float a = A[m * lda + k];
            const float *b = B + k * ldb;
            for (int64_t n = 0; n < N; n++) c[n] += a * b[n];
        }
        for (int64_t n = 0; n < N; n++) c[n] = ck_activate_f32(c[n] + (bias ? bias[n] : 0.0f), act);
    }
}
