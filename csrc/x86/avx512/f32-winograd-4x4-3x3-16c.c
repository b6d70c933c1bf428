/* AVX-512F transforms of Winograd F(4x4, 3x3), 16 channels a vector (the matrices and their
 * scalar reference: csrc/winograd/f32-winograd-4x4-3x3-scalar.c). The input transform writes
 * each tile's 16 channels into the gemm microkernel's packed A panel (channel-major rows of mr
 * tiles) with one scatter per element of the 6x6 tile; masks handle channel tails. */
#include <immintrin.h>

#include "convkit/winograd.h"

CK_INLINE void ck_bt6_16(const __m512 *in, int si, __m512 *out, int so) {
    const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f), two = _mm512_set1_ps(2.0f);
    const __m512 d0 = in[0], d1 = in[si], d2 = in[2 * si], d3 = in[3 * si], d4 = in[4 * si], d5 = in[5 * si];
    const __m512 p = _mm512_fnmadd_ps(four, d3, d1), q = _mm512_fnmadd_ps(four, d4, d2);
    const __m512 u = _mm512_sub_ps(d1, d3), w = _mm512_sub_ps(d2, d4);
    out[0] = _mm512_fmadd_ps(four, d4, _mm512_fnmadd_ps(five, d2, d0));
    out[so] = _mm512_add_ps(p, q);
    out[2 * so] = _mm512_sub_ps(p, q);
    out[3 * so] = _mm512_fmadd_ps(two, w, u);
    out[4 * so] = _mm512_fnmadd_ps(two, w, u);
    out[5 * so] = _mm512_fmadd_ps(four, d5, _mm512_fnmadd_ps(five, d3, d1));
}

CK_INLINE void ck_at6_16(const __m512 *in, int si, __m512 *out, int so) {
    const __m512 m0 = in[0], m1 = in[si], m2 = in[2 * si], m3 = in[3 * si], m4 = in[4 * si], m5 = in[5 * si];
    const __m512 a = _mm512_add_ps(m1, m2), b = _mm512_sub_ps(m1, m2);
    const __m512 c = _mm512_add_ps(m3, m4), d = _mm512_sub_ps(m3, m4);
    out[0] = _mm512_add_ps(_mm512_add_ps(m0, a), c);
    out[so] = _mm512_fmadd_ps(_mm512_set1_ps(0.5f), d, b);
    out[2 * so] = _mm512_fmadd_ps(_mm512_set1_ps(0.25f), c, a);
    out[3 * so] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(0.125f), d, b), m5);
}

void ck_f32_winograd_input_4x4_3x3__avx512(size_t mr, size_t kc, const float *const *x, float *v, size_t e_stride) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i vindex = _mm512_mullo_epi32(lane, _mm512_set1_epi32((int)mr)); /* channel c -> c*mr */
    for (size_t c0 = 0; c0 < kc; c0 += 16) {
        const size_t nc = kc - c0 < 16 ? kc - c0 : 16;
        const __mmask16 cmask = (__mmask16)((1u << nc) - 1u);
        for (size_t i = 0; i < mr; i++) {
            const float *const *xi = x + i * 36;
            __m512 d[36], t[36], o[36];
            for (int e = 0; e < 36; e++) d[e] = _mm512_maskz_loadu_ps(cmask, xi[e] + c0);
            for (int s = 0; s < 6; s++) ck_bt6_16(d + s, 6, t + s, 6);
            for (int r = 0; r < 6; r++) ck_bt6_16(t + r * 6, 1, o + r * 6, 1);
            for (int e = 0; e < 36; e++)
                _mm512_mask_i32scatter_ps(v + (size_t)e * e_stride + c0 * mr + i, cmask, vindex, o[e], 4);
        }
    }
}

void ck_f32_winograd_output_4x4_3x3__avx512(size_t nc, const float *m, size_t e_stride, const float *bias,
                                            const ck_f32_clamp *clamp, float *const *y) {
    const __m512 lo = _mm512_set1_ps(clamp->lo), hi = _mm512_set1_ps(clamp->hi);
    for (size_t c0 = 0; c0 < nc; c0 += 16) {
        const size_t n = nc - c0 < 16 ? nc - c0 : 16;
        const __mmask16 cmask = (__mmask16)((1u << n) - 1u);
        __m512 in[36], t[24], o[16];
        for (int e = 0; e < 36; e++) in[e] = _mm512_maskz_loadu_ps(cmask, m + (size_t)e * e_stride + c0);
        for (int s = 0; s < 6; s++) ck_at6_16(in + s, 6, t + s, 6);
        for (int r = 0; r < 4; r++) ck_at6_16(t + r * 6, 1, o + r * 4, 1);
        if (bias) {
            const __m512 b = _mm512_maskz_loadu_ps(cmask, bias + c0);
            for (int k = 0; k < 16; k++) o[k] = _mm512_add_ps(o[k], b);
        }
        if (clamp->enabled)
            for (int k = 0; k < 16; k++) {
                /* NaN passes through unchanged, as ck_activate_f32 */
                const __mmask16 num = _mm512_cmp_ps_mask(o[k], o[k], _CMP_ORD_Q);
                o[k] = _mm512_mask_min_ps(o[k], num, _mm512_max_ps(o[k], lo), hi);
            }
        for (int k = 0; k < 16; k++) _mm512_mask_storeu_ps(y[k] + c0, cmask, o[k]);
    }
}
