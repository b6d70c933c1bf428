/* Packing for the blocked GEMM (BLIS-style, Goto & van de Geijn): copy a block of A into MR-row
 * panels and a slice of B into NR-column panels, both k-major, so the microkernel streams each
 * with unit stride and the zero padding lets it compute full tiles at the edges. */
#include "convkit/gemm.h"

void ck_f32_gemm_pack_a(size_t mc, size_t kc, size_t mr, const float *CK_RESTRICT a, size_t lda,
                        float *CK_RESTRICT dst) {
    for (size_t i0 = 0; i0 < mc; i0 += mr) {
        const size_t rows = mc - i0 < mr ? mc - i0 : mr;
        const float *src = a + i0 * lda;
        if (rows == mr && mr == 6) {
            /* The common AVX2 case spelled out so the compiler keeps six row pointers in
             * registers and writes each 24-byte k-slice in one go. */
            const float *r0 = src, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda, *r4 = r3 + lda,
                        *r5 = r4 + lda;
            for (size_t k = 0; k < kc; k++) {
                dst[0] = r0[k];
                dst[1] = r1[k];
                dst[2] = r2[k];
                dst[3] = r3[k];
                dst[4] = r4[k];
                dst[5] = r5[k];
                dst += 6;
            }
            continue;
        }
        for (size_t k = 0; k < kc; k++) {
            size_t i = 0;
            for (; i < rows; i++) dst[i] = src[i * lda + k];
            for (; i < mr; i++) dst[i] = 0.0f;
            dst += mr;
        }
    }
}

/* Both B packers are ck_f32_pack_panels_rows, which packs row by row: B's rows are usually far
 * apart (ldb of a few KiB), and walking one panel down its kc rows touched a new page per 64
 * bytes, which the hardware prefetchers do not follow. */
void ck_f32_gemm_pack_b_panel(size_t kc, size_t nr_valid, size_t nr, const float *CK_RESTRICT b, size_t ldb,
                              float *CK_RESTRICT dst) {
    ck_f32_pack_panels_rows(0, (int64_t)kc, (int64_t)nr_valid, (int64_t)nr, b, (int64_t)ldb, dst, (int64_t)(kc * nr));
}

void ck_f32_gemm_pack_b(size_t kc, size_t ncols, size_t nr, const float *CK_RESTRICT b, size_t ldb,
                        float *CK_RESTRICT dst) {
    ck_f32_pack_panels_rows(0, (int64_t)kc, (int64_t)ncols, (int64_t)nr, b, (int64_t)ldb, dst, (int64_t)(kc * nr));
}
