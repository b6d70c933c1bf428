/* AVX2+FMA transforms of Winograd F(4x4, 3x3), 8 channels a vector (the matrices and their
 * scalar reference: csrc/winograd/f32-winograd-4x4-3x3-scalar.c; the same operations in the
 * same order, so the paths agree to rounding of FMA contraction).
 *
 * Input: per 8 channels, each tile's 36 patch vectors go through B^T . B in registers/L1 and
 * land in a stage [36][8 tiles]; an 8x8 register transpose then turns 8 tiles x 8 channels into
 * the k-major rows (channel, MR tiles) of the gemm microkernel's packed A panel, so the GEMM
 * reads V without a separate packing pass. */
#include <immintrin.h>
#include <string.h>

#include "convkit/winograd.h"

/* out[k*so] = (B^T in)[k], in[k*si]. */
CK_INLINE void ck_bt6_8(const __m256 *in, int si, __m256 *out, int so) {
    const __m256 four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f), two = _mm256_set1_ps(2.0f);
    const __m256 d0 = in[0], d1 = in[si], d2 = in[2 * si], d3 = in[3 * si], d4 = in[4 * si], d5 = in[5 * si];
    const __m256 p = _mm256_fnmadd_ps(four, d3, d1), q = _mm256_fnmadd_ps(four, d4, d2);
    const __m256 u = _mm256_sub_ps(d1, d3), w = _mm256_sub_ps(d2, d4);
    out[0] = _mm256_fmadd_ps(four, d4, _mm256_fnmadd_ps(five, d2, d0));
    out[so] = _mm256_add_ps(p, q);
    out[2 * so] = _mm256_sub_ps(p, q);
    out[3 * so] = _mm256_fmadd_ps(two, w, u);
    out[4 * so] = _mm256_fnmadd_ps(two, w, u);
    out[5 * so] = _mm256_fmadd_ps(four, d5, _mm256_fnmadd_ps(five, d3, d1));
}

/* out[k*so] = (A^T in)[k], k < 4. */
CK_INLINE void ck_at6_8(const __m256 *in, int si, __m256 *out, int so) {
    const __m256 m0 = in[0], m1 = in[si], m2 = in[2 * si], m3 = in[3 * si], m4 = in[4 * si], m5 = in[5 * si];
    const __m256 a = _mm256_add_ps(m1, m2), b = _mm256_sub_ps(m1, m2);
    const __m256 c = _mm256_add_ps(m3, m4), d = _mm256_sub_ps(m3, m4);
    out[0] = _mm256_add_ps(_mm256_add_ps(m0, a), c);
    out[so] = _mm256_fmadd_ps(_mm256_set1_ps(0.5f), d, b);
    out[2 * so] = _mm256_fmadd_ps(_mm256_set1_ps(0.25f), c, a);
    out[3 * so] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(0.125f), d, b), m5);
}

/* Lanes [0, n) of a load/store mask. */
CK_INLINE __m256i ck_mask8(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* r[j] <- column j of the 8x8 matrix whose rows are r[0..7]. */
CK_INLINE void ck_transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

void ck_f32_winograd_input_4x4_3x3__avx2(size_t mr, size_t kc, const float *const *x, float *v, size_t e_stride) {
    __m256 stage[36][8];
    for (int e = 0; e < 36; e++)
        for (int i = 0; i < 8; i++) stage[e][i] = _mm256_setzero_ps();
    for (size_t c0 = 0; c0 < kc; c0 += 8) {
        const size_t nc = kc - c0 < 8 ? kc - c0 : 8;
        const __m256i cmask = ck_mask8(nc);
        for (size_t i0 = 0; i0 < mr; i0 += 8) {
            const size_t nt = mr - i0 < 8 ? mr - i0 : 8;
            for (size_t i = 0; i < nt; i++) {
                const float *const *xi = x + (i0 + i) * 36;
                __m256 d[36], t[36], o[36];
                if (nc == 8)
                    for (int e = 0; e < 36; e++) d[e] = _mm256_loadu_ps(xi[e] + c0);
                else
                    for (int e = 0; e < 36; e++) d[e] = _mm256_maskload_ps(xi[e] + c0, cmask);
                for (int s = 0; s < 6; s++) ck_bt6_8(d + s, 6, t + s, 6);
                for (int r = 0; r < 6; r++) ck_bt6_8(t + r * 6, 1, o + r * 6, 1);
                for (int e = 0; e < 36; e++) stage[e][i] = o[e];
            }
            if (mr == 6) {
                /* Rows of 8 floats 6 apart: each store's two extra lanes land where the next
                 * row starts and are overwritten by it; the last row is masked. */
                const __m256i last = ck_mask8(6);
                for (int e = 0; e < 36; e++) {
                    __m256 r[8];
                    memcpy(r, stage[e], sizeof r);
                    ck_transpose8(r);
                    float *dst = v + (size_t)e * e_stride + c0 * 6;
                    for (size_t c = 0; c + 1 < nc; c++) _mm256_storeu_ps(dst + c * 6, r[c]);
                    _mm256_maskstore_ps(dst + (nc - 1) * 6, last, r[nc - 1]);
                }
            } else {
                for (int e = 0; e < 36; e++) {
                    __m256 r[8];
                    memcpy(r, stage[e], sizeof r);
                    ck_transpose8(r);
                    float row[8];
                    float *dst = v + (size_t)e * e_stride + c0 * mr + i0;
                    for (size_t c = 0; c < nc; c++) {
                        _mm256_storeu_ps(row, r[c]);
                        for (size_t i = 0; i < nt; i++) dst[c * mr + i] = row[i];
                    }
                }
            }
        }
    }
}

/* max/min return their second operand on NaN: clamp, then put NaNs back (relu(NaN) = NaN). */
CK_INLINE __m256 ck_wino_clamp8(__m256 v, __m256 lo, __m256 hi) {
    const __m256 r = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    return _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

void ck_f32_winograd_output_4x4_3x3__avx2(size_t nc, const float *m, size_t e_stride, const float *bias,
                                          const ck_f32_clamp *clamp, float *const *y) {
    const __m256 lo = _mm256_set1_ps(clamp->lo), hi = _mm256_set1_ps(clamp->hi);
    for (size_t c0 = 0; c0 < nc; c0 += 8) {
        const size_t n = nc - c0 < 8 ? nc - c0 : 8;
        const __m256i cmask = ck_mask8(n);
        __m256 in[36], t[24], o[16];
        if (n == 8)
            for (int e = 0; e < 36; e++) in[e] = _mm256_loadu_ps(m + (size_t)e * e_stride + c0);
        else
            for (int e = 0; e < 36; e++) in[e] = _mm256_maskload_ps(m + (size_t)e * e_stride + c0, cmask);
        for (int s = 0; s < 6; s++) ck_at6_8(in + s, 6, t + s, 6);
        for (int r = 0; r < 4; r++) ck_at6_8(t + r * 6, 1, o + r * 4, 1);
        if (bias) {
            const __m256 b = n == 8 ? _mm256_loadu_ps(bias + c0) : _mm256_maskload_ps(bias + c0, cmask);
            for (int k = 0; k < 16; k++) o[k] = _mm256_add_ps(o[k], b);
        }
        if (clamp->enabled)
            for (int k = 0; k < 16; k++) o[k] = ck_wino_clamp8(o[k], lo, hi);
        if (n == 8)
            for (int k = 0; k < 16; k++) _mm256_storeu_ps(y[k] + c0, o[k]);
        else
            for (int k = 0; k < 16; k++) _mm256_maskstore_ps(y[k] + c0, cmask, o[k]);
    }
}
