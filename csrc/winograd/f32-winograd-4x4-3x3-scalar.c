/* Reference (portable, scalar) transforms of Winograd F(4x4, 3x3): readable, the fallback on any
 * CPU, and what the vector versions in csrc/x86/<isa>/f32-winograd-4x4-3x3-*.c must match.
 *
 *   B^T = | 1  0 -5  0  4  0 |      A^T = | 1  1  1  1    1    0 |
 *         | 0  1  1 -4 -4  0 |            | 0  1 -1  1/2 -1/2  0 |
 *         | 0  1 -1 -4  4  0 |            | 0  1  1  1/4  1/4  0 |
 *         | 0  1  2 -1 -2  0 |            | 0  1 -1  1/8 -1/8  1 |
 *         | 0  1 -2 -1  2  0 |
 *         | 0  1  0 -5  0  4 |
 *
 * Each 1D transform is written with the shared even/odd parts (what the +- point pairs buy):
 * 12 operations for B^T on 6 values, 8 for A^T. */
#include "convkit/winograd.h"

/* out[0..5] = B^T in[0..5], in/out strided. */
CK_INLINE void ck_wino_bt6(const float *in, size_t si, float *out, size_t so) {
    const float d0 = in[0], d1 = in[si], d2 = in[2 * si], d3 = in[3 * si], d4 = in[4 * si], d5 = in[5 * si];
    const float p = d1 - 4.0f * d3, q = d2 - 4.0f * d4; /* rows 1, 2 */
    const float u = d1 - d3, w = d2 - d4;               /* rows 3, 4 */
    out[0] = (d0 - 5.0f * d2) + 4.0f * d4;
    out[so] = p + q;
    out[2 * so] = p - q;
    out[3 * so] = u + 2.0f * w;
    out[4 * so] = u - 2.0f * w;
    out[5 * so] = (d1 - 5.0f * d3) + 4.0f * d5;
}

/* out[0..3] = A^T in[0..5]. */
CK_INLINE void ck_wino_at6(const float *in, size_t si, float *out, size_t so) {
    const float m0 = in[0], m1 = in[si], m2 = in[2 * si], m3 = in[3 * si], m4 = in[4 * si], m5 = in[5 * si];
    const float a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
    out[0] = (m0 + a) + c;
    out[so] = b + 0.5f * d;
    out[2 * so] = a + 0.25f * c;
    out[3 * so] = (b + 0.125f * d) + m5;
}

void ck_f32_winograd_input_4x4_3x3__scalar(size_t mr, size_t kc, const float *const *x, float *v, size_t e_stride) {
    for (size_t i = 0; i < mr; i++) {
        const float *const *xi = x + i * 36;
        for (size_t c = 0; c < kc; c++) {
            float d[36], t[36], o[36];
            for (int e = 0; e < 36; e++) d[e] = xi[e][c];
            for (int s = 0; s < 6; s++) ck_wino_bt6(d + s, 6, t + s, 6);     /* columns: t = B^T d */
            for (int r = 0; r < 6; r++) ck_wino_bt6(t + r * 6, 1, o + r * 6, 1); /* rows: o = t B */
            for (int e = 0; e < 36; e++) v[(size_t)e * e_stride + c * mr + i] = o[e];
        }
    }
}

void ck_f32_winograd_output_4x4_3x3__scalar(size_t nc, const float *m, size_t e_stride, const float *bias,
                                            const ck_f32_clamp *clamp, float *const *y) {
    for (size_t c = 0; c < nc; c++) {
        float in[36], t[24], o[16];
        for (int e = 0; e < 36; e++) in[e] = m[(size_t)e * e_stride + c];
        for (int s = 0; s < 6; s++) ck_wino_at6(in + s, 6, t + s, 6);     /* t (4x6) = A^T m */
        for (int r = 0; r < 4; r++) ck_wino_at6(t + r * 6, 1, o + r * 4, 1); /* o (4x4) = t A */
        for (int k = 0; k < 16; k++) {
            float val = bias ? o[k] + bias[c] : o[k]; /* no +0.0f for a bias-free layer */
            if (clamp->enabled && val == val) val = val < clamp->lo ? clamp->lo : (val > clamp->hi ? clamp->hi : val);
            y[k][c] = val;
        }
    }
}
