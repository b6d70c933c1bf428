/* Convolution as an indirect GEMM (the indirection-buffer idea of XNNPACK / Dukhan, "The
 * Indirect Convolution Algorithm", 2019), for any kernel size, stride, dilation, padding and
 * groups, 1D/2D/3D, on the channels-last input with no im2col copy:
 *
 *   per group g:  Y[p, co] = act(bias[co] + sum_{tap, ci} X[pixel(p, tap), g*CIG + ci] * W[tap, ci, co])
 *
 * Rows of the GEMM are output pixels p (batch folded in), columns the group's output channels,
 * and the reduction runs over (tap, ci). For a tile of MR pixels the driver writes MR pointers
 * per tap (into x, or into a shared zero row where the tap falls in the padding); the microkernel
 * reads CIG contiguous channels behind each. A 1x1 stride-1 convolution is the one-tap case: a
 * GEMM straight on x viewed as (pixels x in_channels) with lda = in_channels.
 *
 * Weights are packed per call into NR-column panels [NR bias][taps][CIG][NR] (bias first so the
 * accumulators start from it). Panels are grouped into column blocks whose packed weights fit
 * the microkernel's L2 budget; the work is (group, column block, block of pixels) units split
 * statically over threads. The scratch is the packed weights, one zero row and taps*MR pointers
 * per thread: nothing grows with the image. No reduction is ever split, so results are bitwise
 * identical whatever the thread count. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"

#ifdef CK_HAVE_OPENMP
#include <omp.h>
#endif

static int64_t ck_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t ck_cdiv64(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Pixels per unit of work: enough tiles to amortise a unit, few enough to balance threads. */
#define CK_IGEMM_PIXEL_TILES_PER_UNIT 16

/* Pack one NR-column panel of group g: [NR bias][taps][CIG][NR], zero past the valid columns. */
static void ck_pack_conv_panel(const ck_conv_shape *s, int64_t taps, int64_t g, int64_t j0, int64_t NR,
                               const float *w, const float *bias, float *dst) {
    const int64_t CO = s->out_channels, CIG = s->in_channels / s->groups, COG = CO / s->groups;
    const int64_t nr = ck_min64(NR, COG - j0);
    const int64_t col0 = g * COG + j0;
    for (int64_t j = 0; j < NR; j++) dst[j] = (bias && j < nr) ? bias[col0 + j] : 0.0f;
    dst += NR;
    for (int64_t r = 0; r < taps * CIG; r++) {
        const float *src = w + r * CO + col0;
        int64_t j = 0;
        for (; j < nr; j++) dst[j] = src[j];
        for (; j < NR; j++) dst[j] = 0.0f;
        dst += NR;
    }
}

/* Indirection for MR output pixels starting at p0 (mr valid, the rest repeat the last one). */
static void ck_build_indirection(const ck_conv_shape *s, int64_t p0, int64_t mr, int64_t MR, int64_t g,
                                 const float *x, const float *zero, const float **ind) {
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t KD = s->kernel_size[0], KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t CI = s->in_channels, CIG = CI / s->groups;
    for (int64_t i = 0; i < MR; i++) {
        const int64_t p = p0 + (i < mr ? i : mr - 1);
        const int64_t ow = p % OW, oh = (p / OW) % OH, od = (p / (OW * OH)) % OD, n = p / (OW * OH * OD);
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
                    ind[t * MR + i] = inside ? x + (((n * ID + id) * IH + ih) * IW + iw) * CI + g * CIG : zero;
                }
            }
        }
    }
}

ck_status ck_f32_conv_nd__igemm(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                ck_activation act, float *y) {
    const ck_f32_igemm_ukernel uk = ck_dispatch.igemm_ukernel;
    const int64_t MR = uk.mr, NR = uk.nr;
    const int64_t G = s->groups, CI = s->in_channels, CO = s->out_channels;
    const int64_t CIG = CI / G, COG = CO / G;
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const int64_t K = taps * CIG;
    const int64_t P = s->batch * s->out_size[0] * s->out_size[1] * s->out_size[2];
    if (P == 0) return CK_OK;

    int scalar_act;
    const ck_f32_clamp clamp = ck_clamp_for(act, &scalar_act);

    const int64_t npanels = ck_cdiv64(COG, NR);
    const int64_t panel_floats = NR * (1 + K);
    /* Column block: as many panels as keep their packed weights within the L2 budget, so one
     * block stays hot while every pixel tile of a unit streams past it. */
    int64_t block_panels = uk.l2_bytes / (panel_floats * (int64_t)sizeof(float));
    block_panels = block_panels < 1 ? 1 : ck_min64(block_panels, npanels);
    const int64_t nblocks = ck_cdiv64(npanels, block_panels);
    const int64_t unit_pixels = MR * CK_IGEMM_PIXEL_TILES_PER_UNIT;
    const int64_t pblocks = ck_cdiv64(P, unit_pixels);
    const int64_t units = G * nblocks * pblocks;
    const int nt = ck_threads_for(P * K * CO);

    float *wpack = ck_scratch_alloc((size_t)(G * npanels * panel_floats) * sizeof(float));
    float *zero = ck_scratch_alloc((size_t)CIG * sizeof(float));
    const float **ind = ck_scratch_alloc((size_t)nt * (size_t)(taps * MR) * sizeof(float *));
    if (wpack == NULL || zero == NULL || ind == NULL) {
        ck_scratch_free(wpack);
        ck_scratch_free(zero);
        ck_scratch_free((void *)ind);
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
        const float **my_ind = ind + (size_t)tid * (size_t)(taps * MR);

#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t gp = 0; gp < G * npanels; gp++) {
            const int64_t g = gp / npanels, p = gp % npanels;
            ck_pack_conv_panel(s, taps, g, p * NR, NR, w, bias, wpack + gp * panel_floats);
        }
        /* (implicit barrier: the weights are packed) */

#ifdef CK_HAVE_OPENMP
#pragma omp for schedule(static)
#endif
        for (int64_t u = 0; u < units; u++) {
            const int64_t pb = u % pblocks, nb = (u / pblocks) % nblocks, g = u / (pblocks * nblocks);
            const int64_t p_begin = pb * unit_pixels, p_end = ck_min64(P, p_begin + unit_pixels);
            const int64_t q_begin = nb * block_panels, q_end = ck_min64(npanels, q_begin + block_panels);
            for (int64_t p0 = p_begin; p0 < p_end; p0 += MR) {
                const int64_t mr = ck_min64(MR, p_end - p0);
                ck_build_indirection(s, p0, mr, MR, g, x, zero, my_ind);
                for (int64_t q = q_begin; q < q_end; q++) {
                    const int64_t j0 = q * NR, nr = ck_min64(NR, COG - j0);
                    float *ct = y + p0 * CO + g * COG + j0;
                    uk.fn((size_t)mr, (size_t)nr, (size_t)CIG, (size_t)taps, my_ind,
                          wpack + (g * npanels + q) * panel_floats, ct, (size_t)CO, &clamp);
                    if (scalar_act) ck_activate_tile_f32((size_t)mr, (size_t)nr, ct, (size_t)CO, act);
                }
            }
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(wpack);
    ck_scratch_free(zero);
    ck_scratch_free((void *)ind);
    return CK_OK;
}
