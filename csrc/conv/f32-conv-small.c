/* Direct convolution for few input channels (RGB stems, audio front ends): groups = 1 and a short
 * reduction per kernel row, e.g. 224x224x3 3x3 -> 64 (27 multiply-adds per output) or
 * 32x32x32x3 3x3 -> 32.
 *
 * The indirect GEMM (f32-conv-igemm.c) spends, per tile of MR output pixels, one pointer per
 * pixel and kernel tap, each found with divisions (pixel -> n, d, h, w), and then feeds the
 * microkernel only CI = 3 floats behind each pointer: with 27 multiply-adds per output the
 * bookkeeping costs as much as the arithmetic. Here the work is organised by output row instead:
 *
 *  - a unit of work is one output row (n, od, oh) and a run of up to CW pixels along W;
 *  - for each kernel row (kd, kh) the unit finds the input row once; the W segment the run reads
 *    (with its zero padding) is either inside x (used in place) or copied into a small per-thread
 *    buffer with zeros where the window leaves the image (the border path: at most
 *    KD*KH*(CW*sw + span)*CI floats per unit, next to CW*taps*CI*CO multiply-adds);
 *  - with dilation_w = 1 the KW taps of a kernel row read KW*CI contiguous floats per pixel, so a
 *    pixel needs one pointer per kernel row, not per tap, and the microkernel's reduction is
 *    KW*CI long (9 for 3x3 RGB) instead of CI (3). Pointers are plain adds along the row.
 *
 * The packed weights are exactly the igemm's ([NR bias][taps*CI][NR] per NR-column panel, rows in
 * (kd, kh, kw, ci) order): a kernel row's KW*CI rows are contiguous in a panel, so the table's
 * conv_small_ukernel (same NR as the igemm microkernel) reads them with ks = KD*KH and kc = KW*CI,
 * and weights packed once by ck_f32_conv_pack serve this driver too. The microkernel walks a run
 * of pixels for one panel (the panel stays in L1, one call per run and panel); the driver cuts
 * runs into sub-runs whose output stays in L1 while all panels pass over it. Every output is the
 * same sequence of FMAs (bias first, taps in (kd, kh, kw) order, channels inside) whichever unit,
 * sub-run or tile it falls in, so the result does not depend on the thread count (which only
 * sets how rows are cut into units) nor on whether the weights were packed once.
 *
 * With dilation_w > 1 the taps of a row are not contiguous: ks = KD*KH*KW and kc = CI, still
 * with the row-wise pointers. groups > 1 is not handled here (the caller falls back). */
#include <string.h>
#include <xmmintrin.h> /* _mm_prefetch (SSE: every x86-64) */

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"


static int64_t ck_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t ck_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t ck_cdiv64(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Output floats a sub-run keeps in L1 while the weight panels pass over it (8 KiB). */
#define CK_SMALL_L1_OUT_FLOATS 2048

/* Output prefetch: each panel writes only its NR channels of a pixel, so with 64 or more output
 * channels a sub-run's writes reach memory as runs of a few lines with gaps, which the hardware
 * prefetchers apparently do not keep ahead of (224x224x3 3x3 -> 64 ran at two thirds of the
 * speed of a 32x32x3 layer with its output in L2). So while a sub-run computes, the output lines
 * of the next one are prefetched into L2, when the output is at least
 * CK_SMALL_PREFETCH_OUT_MIN_BYTES and a sub-run fits the L1 budget above (wider layers have
 * sub-runs of one tile and contiguous-enough writes).
 * In-process A/B, each pair in both orders, 8 rounds, Zen 4 (AVX-512), 1 / 2 threads:
 * 224x224x3 3x3 -> 64 1.26-1.39x / 1.08-1.39x, -> 128 1.37-1.40x / 1.41x, 4x112x112x3 -> 64
 * 1.22-1.33x / 1.19x, 'valid' 1.08-1.29x / 1.25x, 32x32x32x3 -> 64 1.07-1.15x / 0.98-1.12x; the
 * same on the AVX2 path: 1.05-1.26x, 1.44x, 1.14x, 1.15x, 0.99-1.04x. Off (one panel, or below
 * the size), the ResNet stem and outputs within L2 moved within +-4%; layers of 32 channels lost
 * 1-10% with it on the AVX2 path (two 16-wide panels), hence the 64. A prefetch changes no result. */
#define CK_SMALL_PREFETCH_OUT_MIN_BYTES ((int64_t)4 << 20)

int ck_f32_conv_small_applicable(const ck_conv_shape *s) {
    return s->groups == 1 && ck_dispatch.conv_small_ukernel.fn != NULL &&
           ck_dispatch.conv_small_ukernel.nr == ck_dispatch.igemm_ukernel.nr;
}

static ck_status ck_conv_small_run(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                   const float *packed, ck_activation act, float *y) {
    const ck_f32_conv_small_ukernel uk = ck_dispatch.conv_small_ukernel;
    const int64_t MR = uk.mr, NR = uk.nr;
    const int64_t CI = s->in_channels, CO = s->out_channels;
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t KD = s->kernel_size[0], KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t SW = s->stride[2], DW = s->dilation[2];
    const int64_t taps = KD * KH * KW, K = taps * CI;
    const int64_t RT = KD * KH; /* kernel rows */
    const int merge = DW == 1;  /* a kernel row's taps are contiguous in x */
    const int64_t ks = merge ? RT : taps, kc = merge ? KW * CI : CI;
    const int64_t rows = s->batch * OD * OH;
    if (rows == 0 || OW == 0) return CK_OK;

    int scalar_act;
    const ck_f32_clamp clamp = ck_clamp_for(act, &scalar_act);
    const int nt = ck_threads_for(rows * OW * K * CO);

    /* Run length along W: whole rows up to a bound (scratch must not grow with the image), and
     * shorter runs when there are too few rows to feed the threads. Only which thread computes a
     * pixel depends on this, never the sum. */
    int64_t CW = ck_min64(ck_cdiv64(OW, MR), 40) * MR;
    while (CW > MR && rows * ck_cdiv64(OW, CW) < 4 * (int64_t)nt) CW = ck_cdiv64(CW / MR, 2) * MR;
    const int64_t chunks = ck_cdiv64(OW, CW);
    const int64_t SUB = ck_max64(1, ck_min64(CW / MR, CK_SMALL_L1_OUT_FLOATS / (MR * CO))) * MR;
    const int64_t units = rows * chunks;
    const int64_t npanels = ck_cdiv64(CO, NR);
    const int prefetch_out = CO >= 64 && npanels > 1 && SUB * CO <= CK_SMALL_L1_OUT_FLOATS &&
                             rows * OW * CO * (int64_t)sizeof(float) >= CK_SMALL_PREFETCH_OUT_MIN_BYTES;
    const int64_t seg_max = (CW - 1) * SW + (KW - 1) * DW + 1; /* input pixels one run reads */

    const int64_t panel_floats = NR * (1 + K);
    float *wpack = NULL;
    if (packed == NULL) {
        wpack = ck_scratch_alloc((size_t)(npanels * panel_floats) * sizeof(float));
        if (wpack == NULL) return CK_ENOMEM;
        ck_f32_pack_panels_nr(K, CO, NR, w, CO, bias, wpack, panel_floats);
    }
    const float *wp = packed ? packed : wpack;
    /* Per thread: RT segment buffers, RT row bases, ks row pointers. One zero segment shared. */
    const size_t seg_floats = (size_t)(seg_max * CI);
    const size_t per_thread = (size_t)RT * seg_floats * sizeof(float) + 64 + (size_t)(RT + ks) * sizeof(float *);
    const size_t per_thread_al = ck_thread_slot_bytes(per_thread);
    char *tbuf = ck_scratch_alloc((size_t)nt * per_thread_al);
    float *zero = ck_scratch_alloc(seg_floats * sizeof(float));
    if (tbuf == NULL || zero == NULL) {
        ck_scratch_free(wpack);
        ck_scratch_free(tbuf);
        ck_scratch_free(zero);
        return CK_ENOMEM;
    }
    memset(zero, 0, seg_floats * sizeof(float));

#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
        const int tid = ck_thread_id(), team = ck_team_size();
        char *mine = tbuf + (size_t)tid * per_thread_al;
        float *segs = (float *)mine;
        const float **base = (const float **)(mine + (((size_t)RT * seg_floats * sizeof(float) + 63) & ~(size_t)63));
        const float **rp = base + RT;

        const int64_t u_begin = units * tid / team, u_end = units * (tid + 1) / team;
        for (int64_t u = u_begin; u < u_end; u++) {
            const int64_t row = u / chunks, c = u % chunks;
            const int64_t oh = row % OH, od = (row / OH) % OD, n = row / (OH * OD);
            const int64_t ow0 = c * CW, ow1 = ck_min64(OW, ow0 + CW);
            const int64_t iw_lo = ow0 * SW - s->pad_before[2];
            const int64_t seg = (ow1 - 1 - ow0) * SW + (KW - 1) * DW + 1;
            const int seg_inside = iw_lo >= 0 && iw_lo + seg <= IW;
            /* Kernel rows: the input row segment in place, copied with zero borders, or zeros. */
            for (int64_t kd = 0, r = 0; kd < KD; kd++) {
                const int64_t id = od * s->stride[0] - s->pad_before[0] + kd * s->dilation[0];
                for (int64_t kh = 0; kh < KH; kh++, r++) {
                    const int64_t ih = oh * s->stride[1] - s->pad_before[1] + kh * s->dilation[1];
                    if (id < 0 || id >= ID || ih < 0 || ih >= IH) {
                        base[r] = zero;
                        continue;
                    }
                    const float *xrow = x + ((n * ID + id) * IH + ih) * IW * CI;
                    if (seg_inside) {
                        base[r] = xrow + iw_lo * CI;
                        continue;
                    }
                    float *dst = segs + (size_t)r * seg_floats;
                    const int64_t a = iw_lo < 0 ? -iw_lo : 0;             /* leading zero pixels */
                    const int64_t b = ck_min64(seg, IW - iw_lo);          /* end of the in-image part */
                    if (b <= a) {
                        base[r] = zero;
                        continue;
                    }
                    memset(dst, 0, (size_t)(a * CI) * sizeof(float));
                    memcpy(dst + a * CI, xrow + (iw_lo + a) * CI, (size_t)((b - a) * CI) * sizeof(float));
                    memset(dst + b * CI, 0, (size_t)((seg - b) * CI) * sizeof(float));
                    base[r] = dst;
                }
            }
            for (int64_t t = 0; t < ks; t++) rp[t] = merge ? base[t] : base[t / KW] + (t % KW) * DW * CI;
            /* Sub-runs of SUB pixels whose output (SUB*CO floats) stays in L1 while every panel
             * passes over it, so each output line is completed before it leaves the cache. */
            for (int64_t p0 = ow0; p0 < ow1; p0 += SUB) {
                const int64_t npix = ck_min64(SUB, ow1 - p0);
                if (p0 > ow0)
                    for (int64_t t = 0; t < ks; t++) rp[t] += SUB * SW * CI;
                float *ct = y + (row * OW + p0) * CO;
                if (prefetch_out) {
                    /* The output lines of the sub-run after this one, into L2 (see
                     * CK_SMALL_PREFETCH_OUT_MIN_BYTES): this unit's next, or else the first of
                     * this thread's next unit; none after its last. */
                    int64_t pn = p0 + SUB, rown = row;
                    int has_next = pn < ow1;
                    if (!has_next && u + 1 < u_end) pn = (u + 1) % chunks * CW, rown = (u + 1) / chunks, has_next = 1;
                    if (has_next) {
                        const char *yn = (const char *)(y + (rown * OW + pn) * CO);
                        const int64_t bytes = ck_min64(SUB, OW - pn) * CO * (int64_t)sizeof(float);
                        for (int64_t off = 0; off < bytes; off += 64) _mm_prefetch(yn + off, _MM_HINT_T1);
                    }
                }
                for (int64_t q = 0; q < npanels; q++) {
                    const int64_t j0 = q * NR, nr = ck_min64(NR, CO - j0);
                    uk.fn((size_t)npix, (size_t)nr, (size_t)kc, (size_t)ks, rp, (size_t)(SW * CI),
                          wp + q * panel_floats, ct + j0, (size_t)CO, &clamp);
                    if (scalar_act) ck_activate_tile_f32((size_t)npix, (size_t)nr, ct + j0, (size_t)CO, act);
                }
            }
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(wpack);
    ck_scratch_free(tbuf);
    ck_scratch_free(zero);
    return CK_OK;
}

ck_status ck_f32_conv_nd__small(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                ck_activation act, float *y) {
    return ck_conv_small_run(s, x, w, bias, NULL, act, y);
}

ck_status ck_f32_conv_nd__small_packed(const ck_conv_shape *s, const float *x, const float *panels,
                                       ck_activation act, float *y) {
    return ck_conv_small_run(s, x, NULL, NULL, panels, act, y);
}
