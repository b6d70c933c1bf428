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
 * Threads: the (group, block) pairs are the units. With at least 4 per thread, each thread runs
 * whole units (steps 1-3) on its own V and M with no barrier, and the last few (fewer than the
 * threads) are shared by the team. With fewer (16 threads on 56x56x64 -> 64), every block is
 * shared, and blocks grow to up to 8 MiB of V and M so there are few barriers: every step is an
 * `omp for` over small independent pieces (tile panels x channel chunks, (e, column panel, 4 row
 * panels), tiles x channel chunks). Rows of the GEMMs are independent and the transforms work
 * lane by lane, so each value is always computed by the same sequence of operations whatever the
 * block size, the split or the thread count: results are bitwise identical (tests/c).
 *
 * Precision: the transforms add rounding on top of the GEMM's; measured max error vs a float64
 * oracle ~1e-6..1e-5 of the output's magnitude (tests allow 1e-4). Non-finite inputs spread to
 * the whole 4x4 output block of every tile whose 6x6 patch contains them (the transform mixes the
 * patch), unlike the direct and GEMM paths. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"
#include "convkit/validate.h"
#include "convkit/winograd.h"


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

/* Everything the three per-block steps need, fixed for one call. */
typedef struct {
    const ck_conv_shape *s;
    const float *x, *bias;
    float *y;
    ck_f32_gemm_ukernel uk;
    ck_f32_winograd_input_fn in_tf;
    ck_f32_winograd_output_fn out_tf;
    ck_f32_clamp clamp;
    ck_activation act;
    int scalar_act;
    int64_t MR, NR, CI, CO, CIG, COG, IH, IW, OH, OW, PH, PW, TH, TW, tiles, T, npanels;
    int64_t ve_stride, me_stride, in_chunks, out_chunks;
    const float *zero;
} ck_wino_ctx;

/* Step 1 for one unit: row panel p of the block at tile t0, channels [c0, c0 + chunk) -> v (the
 * transforms work lane by lane, so the chunking never changes a value). */
static void ck_wino_in_unit(const ck_wino_ctx *c, int64_t g, int64_t t0, int64_t p, int64_t c0, int64_t chunk,
                            float *v, const float **ptrs) {
    const int64_t MR = c->MR, kc = ck_min64(chunk, c->CIG - c0);
    for (int64_t i = 0; i < MR; i++) {
        const int64_t t = t0 + p * MR + i;
        const float **pi = ptrs + i * 36;
        if (t >= c->tiles) { /* rows past the last tile: zeros, never stored */
            for (int k = 0; k < 36; k++) pi[k] = c->zero;
            continue;
        }
        const int64_t tw = t % c->TW, th = (t / c->TW) % c->TH, n = t / (c->TW * c->TH);
        const int64_t h0 = th * 4 - c->PH, w0 = tw * 4 - c->PW;
        for (int r = 0; r < 6; r++) {
            const int64_t ih = h0 + r;
            for (int q = 0; q < 6; q++) {
                const int64_t iw = w0 + q;
                pi[r * 6 + q] = (ih >= 0 && ih < c->IH && iw >= 0 && iw < c->IW)
                                    ? c->x + ((n * c->IH + ih) * c->IW + iw) * c->CI + g * c->CIG + c0
                                    : c->zero;
            }
        }
    }
    c->in_tf((size_t)MR, (size_t)kc, ptrs, v + p * MR * c->CIG + c0 * MR, (size_t)c->ve_stride);
}

/* Step 2 for one unit: GEMM e, column panel q, row panels [p0, p1) of the block (each row is
 * the same microkernel computation whichever unit holds it). */
static void ck_wino_gemm_unit(const ck_wino_ctx *c, const float *ug, int64_t e, int64_t q, int64_t p0, int64_t p1,
                              int64_t tvalid, const float *v, float *m) {
    static const ck_f32_clamp no_clamp = {0.0f, 0.0f, 0};
    const int64_t MR = c->MR, NR = c->NR, CIG = c->CIG, COG = c->COG;
    const int64_t nr = ck_min64(NR, COG - q * NR);
    const float *b = ug + (e * c->npanels + q) * CIG * NR;
    for (int64_t p = p0; p < p1; p++) {
        const int64_t mr = ck_min64(MR, tvalid - p * MR);
        c->uk.fn((size_t)mr, (size_t)nr, (size_t)CIG, v + e * c->ve_stride + p * MR * CIG, b, (size_t)NR,
                 m + e * c->me_stride + p * MR * COG + q * NR, (size_t)COG, NULL, 0u, &no_clamp);
    }
}

/* Step 3 for one unit: tile i of the block at t0, channels [c0, c0 + CHUNK): m -> y. */
static void ck_wino_out_unit(const ck_wino_ctx *c, int64_t g, int64_t t0, int64_t i, int64_t c0, const float *m,
                             float **optrs, float *junk) {
    const int64_t COG = c->COG, nc = ck_min64(CK_WINO_CHUNK, COG - c0);
    const int64_t t = t0 + i;
    const int64_t tw = t % c->TW, th = (t / c->TW) % c->TH, n = t / (c->TW * c->TH);
    for (int r = 0; r < 4; r++)
        for (int q = 0; q < 4; q++) {
            const int64_t oh = th * 4 + r, ow = tw * 4 + q;
            optrs[r * 4 + q] = (oh < c->OH && ow < c->OW) ? c->y + ((n * c->OH + oh) * c->OW + ow) * c->CO + g * COG + c0
                                                          : junk;
        }
    c->out_tf((size_t)nc, m + i * COG + c0, (size_t)c->me_stride, c->bias ? c->bias + g * COG + c0 : NULL, &c->clamp,
              optrs);
    if (c->scalar_act)
        for (int k = 0; k < 16; k++)
            if (optrs[k] != junk)
                ck_dispatch.activate_span(optrs[k], (size_t)nc, c->act);
}

/* Work split: 0 = the rule in ck_wino_run, 1 = every block shared by the team (the original
 * scheme), 2 = whole blocks only, 3 = whole blocks whenever there is at least one per thread (the
 * rest shared). Tests and benchmarks. */
static int ck_wino_split_override = 0;
void ck_f32_conv_winograd_set_split(int mode) { ck_wino_split_override = (mode >= 0 && mode <= 3) ? mode : 0; }

/* The convolution on U already transformed and packed ([G][36][npanels][CIG][NR]). */
static ck_status ck_wino_run(const ck_conv_shape *s, const float *x, const float *u, const float *w,
                             const float *bias, ck_activation act, float *y) {
    if (!ck_f32_conv_winograd_applicable(s)) return CK_EUNSUPPORTED;
    ck_wino_ctx c;
    c.s = s, c.x = x, c.bias = bias, c.y = y, c.act = act;
    c.uk = ck_dispatch.gemm_ukernel;
    c.in_tf = ck_dispatch.winograd_input;
    c.out_tf = ck_dispatch.winograd_output;
    if (c.in_tf == NULL || c.out_tf == NULL) return CK_EUNSUPPORTED;
    const int64_t MR = c.MR = c.uk.mr, NR = c.NR = c.uk.nr;
    const int64_t G = s->groups, CI = c.CI = s->in_channels, CO = c.CO = s->out_channels;
    const int64_t CIG = c.CIG = CI / G, COG = c.COG = CO / G;
    const int64_t images = s->batch * s->in_size[0];
    c.IH = s->in_size[1], c.IW = s->in_size[2], c.OH = s->out_size[1], c.OW = s->out_size[2];
    c.PH = s->pad_before[1], c.PW = s->pad_before[2];
    c.TH = ck_cdiv64(c.OH, 4), c.TW = ck_cdiv64(c.OW, 4);
    const int64_t tiles = c.tiles = images * c.TH * c.TW;
    if (tiles == 0) return CK_OK;
    c.clamp = ck_clamp_for(act, &c.scalar_act);

    /* Tiles per block: V and M of a block (36 x T x (CIG + COG) floats) within ~384 KiB so they
     * stay in L2 between the steps, but at least 4 and at most 8 row panels: more rows amortise
     * streaming U from L3 on wide layers (measured on Zen 3, 1 thread, GFLOP/s at T = 12 / 24 / 48:
     * 28x28x128 -> 128: 130 / 175 / 181; 56x56x64 -> 64: 190 / 187 / 180). */
    const int64_t npanels = c.npanels = ck_cdiv64(COG, NR);
    const int64_t all_tiles = ck_cdiv64(tiles, MR) * MR;
    const int nt = ck_threads_for(tiles * 36 * CIG * CO);
    int64_t T;
    if (ck_wino_block_override > 0) {
        T = ck_cdiv64(ck_wino_block_override, MR) * MR;
    } else {
        int64_t rows = (384 * 1024) / (36 * 4 * (CIG + COG) * MR);
        rows = rows < 4 ? 4 : (rows > 8 ? 8 : rows);
        T = rows * MR;
    }
    T = ck_min64(T, all_tiles);
    /* Work units are (group, block) pairs. With several per thread, each thread runs whole units
     * on its own V and M with no barrier: `own` = the largest multiple of nt, split statically;
     * the rest (fewer than nt) are shared by the team. With fewer than 4 per thread (16 threads on
     * 56x56x64 -> 64 have 5 blocks of 48 tiles) whole units would leave threads idle, so every
     * unit is shared, in blocks as large as 8 MiB of V and M allow (fewer barriers): each step is
     * an `omp for` over small independent pieces (tile panels x channel chunks, (e, column panel,
     * row panels) triples, tiles x channel chunks). Each value is made by the same sequence of
     * operations whatever the block size or the piece that holds it (rows of a GEMM are
     * independent, the transforms work lane by lane), so the result is bitwise identical whatever
     * the split or the thread count. */
    const int64_t cache_units = G * ck_cdiv64(tiles, T);
    int64_t own = (cache_units / nt) * nt;
    int shared_all = nt > 1 && (own == 0 || cache_units < 4 * (int64_t)nt);
    if (ck_wino_split_override == 1) shared_all = 1;
    if (ck_wino_split_override == 2) shared_all = 0, own = cache_units;
    if (ck_wino_split_override == 3) shared_all = own == 0; /* whole blocks whenever one per thread */
    if (shared_all) {
        own = 0;
        if (ck_wino_block_override == 0) {
            const int64_t fit = ((8 << 20) / (36 * 4 * (CIG + COG) * MR)) * MR;
            T = ck_min64(all_tiles, fit > T ? fit : T);
        }
    }
    c.T = T;
    const int64_t nblocks = ck_cdiv64(tiles, T), units = G * nblocks;
    c.ve_stride = T * CIG, c.me_stride = T * COG;
    const int64_t u_group = 36 * npanels * CIG * NR;
    c.in_chunks = ck_cdiv64(CIG, CK_WINO_CHUNK), c.out_chunks = ck_cdiv64(COG, CK_WINO_CHUNK);
    /* shared steps: finer input chunks when the panels alone are too few to go round, and row
     * panels of a GEMM in groups of 4 (each B panel reused from L1 four times) */
    const int64_t tpanels = ck_cdiv64(T, MR);
    const int64_t sh_chunk = tpanels * c.in_chunks >= 4 * (int64_t)nt ? CK_WINO_CHUNK : 16;
    const int64_t sh_in_chunks = ck_cdiv64(CIG, sh_chunk), pgroups = ck_cdiv64(tpanels, 4);
    const int nslots = own > 0 ? nt : 1;
    /* per-thread slots on their own pages (ck_thread_slot_bytes), in floats / pointers */
    const int64_t v_slot = (int64_t)(ck_thread_slot_bytes((size_t)(36 * c.ve_stride) * sizeof(float)) / sizeof(float));
    const int64_t m_slot = (int64_t)(ck_thread_slot_bytes((size_t)(36 * c.me_stride) * sizeof(float)) / sizeof(float));
    const size_t junk_slot = ck_thread_slot_bytes(CK_WINO_CHUNK * sizeof(float)) / sizeof(float);
    const size_t ptrs_slot = ck_thread_slot_bytes((size_t)(36 * MR) * sizeof(float *)) / sizeof(float *);
    const size_t optrs_slot = ck_thread_slot_bytes(16 * sizeof(float *)) / sizeof(float *);

    float *ubuf = u ? NULL : ck_scratch_alloc((size_t)(G * u_group) * sizeof(float));
    float *v = ck_scratch_alloc((size_t)nslots * (size_t)v_slot * sizeof(float));
    float *m = ck_scratch_alloc((size_t)nslots * (size_t)m_slot * sizeof(float));
    float *zero = ck_scratch_alloc((size_t)CIG * sizeof(float));
    float *junk = ck_scratch_alloc((size_t)nt * junk_slot * sizeof(float));
    const float **ptrs = ck_scratch_alloc((size_t)nt * ptrs_slot * sizeof(float *));
    float **optrs = ck_scratch_alloc((size_t)nt * optrs_slot * sizeof(float *));
    if ((u == NULL && ubuf == NULL) || v == NULL || m == NULL || zero == NULL || junk == NULL || ptrs == NULL ||
        optrs == NULL) {
        ck_scratch_free(ubuf), ck_scratch_free(v), ck_scratch_free(m), ck_scratch_free(zero);
        ck_scratch_free(junk), ck_scratch_free((void *)ptrs), ck_scratch_free(optrs);
        return CK_ENOMEM;
    }
    memset(zero, 0, (size_t)CIG * sizeof(float));
    c.zero = zero;
    const float *uu = u ? u : ubuf;

#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
        const int tid = ck_thread_id();
        const float **my_ptrs = ptrs + (size_t)tid * ptrs_slot;
        float **my_optrs = optrs + (size_t)tid * optrs_slot;
        float *my_junk = junk + (size_t)tid * junk_slot;

        /* 0. filters (unless given packed), rows of 16 input channels per unit */
        if (u == NULL) {
            const int64_t fchunks = ck_cdiv64(CIG, 16);
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t unit = 0; unit < G * fchunks; unit++) {
                const int64_t g = unit / fchunks, ci0 = (unit % fchunks) * 16;
                ck_wino_filter(s, w, g, ci0, ck_min64(CIG, ci0 + 16), npanels, NR, ubuf + g * u_group);
            }
        }

        /* A. whole (group, block) units per thread, on the thread's own V and M */
        if (own > 0) {
            float *my_v = v + (size_t)tid * (size_t)v_slot, *my_m = m + (size_t)tid * (size_t)m_slot;
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t unit = 0; unit < own; unit++) {
                const int64_t g = unit / nblocks, blk = unit % nblocks;
                const int64_t t0 = blk * T, tvalid = ck_min64(T, tiles - t0), vpanels = ck_cdiv64(tvalid, MR);
                for (int64_t k = 0; k < vpanels * c.in_chunks; k++)
                    ck_wino_in_unit(&c, g, t0, k / c.in_chunks, (k % c.in_chunks) * CK_WINO_CHUNK, CK_WINO_CHUNK,
                                    my_v, my_ptrs);
                const float *ug = uu + g * u_group;
                for (int64_t k = 0; k < 36 * npanels; k++)
                    ck_wino_gemm_unit(&c, ug, k / npanels, k % npanels, 0, vpanels, tvalid, my_v, my_m);
                for (int64_t k = 0; k < tvalid * c.out_chunks; k++)
                    ck_wino_out_unit(&c, g, t0, k / c.out_chunks, (k % c.out_chunks) * CK_WINO_CHUNK, my_m, my_optrs,
                                     my_junk);
            }
        }

        /* B. the remaining units, each shared by the team: every step an `omp for` over independent
         * pieces. */
        for (int64_t unit = own; unit < units; unit++) {
            const int64_t g = unit / nblocks, blk = unit % nblocks;
            const int64_t t0 = blk * T, tvalid = ck_min64(T, tiles - t0), vpanels = ck_cdiv64(tvalid, MR);
            const int64_t vgroups = ck_min64(pgroups, ck_cdiv64(vpanels, 4));
            const float *ug = uu + g * u_group;
            /* 1. input tiles -> V; the implicit barrier also ends the previous unit's step 3 (and
             * part A), which read only M. */
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t k = 0; k < vpanels * sh_in_chunks; k++)
                ck_wino_in_unit(&c, g, t0, k / sh_in_chunks, (k % sh_in_chunks) * sh_chunk, sh_chunk, v, my_ptrs);
            /* 2. the 36 GEMMs, in (e, column panel, 4 row panels) pieces */
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
            for (int64_t k = 0; k < 36 * npanels * vgroups; k++) {
                const int64_t pg = k % vgroups, eq = k / vgroups;
                ck_wino_gemm_unit(&c, ug, eq / npanels, eq % npanels, pg * 4, ck_min64(vpanels, pg * 4 + 4), tvalid, v,
                                  m);
            }
            /* 3. M -> outputs, bias and activation fused */
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static) nowait
#endif
            for (int64_t k = 0; k < tvalid * c.out_chunks; k++)
                ck_wino_out_unit(&c, g, t0, k / c.out_chunks, (k % c.out_chunks) * CK_WINO_CHUNK, m, my_optrs, my_junk);
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(ubuf), ck_scratch_free(v), ck_scratch_free(m), ck_scratch_free(zero);
    ck_scratch_free(junk), ck_scratch_free((void *)ptrs), ck_scratch_free(optrs);
    return CK_OK;
}

ck_status ck_f32_conv_nd__winograd(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                   ck_activation act, float *y) {
    return ck_wino_run(s, x, NULL, w, bias, act, y);
}

/* ---- filters transformed once ------------------------------------------------------------------
 * Buffer: 64-byte aligned start inside the caller's buffer, a 64-byte header, then U exactly as
 * the driver builds it per call ([G][36][npanels][CIG][NR]). */
#define CK_WINO_MAGIC 0x55574b43u /* "CKWU" */
typedef struct {
    uint32_t magic;
    int32_t path, nr, filters_finite; /* no NaN or Inf among the filters transformed */
    int64_t groups, cig, cout;
} ck_wino_header;

static uintptr_t ck_wino_start(const void *buf) { return ((uintptr_t)buf + 63u) & ~(uintptr_t)63u; }

/* U floats for the shape on the current path, or -1 on overflow / bad shape. */
static int64_t ck_wino_u_floats(const ck_conv_shape *s) {
    if (s->groups < 1 || s->in_channels < 1 || s->out_channels < 1) return -1;
    if (s->in_channels % s->groups || s->out_channels % s->groups) return -1;
    const int64_t NR = ck_dispatch.gemm_ukernel.nr, CIG = s->in_channels / s->groups;
    const int64_t npanels = ck_cdiv64(s->out_channels / s->groups, NR);
    return ck_checked_mul(ck_checked_mul(36 * s->groups, npanels), ck_checked_mul(CIG, NR));
}

ck_status ck_f32_conv_winograd_pack_size(const ck_conv_shape *s, size_t *bytes) {
    if (s == NULL || bytes == NULL) return CK_EINVAL;
    if (!ck_f32_conv_winograd_applicable(s) || ck_dispatch.winograd_input == NULL) return CK_EUNSUPPORTED;
    const int64_t floats = ck_wino_u_floats(s);
    if (floats < 0 || floats > (INT64_MAX - 128) / (int64_t)sizeof(float)) return floats < 0 ? CK_EINVAL : CK_EOVERFLOW;
    *bytes = (size_t)(floats * (int64_t)sizeof(float) + 128);
    return CK_OK;
}

ck_status ck_f32_conv_winograd_pack(const ck_conv_shape *s, const float *w, void *buf, size_t bytes) {
    size_t need;
    const ck_status st = ck_f32_conv_winograd_pack_size(s, &need);
    if (st != CK_OK) return st;
    if (w == NULL || buf == NULL || bytes < need) return CK_EINVAL;
    const int64_t NR = ck_dispatch.gemm_ukernel.nr, G = s->groups, CIG = s->in_channels / G;
    const int64_t npanels = ck_cdiv64(s->out_channels / G, NR), u_group = 36 * npanels * CIG * NR;
    const uintptr_t start = ck_wino_start(buf);
    float *u = (float *)(start + 64);
    const int64_t fchunks = ck_cdiv64(CIG, 16);
    const int nt = ck_threads_for(36 * CIG * s->out_channels);
    /* Same units, same FTZ/DAZ as the driver's step 0: U bitwise as computed per call. */
#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t unit = 0; unit < G * fchunks; unit++) {
            const int64_t g = unit / fchunks, ci0 = (unit % fchunks) * 16;
            ck_wino_filter(s, w, g, ci0, ck_min64(CIG, ci0 + 16), npanels, NR, u + g * u_group);
        }
        ck_fpenv_leave(fpenv);
    }
    ck_wino_header h;
    memset(&h, 0, sizeof h);
    h.magic = CK_WINO_MAGIC;
    h.path = ck_dispatch_path_id();
    h.nr = (int32_t)NR;
    h.groups = G, h.cig = CIG, h.cout = s->out_channels;
    h.filters_finite = ck_f32_all_finite_mt(w, 9 * CIG * s->out_channels);
    memcpy((void *)start, &h, sizeof h);
    return CK_OK;
}

/* U inside `buf` when it was packed for this shape on the current dispatch path, else NULL. */
static const float *ck_wino_packed_u(const ck_conv_shape *s, const void *buf, size_t bytes) {
    size_t need;
    if (buf == NULL || ck_f32_conv_winograd_pack_size(s, &need) != CK_OK || bytes < need) return NULL;
    const uintptr_t start = ck_wino_start(buf);
    ck_wino_header h;
    memcpy(&h, (const void *)start, sizeof h);
    if (h.magic != CK_WINO_MAGIC || h.path != ck_dispatch_path_id() || h.nr != (int32_t)ck_dispatch.gemm_ukernel.nr ||
        h.groups != s->groups || h.cig != s->in_channels / s->groups || h.cout != s->out_channels)
        return NULL;
    return (const float *)(start + 64);
}

int ck_f32_conv_winograd_packed_ok(const ck_conv_shape *s, const void *buf, size_t bytes) {
    return s != NULL && ck_wino_packed_u(s, buf, bytes) != NULL;
}

int ck_f32_conv_winograd_packed_finite(const ck_conv_shape *s, const void *buf, size_t bytes) {
    if (!ck_f32_conv_winograd_packed_ok(s, buf, bytes)) return 0;
    ck_wino_header h;
    memcpy(&h, (const void *)ck_wino_start(buf), sizeof h);
    return h.filters_finite == 1;
}

ck_status ck_f32_conv_nd__winograd_packed(const ck_conv_shape *s, const float *x, const void *buf, size_t bytes,
                                          const float *bias, ck_activation act, float *y) {
    if (s == NULL) return CK_EINVAL;
    if (!ck_f32_conv_winograd_applicable(s)) return CK_EUNSUPPORTED;
    const float *u = ck_wino_packed_u(s, buf, bytes);
    if (u == NULL) return CK_EINVAL;
    return ck_wino_run(s, x, u, NULL, bias, act, y);
}
