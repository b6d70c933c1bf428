/* Reference microkernels, 4x8, plain C (BLIS keeps one to explain the fast ones). They define
 * the contract of ck_f32_gemm_ukernel_fn / ck_f32_igemm_ukernel_fn in gemm.h: accumulate a full
 * MR x NR tile from zero-padded panels, then store only the mr x nr valid corner. Built for
 * baseline x86-64 (or any CPU): the fallback when no vector path exists. */
#include "convkit/gemm.h"

#define MR 4
#define NR 8

static float ck_clamp1(float v, const ck_f32_clamp *cl) {
    if (!cl->enabled || v != v) return v;
    v = v < cl->lo ? cl->lo : v;
    return v > cl->hi ? cl->hi : v;
}

void ck_f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, const float *CK_RESTRICT a,
                                     const float *CK_RESTRICT b, size_t ldb, float *CK_RESTRICT c, size_t ldc,
                                     const float *CK_RESTRICT bias, unsigned flags, const ck_f32_clamp *clamp) {
    float acc[MR][NR] = {{0.0f}};
    for (size_t k = 0; k < kc; k++) {
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];
        a += MR;
        b += ldb;
    }
    for (size_t i = 0; i < mr; i++) {
        for (size_t j = 0; j < nr; j++) {
            float v = acc[i][j];
            if (flags & CK_UK_LOAD_C) v = c[i * ldc + j] + v;
            if (bias) v += bias[j];
            c[i * ldc + j] = ck_clamp1(v, clamp);
        }
    }
}

void ck_f32_igemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *CK_RESTRICT a,
                                      const float *CK_RESTRICT w, float *CK_RESTRICT c, size_t ldc,
                                      const ck_f32_clamp *clamp) {
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = w[j]; /* the panel starts with its bias */
    w += NR;
    for (size_t t = 0; t < ks; t++) {
        for (size_t k = 0; k < kc; k++) {
            for (int i = 0; i < MR; i++) {
                const float av = a[i][k];
                for (int j = 0; j < NR; j++) acc[i][j] += av * w[j];
            }
            w += NR;
        }
        a += MR;
    }
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) c[i * ldc + j] = ck_clamp1(acc[i][j], clamp);
}
