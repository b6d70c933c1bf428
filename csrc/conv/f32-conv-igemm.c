/* Convolution through GEMM microkernels, for any kernel size, stride, dilation, padding and
 * groups, 1D/2D/3D, on the channels-last input:
 *
 *   per group g:  Y[p, co] = act(bias[co] + sum_{tap, ci} X[pixel(p, tap), g*CIG + ci] * W[tap, ci, co])
 *
 * Rows of the GEMM are output pixels p (batch folded in), columns the group's output channels,
 * and the reduction runs over k = (tap, ci). Two ways to feed a tile of MR pixels to a kernel:
 *
 *  - indirect GEMM (the indirection-buffer idea of XNNPACK / Dukhan, "The Indirect Convolution
 *    Algorithm", 2019): MR pointers per tap (into x, or into a shared zero row where the tap falls
 *    in the padding); the igemm microkernel reads CIG contiguous channels behind each. No copy at
 *    all; a 1x1 stride-1 convolution is the one-tap case, a GEMM straight on x.
 *  - tile im2col + packed GEMM (BLIS-style packing of A, Goto & van de Geijn, applied to a bounded
 *    block of output pixels): the MR x KC slices of a block of rows are gathered into packed A
 *    panels and the gemm microkernel runs with K split into KC blocks. Used where the indirect
 *    kernel is weak: few input channels per tap (224x224x3: three values per pointer, the
 *    per-tap overhead dominates) and long reductions (14x14x256 3x3: the 6x2304 A rows and the
 *    147 KiB weight panel of one tile do not fit L1; KC blocking keeps a KC x NR weight slice in L1
 *    and the packed A block in L2). Scratch: one packed A block per thread, bounded by MC x KC.
 *    (Not chosen by default yet: see ck_conv_use_tiles.)
 *
 * Weights (csrc/conv/f32-conv-pack.c) are NR-column panels [NR bias][taps*CIG][NR] per group,
 * packed either per call or once by the caller (ck_f32_conv_pack). A KC slice of a panel is a
 * k-major NR panel with ldb = NR, so both ways read the same packed weights.
 *
 * Work split: units are (group, column block, run of MR pixel tiles); every thread takes one
 * contiguous range of units, balanced by cost (panels x pixels) to within one unit, and a
 * thread's consecutive units share a weight column block that stays in its cache. Only *who*
 * computes a tile depends on the thread count: each output element is always the same sequence of FMAs (the whole reduction in
 * one igemm call, or the KC blocks in order), so results are bitwise identical whatever the
 * thread count. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"


static int64_t ck_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t ck_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t ck_cdiv64(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Rows of the weight matrix per unit when the panels are packed at the call. */
#define CK_PACK_ROWS 64

/* Forced choice (tests and benchmarks): 1 indirect GEMM on the main kernel, one call per tile and
 * group, 2 tiles, 3 indirect GEMM on the path's aliased-rows kernel where it has one; 0 lets the
 * heuristics decide. */
static int ck_conv_gemm_mode = 0;
void ck_f32_conv_gemm_set_mode(int mode) { ck_conv_gemm_mode = mode; }

/* Tile im2col + packed GEMM instead of indirect GEMM? The choice may depend on the shape and the
 * path, never on the thread count (the two sum in different orders). Measured with
 * benchmarks/c/bench_kernels.c (5th argument forces 1 or 2), GFLOP/s, weights packed once:
 *   14x14x256 3x3 -> 256, 16-core Xeon AVX-512, 1/8/16 threads: indirect 95/700/1021, tiles 78/300/422
 *   same, AVX2 path on that Xeon:                               indirect 55/296/601,  tiles 64/269/587
 *   same, Zen 3 AVX2, 1 thread:                                 indirect ~82,         tiles ~83
 *   224x224x3 -> 64, Zen 3 AVX2, 1 thread:                      indirect 45,          tiles 26-31
 *   Zen 4 AVX-512 (medians of 3 alternating runs, indirect / tiles speed, 1 and 2 threads):
 *   14x14x256 3x3 0.97 / 0.74x, 56x56x128 3x3 s2 -> 256 0.96 / 0.66x, 28x28x256 5x5 0.88 / 0.81x,
 *   conv1d 2000x256 k5 0.98 / 0.62x, wav2vec's 3199x512 k3 s2 -> 512 0.98 / 1.15x
 *   Zen 3 AVX2 with KC = 512 (medians of 4-10 alternating runs, tiles speed, 1 thread): 14x14x256
 *   0.92x, 7x7x512 0.69x, 56x56x64 s2 -> 128 0.80x, 56x56x128 s2 -> 256 0.86x, 28x28x256 5x5
 *   0.83x, conv1d 2000x256 k5 0.89x, charcnn's 8x1014x70 k7 1.01x, 56x56x256 3x3 1.02-1.03x,
 *   28x28x512 3x3 0.96-1.02x; conv1d k3 s2 -> 512 over 3199 / 1599 / 799 steps 1.11-1.15x /
 *   1.01-1.12x / 0.90-1.13x, k2 s2 over 3199 1.12-1.24x. At 2 threads wav2vec's layer 1.25-1.32x,
 *   the 1599-step one 1.10x, but the k2 layer 0.89x and 28x28x512 0.86x, and rows moved by 15%
 *   between runs with the second core's other tenant.
 * On small-spatial layers the tile path must split columns finely to feed many threads and then
 * re-gathers A for each column block; the indirect kernel needs no copy at all. Even where the
 * weights pass the L2 budget and the indirect kernel streams the input once per column block,
 * it stayed ahead but for wav2vec's layer (Zen 4 at 2 threads, Zen 3 at both). A rule on the
 * input the indirect kernel re-reads (input bytes x column blocks: 69 MiB for wav2vec's layer on
 * Zen 3, 38 on Zen 4; 44 for the k2 layer, 49 for 28x28x512, 12 for the 5x5 one) was tried at
 * 32 MiB and not kept: the k2 and 28x28x512 layers it also takes lost at 2 threads. So the
 * indirect kernel is the default everywhere for now; the tile path stays available (and tested)
 * for shapes where it measures better. */
static int ck_conv_use_tiles(int64_t cig, int64_t K, int64_t npanels) {
    (void)cig, (void)K, (void)npanels;
    if (ck_conv_gemm_mode != 0) return ck_conv_gemm_mode == 2;
    return 0;
}

/* Most rows of an MR-pixel tile that share one L1 set. A set is a 64-byte line's position modulo
 * 4 KiB on the x86 caches in question (Zen 4: 32 KiB 8-way, 64 sets; the 48 KiB 12-way L1s of
 * Zen 5 and recent Xeons have 64 sets too). Shape only: consecutive output pixels' windows are
 * `step` bytes apart along W, or along the next axis out when W (then H, D) has one output. */
static int64_t ck_igemm_rows_alias(const ck_conv_shape *s, int64_t MR) {
    int64_t step = s->in_channels * (int64_t)sizeof(float), axis = 2;
    for (; axis > 0 && s->out_size[axis] == 1; axis--) step *= s->in_size[axis];
    step *= s->stride[axis];
    int64_t line[CK_GEMM_MAX_MR], most = 0;
    MR = ck_min64(MR, CK_GEMM_MAX_MR);
    for (int64_t i = 0; i < MR; i++) line[i] = i * step / 64; /* non-decreasing: equal lines adjacent */
    for (int64_t i = 0; i < MR; i++) {
        int64_t lines = 0; /* distinct lines in row i's set (rows within one line share it) */
        for (int64_t j = 0; j <= i; j++) lines += (j == 0 || line[j] != line[j - 1]) && line[j] % 64 == line[i] % 64;
        most = ck_max64(most, lines);
    }
    return most;
}

/* The aliased-rows kernel (8 rows instead of 12 on AVX-512) when more rows of a main-kernel tile
 * share one L1 set than its 8 ways hold: the kernel reads its rows in lockstep, one float of
 * each per k-step, and with pixels a multiple of 4 KiB apart (1024 channels, 512 at stride 2,
 * 2048, ...) all twelve rows of a tile want the same set. Zen 4, AVX-512 path, in-process A/B of
 * the rule against the 12-row kernel forced, 9 rounds in both orders, speed ratio at 1 / 2 threads:
 *   wav2vec's conv1d 3199x512 k3 s2 -> 512  1.07x / 1.07x    28x28x512 3x3 s2 -> 512   1.09x / 1.09x
 *   14x14x1024 1x1 -> 256                   1.09x / 1.14x    28x28x512 1x1 s2 -> 1024  1.10x / 1.09x
 *   7x7x2048 1x1 -> 512                     1.09x / 1.08x    14x14x1024 1x1 s2 -> 2048 1.17x / 1.10x
 *   conv1d 800x1024 k3 -> 256               1.08x / 1.09x
 * (14x14x1024 -> 256 went from 106 to 115 GFLOP/s, 98% of the FMA peak), and layers it leaves to
 * the 12-row kernel stay put (28x28x512 1x1 -> 256, rows 2 KiB apart: 1.00x / 1.00x; 14x14x256
 * 3x3: 1.00x / 1.01x). The 8-row kernel alone also tied there (0.98-1.01x). Copying each tile's
 * rows to a buffer set apart instead helped the 1x1 layers about as much (1.0-1.4x, its gains
 * largest in runs where the 12-row kernel was at its slowest) but lost 4-10% on kernels with
 * several taps, whose copy holds each pixel up to taps times. Grouped layers keep their narrow
 * kernels. The choice depends on the shape only, never on the thread count; where a pixel count
 * leaves one or two pixels to the row kernel under one tile height and not the other (10 pixels:
 * 8 + 2 against one tile of 10), those pixels' sums run in the row kernel's order. */
#define CK_L1_WAYS 8
static int ck_igemm_use_aliased(const ck_conv_shape *s, const ck_f32_igemm_ukernel *main_uk) {
    const ck_f32_igemm_ukernel *al = &ck_dispatch.igemm_ukernel_aliased;
    if (al->fn == NULL || main_uk != &ck_dispatch.igemm_ukernel || al->nr != main_uk->nr) return 0;
    if (ck_conv_gemm_mode == 1) return 0;
    if (ck_conv_gemm_mode == 3) return 1;
    return ck_igemm_rows_alias(s, main_uk->mr) > CK_L1_WAYS;
}

/* The units (group, column block, pixel run) in one of two orders: groups outermost, or, when
 * every group's weights fit the L2 budget together (ResNeXt's 32 groups of 8 channels), groups
 * innermost, so consecutive units share a pixel tile and its indirection (moved by an offset
 * instead of rebuilt from the coordinates). */
typedef struct ck_conv_units {
    int64_t G, nblocks, runs, block_panels, npanels, pix_per_run, P;
    int g_inner;
} ck_conv_units;

static void ck_conv_unit_decode(const ck_conv_units *w, int64_t u, int64_t *g, int64_t *nb, int64_t *r) {
    if (w->g_inner) {
        *g = u % w->G, *r = (u / w->G) % w->runs, *nb = u / (w->G * w->runs);
    } else {
        *r = u % w->runs, *nb = (u / w->runs) % w->nblocks, *g = u / (w->runs * w->nblocks);
    }
}

/* The unit after (g, nb, r) in the same order. */
static void ck_conv_unit_next(const ck_conv_units *w, int64_t *g, int64_t *nb, int64_t *r) {
    if (w->g_inner) {
        if (++*g < w->G) return;
        *g = 0;
        if (++*r < w->runs) return;
        *r = 0, ++*nb;
    } else {
        if (++*r < w->runs) return;
        *r = 0;
        if (++*nb < w->nblocks) return;
        *nb = 0, ++*g;
    }
}

/* Work before unit u, in panel-pixels: a unit's cost is its block's panels times its run's
 * pixels. The last column block is often narrower (16 panels in blocks of 3 leave 1), so equal
 * unit counts are not equal work: wav2vec's 3199x512 k3 s2 -> 512 layer gave one of two threads 9
 * panels per run and the other 7. */
static int64_t ck_conv_cost_before(const ck_conv_units *w, int64_t u) {
    int64_t g, nb, r;
    ck_conv_unit_decode(w, u, &g, &nb, &r);
    const int64_t q0 = nb * w->block_panels, width = ck_min64(w->npanels, q0 + w->block_panels) - q0;
    const int64_t before_r = ck_min64(w->P, r * w->pix_per_run);
    if (w->g_inner) {
        const int64_t pix_r = ck_min64(w->P, (r + 1) * w->pix_per_run) - before_r;
        return q0 * w->G * w->P + width * w->G * before_r + width * pix_r * g;
    }
    return g * w->npanels * w->P + q0 * w->P + width * before_r;
}

/* First unit of thread tid: the first whose preceding work reaches tid/team of the total. */
static int64_t ck_conv_unit_at_cost(const ck_conv_units *w, int64_t units, int tid, int team) {
    if (tid >= team) return units;
    const int64_t total = w->G * w->npanels * w->P;
    const int64_t target = total / team * tid + total % team * tid / team;
    int64_t lo = 0, hi = units; /* smallest u in [lo, hi] with cost_before(u) >= target */
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (ck_conv_cost_before(w, mid) >= target) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* Indirection for MR output pixels starting at p0 (mr valid, the rest repeat the last one), for
 * group g: taps in the padding point at zero + g*CIG (zero holds CI zeros), so the pointers of
 * another group are all these plus a multiple of CIG. */
static void ck_build_indirection(const ck_conv_shape *s, int64_t p0, int64_t mr, int64_t MR, int64_t g,
                                 const float *x, const float *zero, const float **ind) {
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t KD = s->kernel_size[0], KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t CI = s->in_channels, CIG = CI / s->groups;
    /* The first pixel's coordinates by division, the next ones by stepping along W with carries
     * (four 64-bit divisions per pixel cost more than a small tile's FMAs when CIG is 8). */
    int64_t ow = p0 % OW, oh = (p0 / OW) % OH, od = (p0 / (OW * OH)) % OD, n = p0 / (OW * OH * OD);
    for (int64_t i = 0; i < MR; i++) {
        if (i > 0 && i < mr && ++ow == OW) { /* rows past mr repeat the last pixel */
            ow = 0;
            if (++oh == OH) {
                oh = 0;
                if (++od == OD) od = 0, n++;
            }
        }
        const int64_t d0 = od * s->stride[0] - s->pad_before[0];
        const int64_t h0 = oh * s->stride[1] - s->pad_before[1];
        const int64_t w0 = ow * s->stride[2] - s->pad_before[2];
        int64_t t = 0;
        for (int64_t kd = 0; kd < KD; kd++) {
            const int64_t id = d0 + kd * s->dilation[0];
            for (int64_t kh = 0; kh < KH; kh++) {
                const int64_t ih = h0 + kh * s->dilation[1];
                for (int64_t kw = 0; kw < KW; kw++, t++) {
                    const int64_t iw = w0 + kw * s->dilation[2];
                    const int inside = id >= 0 && id < ID && ih >= 0 && ih < IH && iw >= 0 && iw < IW;
                    ind[t * MR + i] = (inside ? x + (((n * ID + id) * IH + ih) * IW + iw) * CI : zero) + g * CIG;
                }
            }
        }
    }
}

/* The indirection of tile p0 for group g in ind, which holds that of tile *ind_p0 for group
 * *ind_g: the same pixels for another group are the same pointers (g - *ind_g)*CIG channels on. */
static void ck_indirection_for(const ck_conv_shape *s, int64_t p0, int64_t mr, int64_t MR, int64_t g, const float *x,
                               const float *zero, const float **ind, int64_t *ind_p0, int64_t *ind_g) {
    if (p0 == *ind_p0) {
        const int64_t shift = (g - *ind_g) * (s->in_channels / s->groups);
        const int64_t n = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2] * MR;
        for (int64_t i = 0; i < n; i++) ind[i] += shift;
    } else {
        ck_build_indirection(s, p0, mr, MR, g, x, zero, ind);
    }
    *ind_p0 = p0, *ind_g = g;
}

/* Gather reduction indices [k0, k0 + kc) of one MR-pixel tile into a packed A panel
 * (a[k*MR + i], k-major), from its indirection pointers: k = tap*CIG + ci. */
static void ck_pack_a_indirect(const float *const *ind, int64_t MR, int64_t CIG, int64_t k0, int64_t kc,
                               float *CK_RESTRICT dst) {
    int64_t t = k0 / CIG, c = k0 % CIG, left = kc;
    while (left > 0) {
        const int64_t n = ck_min64(CIG - c, left);
        const float *const *row = ind + t * MR;
        if (MR == 6) {
            const float *r0 = row[0] + c, *r1 = row[1] + c, *r2 = row[2] + c, *r3 = row[3] + c, *r4 = row[4] + c,
                        *r5 = row[5] + c;
            for (int64_t k = 0; k < n; k++) {
                dst[0] = r0[k];
                dst[1] = r1[k];
                dst[2] = r2[k];
                dst[3] = r3[k];
                dst[4] = r4[k];
                dst[5] = r5[k];
                dst += 6;
            }
        } else {
            for (int64_t k = 0; k < n; k++) {
                for (int64_t i = 0; i < MR; i++) dst[i] = row[i][c + k];
                dst += MR;
            }
        }
        left -= n;
        c = 0;
        t++;
    }
}

/* Output pixel p's channels in y: dense (p * CO), or where `map` puts them (divisions: a few per
 * tile). */
static float *ck_out_row(const ck_conv_shape *s, const ck_conv_out_map *map, float *y, int64_t p) {
    if (map == NULL) return y + p * s->out_channels;
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
    return y + n * map->step[0] + od * map->step[1] + oh * map->step[2] + ow * map->step[3];
}

/* The shared body. `packed` holds G*npanels panels of NR*(1+K) floats; when NULL they are packed
 * here from w and bias. `has_bias` says whether the panels' bias row is meaningful (the tile GEMM
 * path adds it only then, so a bias-free layer never adds +0.0f). `map`: see ck_out_row. */
static ck_status ck_conv_gemm_run(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                  const float *packed, int has_bias, ck_activation act, float *y,
                                  const ck_conv_out_map *map) {
    const ck_f32_igemm_ukernel *main_uk = ck_igemm_for(s->groups, s->out_channels / s->groups);
    const ck_f32_gemm_ukernel guk = ck_dispatch.gemm_ukernel;
    const int64_t NR = main_uk->nr;
    const int64_t G = s->groups, CI = s->in_channels, CO = s->out_channels;
    const int64_t CIG = CI / G, COG = CO / G;
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const int64_t K = taps * CIG;
    const int64_t P = s->batch * s->out_size[0] * s->out_size[1] * s->out_size[2];
    if (P == 0) return CK_OK;

    int scalar_act;
    const ck_f32_clamp clamp = ck_clamp_for(act, &scalar_act);
    const ck_f32_clamp no_clamp = {0.0f, 0.0f, 0};

    const int64_t npanels = ck_cdiv64(COG, NR);
    const int64_t panel_floats = NR * (1 + K);
    /* (the tile path runs the gemm kernel on the igemm's panels: only when their shapes agree) */
    const int tiles = map == NULL && ck_conv_use_tiles(CIG, K, npanels) && main_uk->mr == guk.mr && NR == guk.nr;
    /* the indirect path's kernel: the main one or, on the same panels, the aliased-rows one */
    const ck_f32_igemm_ukernel iuk = !tiles && ck_igemm_use_aliased(s, main_uk) ? ck_dispatch.igemm_ukernel_aliased
                                                                                : *main_uk;
    const int64_t MR = iuk.mr;
    const int64_t KC = tiles ? guk.kc : K;
    const int64_t kc_max = ck_min64(K, KC);
    const int nt = ck_threads_for(P * K * CO);

    /* Column block: as many panels as keep their packed weights (one KC slice of them on the tile
     * path) within the L2 budget, so one block stays hot while the pixel tiles stream past it. */
    const int64_t block_bytes = (tiles ? NR * kc_max : panel_floats) * (int64_t)sizeof(float);
    int64_t block_panels = ck_max64(1, ck_min64(iuk.l2_bytes / block_bytes, npanels));
    const int64_t tiles_m = ck_cdiv64(P, MR);
    /* Enough units for every thread: split the columns finer when pixel tiles are few (a 14x14
     * layer has 33 tiles of 6 pixels, and 16 threads). */
    while (block_panels > 1 && G * ck_cdiv64(npanels, block_panels) * tiles_m < 8 * (int64_t)nt)
        block_panels = ck_cdiv64(block_panels, 2);
    const int64_t nblocks = ck_cdiv64(npanels, block_panels);
    /* Rows per unit: on the tile path a packed A block of up to MC rows is shared by a column
     * block's panels; fewer rows when that would leave threads idle. The indirect path needs no
     * A block: one tile per unit, for the finest balance. */
    int64_t run = 1;
    if (tiles) {
        run = ck_max64(1, guk.mc / MR);
        const int64_t per_thread = ck_cdiv64(G * nblocks * tiles_m, 4 * (int64_t)nt);
        run = ck_max64(1, ck_min64(run, per_thread));
    }
    const int64_t runs = ck_cdiv64(tiles_m, run);
    const int64_t units = G * nblocks * runs;
    const ck_conv_units order = {G, nblocks, runs, block_panels, npanels, run * MR, P,
                                 G > 1 && nblocks == 1 && !tiles &&
                                     G * npanels * panel_floats * (int64_t)sizeof(float) <= iuk.l2_bytes};

    /* Groups innermost with one panel each (ResNeXt's 8-channel groups on the 12x8 kernel): a
     * thread's consecutive units are the groups of one tile, which the kernel's groups entry
     * takes in one call instead of this loop moving the 12 x taps pointers by CIG and calling
     * once per group. In-process A/B in both orders, 11 rounds, speed ratio at 1 / 2 threads,
     * Zen 4: 28x28x256 in 32 groups of 8, 3x3 1.12x / 1.18x (AVX2 path 1.12x / 1.12x),
     * 56x56x256 stride 2 1.12x / 1.13x, 14x14x512 in 64 groups 1.10x / 1.11x, 56x56x128 in 32
     * groups of 4 1.20x / 1.18x. Same sums: the outputs are bitwise those of one call a group.
     * (g_inner is only ever set on the indirect path, whose units are one tile each.) */
    const int batch_groups = ck_conv_gemm_mode != 1 && order.g_inner && map == NULL && npanels == 1 &&
                             iuk.groups != NULL && (iuk.row == NULL || iuk.row_max == 0);
    float *wpack = NULL;
    const int64_t pack_chunks = ck_max64(1, ck_cdiv64(K, CK_PACK_ROWS));
    if (packed == NULL) {
        wpack = ck_scratch_alloc((size_t)(G * npanels * panel_floats) * sizeof(float));
        if (wpack == NULL) return CK_ENOMEM;
        has_bias = bias != NULL;
    }
    const float *wp = packed ? packed : wpack;
    float *zero = ck_scratch_alloc((size_t)CI * sizeof(float));
    /* Each thread's indirection on its own pages: it is rewritten for every tile (see
     * ck_thread_slot_bytes). */
    const int64_t ind_stride = (int64_t)(ck_thread_slot_bytes((size_t)(taps * MR) * sizeof(float *)) / sizeof(float *));
    const float **ind = ck_scratch_alloc((size_t)nt * (size_t)ind_stride * sizeof(float *));
    /* with a map: one MR x NR tile per thread for tiles that wrap onto the next output row */
    const size_t tile_slot = ck_thread_slot_bytes((size_t)(MR * NR) * sizeof(float)) / sizeof(float);
    const size_t a_slot = ck_thread_slot_bytes((size_t)(run * MR * kc_max) * sizeof(float)) / sizeof(float);
    float *tilebuf = map != NULL ? ck_scratch_alloc((size_t)nt * tile_slot * sizeof(float)) : NULL;
    float *abuf = tiles ? ck_scratch_alloc((size_t)nt * a_slot * sizeof(float)) : NULL;
    if (zero == NULL || ind == NULL || (tiles && abuf == NULL) || (map != NULL && tilebuf == NULL)) {
        ck_scratch_free(wpack);
        ck_scratch_free(zero);
        ck_scratch_free((void *)ind);
        ck_scratch_free(abuf);
        ck_scratch_free(tilebuf);
        return CK_ENOMEM;
    }
    memset(zero, 0, (size_t)CI * sizeof(float));

#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
        const int tid = ck_thread_id(), team = ck_team_size();
        const float **my_ind = ind + (size_t)tid * (size_t)ind_stride;
        float *my_tile = tilebuf != NULL ? tilebuf + (size_t)tid * tile_slot : NULL;
        float *my_a = tiles ? abuf + (size_t)tid * a_slot : NULL;

        if (wpack != NULL) {
#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
            /* By (group, chunk of rows): each thread streams whole rows of w. */
            for (int64_t gc = 0; gc < G * pack_chunks; gc++)
            {
                const int64_t g = gc / pack_chunks, r0 = (gc % pack_chunks) * CK_PACK_ROWS;
                float *gdst = wpack + g * npanels * panel_floats;
                if (r0 == 0) ck_f32_pack_panels_bias(COG, NR, bias ? bias + g * COG : NULL, gdst, panel_floats);
                ck_f32_pack_panels_rows(r0, ck_min64(K, r0 + CK_PACK_ROWS), COG, NR, w + g * COG, CO, gdst + NR,
                                        panel_floats);
            }
            /* (implicit barrier: the weights are packed) */
        }

        const int64_t u_begin = ck_conv_unit_at_cost(&order, units, tid, team);
        const int64_t u_end = ck_conv_unit_at_cost(&order, units, tid + 1, team);
        int64_t ind_p0 = -1, ind_g = 0; /* the tile and group my_ind was built for */
        int64_t g, nb, r; /* unit u's coordinates, stepped along (divisions once per thread) */
        ck_conv_unit_decode(&order, u_begin, &g, &nb, &r);
        for (int64_t u = u_begin; u < u_end; u++, ck_conv_unit_next(&order, &g, &nb, &r)) {
            const int64_t p_begin = r * run * MR, p_end = ck_min64(P, p_begin + run * MR);
            const int64_t q_begin = nb * block_panels, q_end = ck_min64(npanels, q_begin + block_panels);
            const float *gw = wp + g * npanels * panel_floats;
            if (batch_groups) {
                /* This unit and the next ones, groups g.. of one tile, in one call: the kernel
                 * steps the pointers and the panels itself (see batch_groups). */
                const int64_t ng = ck_min64(G - g, u_end - u), p0 = p_begin, mr = p_end - p_begin;
                ck_indirection_for(s, p0, mr, MR, g, x, zero, my_ind, &ind_p0, &ind_g);
                float *const yt = y + p0 * CO + g * COG;
                iuk.groups((size_t)mr, (size_t)COG, (size_t)CIG, (size_t)taps, my_ind, (size_t)CIG, (size_t)ng, gw,
                           (size_t)panel_floats, yt, (size_t)COG, (size_t)CO, &clamp);
                if (scalar_act) ck_activate_tile_f32((size_t)mr, (size_t)(ng * COG), yt, (size_t)CO, act);
                for (int64_t j = 1; j < ng; j++, u++) ck_conv_unit_next(&order, &g, &nb, &r);
                continue;
            }
            if (!tiles) {
                for (int64_t p0 = p_begin; p0 < p_end; p0 += MR) {
                    const int64_t mr = ck_min64(MR, p_end - p0);
                    ck_indirection_for(s, p0, mr, MR, g, x, zero, my_ind, &ind_p0, &ind_g);
                    /* A ragged tile of few pixels goes one pixel at a time (see row_max). */
                    const int by_row = iuk.row != NULL && mr <= iuk.row_max;
                    /* Output rows: a constant step from the first (dense y, or a map whose tile
                     * stays on one output row), or else the tile's own buffer, copied row by row. */
                    const int64_t ldy = map ? map->step[3] : CO;
                    const int via_tile = map != NULL && !by_row && p0 % s->out_size[2] + mr > s->out_size[2];
                    float *const y0 = ck_out_row(s, map, y, p0) + g * COG;
                    for (int64_t q = q_begin; q < q_end; q++) {
                        const int64_t j0 = q * NR, nr = ck_min64(NR, COG - j0);
                        if (by_row) {
                            for (int64_t i = 0; i < mr; i++) {
                                float *yr = ck_out_row(s, map, y, p0 + i) + g * COG + j0;
                                iuk.row((size_t)nr, (size_t)CIG, (size_t)taps, my_ind + i, (size_t)MR,
                                        gw + q * panel_floats, yr, &clamp);
                                if (scalar_act) ck_activate_tile_f32(1, (size_t)nr, yr, (size_t)CO, act);
                            }
                            continue;
                        }
                        float *ct = via_tile ? my_tile : y0 + j0;
                        const int64_t ldc = via_tile ? NR : ldy;
                        iuk.fn((size_t)mr, (size_t)nr, (size_t)CIG, (size_t)taps, my_ind, gw + q * panel_floats, ct,
                               (size_t)ldc, &clamp);
                        if (scalar_act) ck_activate_tile_f32((size_t)mr, (size_t)nr, ct, (size_t)ldc, act);
                        if (via_tile)
                            for (int64_t i = 0; i < mr; i++)
                                memcpy(ck_out_row(s, map, y, p0 + i) + g * COG + j0, my_tile + i * NR,
                                       (size_t)nr * sizeof(float));
                    }
                }
                continue;
            }
            for (int64_t pc = 0; pc < K; pc += KC) {
                const int64_t kc = ck_min64(KC, K - pc);
                const int last_k = pc + kc == K;
                for (int64_t p0 = p_begin; p0 < p_end; p0 += MR) {
                    const int64_t mr = ck_min64(MR, p_end - p0);
                    ck_build_indirection(s, p0, mr, MR, g, x, zero, my_ind);
                    ck_pack_a_indirect(my_ind, MR, CIG, pc, kc, my_a + (p0 - p_begin) * kc);
                }
                for (int64_t q = q_begin; q < q_end; q++) {
                    const int64_t j0 = q * NR, nr = ck_min64(NR, COG - j0);
                    const float *panel = gw + q * panel_floats;
                    for (int64_t p0 = p_begin; p0 < p_end; p0 += MR) {
                        const int64_t mr = ck_min64(MR, p_end - p0);
                        float *ct = y + p0 * CO + g * COG + j0;
                        guk.fn((size_t)mr, (size_t)nr, (size_t)kc, my_a + (p0 - p_begin) * kc, panel + NR + pc * NR,
                               (size_t)NR, ct, (size_t)CO, (last_k && has_bias) ? panel : NULL,
                               pc > 0 ? CK_UK_LOAD_C : 0u, last_k ? &clamp : &no_clamp);
                        if (last_k && scalar_act) ck_activate_tile_f32((size_t)mr, (size_t)nr, ct, (size_t)CO, act);
                    }
                }
            }
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(wpack);
    ck_scratch_free(zero);
    ck_scratch_free((void *)ind);
    ck_scratch_free(abuf);
    ck_scratch_free(tilebuf);
    return CK_OK;
}

ck_status ck_f32_conv_nd__igemm(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                ck_activation act, float *y) {
    return ck_conv_gemm_run(s, x, w, bias, NULL, 0, act, y, NULL);
}

ck_status ck_f32_conv_nd__igemm_mapped(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                       ck_activation act, float *y, const ck_conv_out_map *map) {
    return ck_conv_gemm_run(s, x, w, bias, NULL, 0, act, y, map);
}

ck_status ck_f32_conv_nd__igemm_packed(const ck_conv_shape *s, const float *x, const float *panels, int has_bias,
                                       ck_activation act, float *y) {
    return ck_conv_gemm_run(s, x, NULL, NULL, panels, has_bias, act, y, NULL);
}
