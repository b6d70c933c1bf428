/* Winograd F(4x4, 3x3) convolution driver (see convkit/winograd.h for the algorithm and the
 * choice of points). 2D (or 3D with a 1x3x3 kernel), stride 1, dilation 1, any padding, groups.
 *
 * Where the matrices come from: F(m, r) is the transpose of the Toom-Cook algorithm for the
 * linear convolution of an m-term and an r-term polynomial evaluated at n = m + r - 1 points
 * (here 0, 1, -1, 1/2, -1/2 and infinity). With V the n x n Vandermonde matrix of those points,
 * E_m and E_r its first m and r columns: y = E_m^T [ (E_r g) (.) (V^-T d) ]. So A = E_m,
 * G = E_r and B^T = V^-T, where each row of B^T is scaled to small integers (by 1, -6, 6, 3/4,
 * -3/4, 4) and the same row of G by the inverse:
 *
 *   G = |   1     0     0  |
 *       | -1/6  -1/6  -1/6 |
 *       |  1/6  -1/6   1/6 |
 *       |  4/3   2/3   1/3 |
 *       | -4/3   2/3  -1/3 |
 *       |   0     0    1/4 |      (B^T and A^T in f32-winograd-4x4-3x3-scalar.c)
 *
 * Steps, per group, per block of T output tiles (T a multiple of the GEMM microkernel's MR, from
 * the shape only so scratch is bounded and nothing depends on the thread count):
 *   0. (once per call) U_e = (G g G^T)_e for every (ci, co), packed as
 *      the NR-column B panels [CIG][NR] of the gemm microkernel, 36 x npanels per group;
 *   1. gather each tile's 6x6 input patch (pointers into x, or a zero row where the patch hangs
 *      over the padding) and transform it into V_e, written straight as the microkernel's packed
 *      A panels [CIG][MR] (the dispatch table's winograd_input kernel);
 *   2. the 36 GEMMs M_e = V_e U_e (T x CIG times CIG x COG), one microkernel call per (MR rows,
 *      NR columns) with the whole reduction inside it;
 *   3. Y = A^T m A per tile with bias and the clamp activations fused (winograd_output kernel),
 *      other activations applied on the 4x4 block just written; outputs past the image go to a
 *      scratch row.
 * The team of threads shares each block: every step is an `omp for` over independent units
 * (tile panels x channel chunks, (e, column panel) pairs, tiles x channel chunks). Each value is
 * always computed by the same sequence of operations, so the result is bitwise identical
 * whatever the thread count.
 *
 * Precision: the transforms add rounding on top of the GEMM's; measured max error vs a float64
 * oracle ~1e-6..1e-5 of the output's magnitude (tests allow 1e-4). Non-finite inputs spread to
 * the whole 4x4 output block of every tile whose 6x6 patch contains them (the transform mixes the
 * patch), unlike the direct and GEMM paths. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"
#include "convkit/winograd.h"

#ifdef CK_HAVE_OPENMP
#include <omp.h>
#endif

static int64_t ck_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t ck_cdiv64(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Channel chunks of the transform units (a multiple of every vector width). */
#define CK_WINO_CHUNK 64

static int ck_wino_block_override = 0;
void ck_f32_conv_winograd_set_block(int tiles) { ck_wino_block_override = tiles > 0 ? tiles : 0; }

int ck_f32_conv_winograd_applicable(const ck_conv_shape *s) {
    if (s->kernel_size[0] != 1 || s->kernel_size[1] != 3 || s->kernel_size[2] != 3) return 0;
    if (s->stride[0] != 1 || s->stride[1] != 1 || s->stride[2] != 1) return 0;
    if (s->dilation[1] != 1 || s->dilation[2] != 1) return 0;
    if (s->pad_before[0] != 0 || s->out_size[0] != s->in_size[0]) return 0;
    return 1;
}

/* out[k][0..n) = (G in)[k] for 3 rows in[0..2] of n values: G's +- row pairs share their even
 * and odd parts (10 operations per column instead of 30). */
static void ck_wino_g3(const float *CK_RESTRICT in0, const float *CK_RESTRICT in1, const float *CK_RESTRICT in2,
                       float *CK_RESTRICT out, int64_t ldo, int64_t n) {
    const float sixth = 1.0f / 6.0f, third = 1.0f / 3.0f;
    for (int64_t j = 0; j < n; j++) {
        const float g0 = in0[j], g1 = in1[j], g2 = in2[j];
        const float ev = g0 + g2, f = 4.0f * g0 + g2, g1x2 = 2.0f * g1;
        out[j] = g0;
        out[ldo + j] = -(ev + g1) * sixth;
        out[2 * ldo + j] = (ev - g1) * sixth;
        out[3 * ldo + j] = (f + g1x2) * third;
        out[4 * ldo + j] = (g1x2 - f) * third;
        out[5 * ldo + j] = 0.25f * g2;
    }
}

/* U for group g: [36][npanels][CIG][NR], U_e = (G g G^T)_e, columns past COG zero. Rows ci in
 * [ci0, ci1). One NR panel row at a time, so every store is a whole NR-float run, and rows in
 * order, so each of the 36 destinations (far apart, often 4 KiB-aliased) is written as one
 * sequential stream. */
static void ck_wino_filter(const ck_conv_shape *s, const float *w, int64_t g, int64_t ci0, int64_t ci1,
                           int64_t npanels, int64_t NR, float *u) {
    const int64_t CO = s->out_channels, CIG = s->in_channels / s->groups, COG = CO / s->groups;
    const int64_t panel = CIG * NR, e_stride = npanels * panel;
    float gk[9][CK_GEMM_MAX_NR], t[6][3][CK_GEMM_MAX_NR], out[6][6][CK_GEMM_MAX_NR];
    for (int64_t q = 0; q < npanels; q++)
        for (int64_t ci = ci0; ci < ci1; ci++) {
            const int64_t j0 = q * NR, nv = ck_min64(NR, COG - j0);
            for (int k = 0; k < 9; k++) {
                const float *src = w + (k * CIG + ci) * CO + g * COG + j0;
                for (int64_t j = 0; j < NR; j++) gk[k][j] = j < nv ? src[j] : 0.0f;
            }
            /* t[a][kw] = sum_kh G[a][kh] g[kh][kw], then out[a][b] = sum_kw t[a][kw] G[b][kw] */
            for (int kw = 0; kw < 3; kw++) ck_wino_g3(gk[kw], gk[3 + kw], gk[6 + kw], t[0][kw], 3 * CK_GEMM_MAX_NR, NR);
            for (int a = 0; a < 6; a++) ck_wino_g3(t[a][0], t[a][1], t[a][2], out[a][0], CK_GEMM_MAX_NR, NR);
            for (int e = 0; e < 36; e++) {
                float *CK_RESTRICT dst = u + e * e_stride + q * panel + ci * NR;
                const float *src = out[e / 6][e % 6];
                for (int64_t j = 0; j < NR; j++) dst[j] = src[j]; /* inlined: 64-128 bytes */
            }
        }
}

ck_status ck_f32_conv_nd__winograd(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                   ck_activation act, float *y) {
    if (!ck_f32_conv_winograd_applicable(s)) return CK_EUNSUPPORTED;
    const ck_f32_gemm_ukernel uk = ck_dispatch.gemm_ukernel;
    const ck_f32_winograd_input_fn in_tf = ck_dispatch.winograd_input;
    const ck_f32_winograd_output_fn out_tf = ck_dispatch.winograd_output;
    if (in_tf == NULL || out_tf == NULL) return CK_EUNSUPPORTED;
    const int64_t MR = uk.mr, NR = uk.nr;
    const int64_t G = s->groups, CI = s->in_channels, CO = s->out_channels;
    const int64_t CIG = CI / G, COG = CO / G;
    const int64_t images = s->batch * s->in_size[0];
    const int64_t IH = s->in_size[1], IW = s->in_size[2], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t PH = s->pad_before[1], PW = s->pad_before[2];
    const int64_t TH = ck_cdiv64(OH, 4), TW = ck_cdiv64(OW, 4);
    const int64_t tiles = images * TH * TW;
    if (tiles == 0) return CK_OK;

    int scalar_act;
    const ck_f32_clamp clamp = ck_clamp_for(act, &scalar_act);
    const ck_f32_clamp no_clamp = {0.0f, 0.0f, 0};

    /* Tiles per block: V and M of a block (36 x T x (CIG + COG) floats) within ~384 KiB so they
     * stay in L2 between the steps, but at least 4 and at most 8 row panels: more rows amortise
     * streaming U from L3 on wide layers (measured on Zen 3, 1 thread, GFLOP/s at T = 12 / 24 / 48:
     * 28x28x128 -> 128: 130 / 175 / 181; 56x56x64 -> 64: 190 / 187 / 180). From the shape only. */
    const int64_t npanels = ck_cdiv64(COG, NR);
    int64_t T;
    if (ck_wino_block_override > 0) {
        T = ck_cdiv64(ck_wino_block_override, MR) * MR;
    } else {
        int64_t rows = (384 * 1024) / (36 * 4 * (CIG + COG) * MR);
        rows = rows < 4 ? 4 : (rows > 8 ? 8 : rows);
        T = rows * MR;
    }
    T = ck_min64(T, ck_cdiv64(tiles, MR) * MR);
    const int64_t nblocks = ck_cdiv64(tiles, T);
    const int64_t ve_stride = T * CIG, me_stride = T * COG;
    const int64_t u_group = 36 * npanels * CIG * NR;
    const int64_t in_chunks = ck_cdiv64(CIG, CK_WINO_CHUNK), out_chunks = ck_cdiv64(COG, CK_WINO_CHUNK);
    const int nt = ck_threads_for(tiles * 36 * CIG * CO);

    float *u = ck_scratch_alloc((size_t)(G * u_group) * sizeof(float));
    float *v = ck_scratch_alloc((size_t)(36 * ve_stride) * sizeof(float));
    float *m = ck_scratch_alloc((size_t)(36 * me_stride) * sizeof(float));
    float *zero = ck_scratch_alloc((size_t)CIG * sizeof(float));
    float *junk = ck_scratch_alloc((size_t)nt * CK_WINO_CHUNK * sizeof(float));
    const float **ptrs = ck_scratch_alloc((size_t)nt * (size_t)(36 * MR) * sizeof(float *));
    float **optrs = ck_scratch_alloc((size_t)nt * 16 * sizeof(float *));
    if (u == NULL || v == NULL || m == NULL || zero == NULL || junk == NULL || ptrs == NULL || optrs == NULL) {
        ck_scratch_free(u), ck_scratch_free(v), ck_scratch_free(m), ck_scratch_free(zero);
        ck_scratch_free(junk), ck_scratch_free((void *)ptrs), ck_scratch_free(optrs);
        return CK_ENOMEM;
    }
    memset(zero, 0, (size_t)CIG * sizeof(float));

#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
#ifdef CK_HAVE_OPENMP
        const int tid = omp_get_thread_num();
#else
        const int tid = 0;
#endif
        const float **my_ptrs = ptrs + (size_t)tid * (size_t)(36 * MR);
        float **my_optrs = optrs + (size_t)tid * 16;
        float *my_junk = junk + (size_t)tid * CK_WINO_CHUNK;

        /* 0. filters, rows of 16 input channels per unit */
        const int64_t fchunks = ck_cdiv64(CIG, 16);
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t unit = 0; unit < G * fchunks; unit++) {
            const int64_t g = unit / fchunks, ci0 = (unit % fchunks) * 16;
            ck_wino_filter(s, w, g, ci0, ck_min64(CIG, ci0 + 16), npanels, NR, u + g * u_group);
        }

        for (int64_t g = 0; g < G; g++) {
            const float *ug = u + g * u_group;
            for (int64_t blk = 0; blk < nblocks; blk++) {
                const int64_t t0 = blk * T, tvalid = ck_min64(T, tiles - t0);
                const int64_t vpanels = ck_cdiv64(tvalid, MR);

                /* 1. input tiles -> V (packed A panels); the implicit barrier also ends the
                 * previous block's step 3, which reads only M. */
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
                for (int64_t unit = 0; unit < vpanels * in_chunks; unit++) {
                    const int64_t p = unit / in_chunks, c0 = (unit % in_chunks) * CK_WINO_CHUNK;
                    const int64_t kc = ck_min64(CK_WINO_CHUNK, CIG - c0);
                    for (int64_t i = 0; i < MR; i++) {
                        const int64_t t = t0 + p * MR + i;
                        const float **pi = my_ptrs + i * 36;
                        if (t >= tiles) { /* rows past the last tile: zeros, never stored */
                            for (int k = 0; k < 36; k++) pi[k] = zero;
                            continue;
                        }
                        const int64_t tw = t % TW, th = (t / TW) % TH, n = t / (TW * TH);
                        const int64_t h0 = th * 4 - PH, w0 = tw * 4 - PW;
                        for (int r = 0; r < 6; r++) {
                            const int64_t ih = h0 + r;
                            for (int c = 0; c < 6; c++) {
                                const int64_t iw = w0 + c;
                                pi[r * 6 + c] = (ih >= 0 && ih < IH && iw >= 0 && iw < IW)
                                                    ? x + ((n * IH + ih) * IW + iw) * CI + g * CIG + c0
                                                    : zero;
                            }
                        }
                    }
                    in_tf((size_t)MR, (size_t)kc, my_ptrs, v + p * MR * CIG + c0 * MR, (size_t)ve_stride);
                }

                /* 2. the 36 GEMMs, one (e, column panel) per unit, all row panels of the block */
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
                for (int64_t unit = 0; unit < 36 * npanels; unit++) {
                    const int64_t e = unit / npanels, q = unit % npanels;
                    const int64_t nr = ck_min64(NR, COG - q * NR);
                    const float *b = ug + (e * npanels + q) * CIG * NR;
                    for (int64_t p = 0; p < vpanels; p++) {
                        const int64_t mr = ck_min64(MR, tvalid - p * MR);
                        uk.fn((size_t)mr, (size_t)nr, (size_t)CIG, v + e * ve_stride + p * MR * CIG, b, (size_t)NR,
                              m + e * me_stride + p * MR * COG + q * NR, (size_t)COG, NULL, 0u, &no_clamp);
                    }
                }

                /* 3. M -> outputs, bias and activation fused */
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static) nowait
#endif
                for (int64_t unit = 0; unit < tvalid * out_chunks; unit++) {
                    const int64_t i = unit / out_chunks, c0 = (unit % out_chunks) * CK_WINO_CHUNK;
                    const int64_t nc = ck_min64(CK_WINO_CHUNK, COG - c0);
                    const int64_t t = t0 + i;
                    const int64_t tw = t % TW, th = (t / TW) % TH, n = t / (TW * TH);
                    for (int r = 0; r < 4; r++)
                        for (int c = 0; c < 4; c++) {
                            const int64_t oh = th * 4 + r, ow = tw * 4 + c;
                            my_optrs[r * 4 + c] = (oh < OH && ow < OW)
                                                      ? y + ((n * OH + oh) * OW + ow) * CO + g * COG + c0
                                                      : my_junk;
                        }
                    out_tf((size_t)nc, m + i * COG + c0, (size_t)me_stride, bias ? bias + g * COG + c0 : NULL, &clamp,
                           my_optrs);
                    if (scalar_act)
                        for (int k = 0; k < 16; k++)
                            if (my_optrs[k] != my_junk)
                                for (int64_t c = 0; c < nc; c++) my_optrs[k][c] = ck_activate_f32(my_optrs[k][c], act);
                }
            }
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(u), ck_scratch_free(v), ck_scratch_free(m), ck_scratch_free(zero);
    ck_scratch_free(junk), ck_scratch_free((void *)ptrs), ck_scratch_free(optrs);
    return CK_OK;
}
