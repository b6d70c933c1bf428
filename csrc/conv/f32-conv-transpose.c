/* Transposed convolution as stride-1 convolutions, one per output phase (the sub-pixel
 * decomposition: Shi et al., "Real-Time Single Image and Video Super-Resolution Using an
 * Efficient Sub-Pixel Convolutional Neural Network", 2016, and the phase split of strided
 * deconvolution in Zhang et al., "Accelerating the Super-Resolution CNN", 2016).
 *
 * Per spatial dimension with stride s, dilation d and crop c: output o receives input i through
 * tap k exactly when o + c = i*s + k*d (see convkit/kernels.h). Outputs of one phase
 * rho = (o + c) mod s, o = o0 + s*j, are fed only by the taps with k*d = rho (mod s); for those,
 * k*d = s*m_k + rho and i = q0 + j - m_k with q0 = (o0 + c - rho) / s. Consecutive such taps
 * are s/g apart in k and d/g apart in m (g = gcd(d, s)). Taken in reverse order that is an
 * ordinary convolution of the input over j: stride 1, dilation d/g, kernel U taps,
 * pad_before m_max - q0. Every output belongs to exactly one phase, so each phase runs on the
 * fast convolution driver (ck_f32_conv_nd: Winograd, small-channel direct, or indirect GEMM,
 * bias and activation fused). The indirect GEMM writes straight into the phase's strided places
 * in y (ck_conv_out_map); the other routes write a scratch grid that is then copied there. A
 * phase with no taps is act(bias).
 *
 * Where the phases' borders would spend over a sixth more products than the scatter needs
 * ('valid' layers with kernels longer than the stride), GEMM + col2im runs instead (below).
 *
 * Results do not depend on the thread count (the drivers' guarantee; the copy is a copy). The
 * reference kernel (csrc/ref/f32-conv-transpose-nd.c) remains for the "ref" path and for the
 * shapes this cannot express: a crop so large that a phase would need negative padding (more
 * than the kernel's reach, which Keras's padding rules never produce). Scratch: the weights of
 * one phase (at most the kernel's size) and one phase's output (about y / prod(strides)). */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/kernels.h"
#include "convkit/threads.h"

/* One spatial dimension of one phase. */
typedef struct ck_tphase {
    int64_t o0, n;   /* first output position, count (stride s apart) */
    int64_t taps;    /* U, the kernel taps feeding it, listed in k[] in increasing order */
    int64_t dil;     /* dilation of the equivalent convolution */
    int64_t pad;     /* its pad_before (may come out negative: not expressible) */
} ck_tphase;

static int64_t ck_gcd64(int64_t a, int64_t b) {
    while (b != 0) {
        const int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Phase rho of a dimension; fills k[0..taps) (taps <= K). */
static ck_tphase ck_tphase_of(int64_t rho, int64_t O, int64_t K, int64_t s, int64_t d, int64_t c, int64_t *k) {
    ck_tphase p;
    p.o0 = ((rho - c) % s + s) % s;
    p.n = p.o0 < O ? (O - p.o0 + s - 1) / s : 0;
    p.taps = 0;
    for (int64_t t = 0; t < K; t++)
        if ((t * d) % s == rho) k[p.taps++] = t;
    p.dil = p.taps > 1 ? d / ck_gcd64(d, s) : 1;
    const int64_t q0 = (p.o0 + c - rho) / s;
    p.pad = p.taps > 0 ? (k[p.taps - 1] * d - rho) / s - q0 : 0;
    return p;
}

/* dst[c * ldd + r] = src[r * lds + c] for a rows x cols block, in 32x32 tiles: one side is
 * strided either way, and walking it a whole row or column at a time was 8-25% of a layer.
 * (Measured when the GEMM + col2im route below still transposed the kernel with this: 16 taps
 * of 256x512, 16x16 tiles 1.5 ms alone, 32x32 1.2 ms; that route now packs from w directly.) */
static void ck_transpose_block(int64_t rows, int64_t cols, const float *src, int64_t lds, float *dst, int64_t ldd) {
    for (int64_t r0 = 0; r0 < rows; r0 += 32)
        for (int64_t c0 = 0; c0 < cols; c0 += 32) {
            const int64_t r1 = r0 + 32 < rows ? r0 + 32 : rows, c1 = c0 + 32 < cols ? c0 + 32 : cols;
            for (int64_t c = c0; c < c1; c++)
                for (int64_t r = r0; r < r1; r++) dst[c * ldd + r] = src[r * lds + c];
        }
}

/* ---- GEMM + col2im -------------------------------------------------------------------------
 * The scatter definition directly: a block of input pixels times the kernel as one GEMM,
 * cols[i, (tap, co)] = x[i, :] . w[tap, co, :], then each tap's row added onto its output pixel
 * (the col2im of Caffe-era deconvolution layers, and ONNX Runtime's ConvTranspose). No product is
 * spent on padding, where the phases' convolutions pay for the taps that fall off the input on
 * their borders (a DCGAN layer, 8x8 -> 18x18 with a 4x4 kernel: 21% of the phases' products).
 * Deterministic: y starts as the bias, and every output gets its adds in the same order (input
 * block, pixel, tap) whatever the thread count, since the team splits the adds by channel blocks
 * and the GEMM never splits a sum. Scratch: the kernel as GEMM panels of its CI x taps*CO matrix
 * and one block of cols (at most CK_COL2IM_BYTES). Groups = 1 only. */
#define CK_COL2IM_BYTES (1 << 21)

/* yo[0:n] += src[0:n], with restrict: y and cols never overlap, so the compiler need not check. */
static void ck_add_span(float *CK_RESTRICT yo, const float *CK_RESTRICT src, int64_t n) {
    for (int64_t i = 0; i < n; i++) yo[i] += src[i];
}

static ck_status ck_conv_transpose_col2im(const ck_conv_shape *s, const float *x, const float *w, const float *bias,
                                          ck_activation act, float *y) {
    const int64_t CI = s->in_channels, CO = s->out_channels;
    const int64_t KD = s->kernel_size[0], KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t ID = s->in_size[0], IH = s->in_size[1], IW = s->in_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    const int64_t taps = KD * KH * KW, N = taps * CO;
    const int64_t P_in = s->batch * ID * IH * IW, P_out = s->batch * OD * OH * OW;
    int64_t B = CK_COL2IM_BYTES / (N * (int64_t)sizeof(float));
    B = B < 1 ? 1 : (B > P_in ? P_in : B);
    /* The kernel as GEMM panels of the CI x taps*CO matrix [ci][t*CO + co] = w[t][co][ci], packed
     * once for all blocks straight from w, which is that matrix's transpose (per block, packing
     * it again had cost more than the products: DCGAN's layer 26.6 -> 37 ms). */
    const int64_t NR = ck_dispatch.gemm_ukernel.nr, npanels = (N + NR - 1) / NR, panel_floats = NR * (1 + CI);
    float *panels = ck_scratch_alloc((size_t)(npanels * panel_floats) * sizeof(float));
    float *cols = ck_scratch_alloc((size_t)(B * N) * sizeof(float));
    if (panels == NULL || cols == NULL) {
        ck_scratch_free(panels);
        ck_scratch_free(cols);
        return CK_ENOMEM;
    }
    ck_f32_pack_panels_bias(N, NR, NULL, panels, panel_floats);
    CK_PARALLEL_FOR(CI * N)
    for (int64_t q = 0; q < npanels; q++)
        ck_f32_pack_panels_from_transpose(q, q + 1, CI, N, NR, w, CI, panels + NR, panel_floats);
    CK_PARALLEL_FOR(P_out * CO)
    for (int64_t p = 0; p < P_out; p++)
        for (int64_t co = 0; co < CO; co++) y[p * CO + co] = bias ? bias[co] : 0.0f;
    const ck_activation linear = {CK_ACT_LINEAR, 0.0f};
    ck_status st = CK_OK;
    for (int64_t p0 = 0; p0 < P_in && st == CK_OK; p0 += B) {
        const int64_t b = P_in - p0 < B ? P_in - p0 : B;
        st = ck_f32_gemm__blocked_packed(b, N, CI, x + p0 * CI, CI, panels, 0, linear, cols, N);
        if (st != CK_OK) break;
        /* One channel block per thread (multiples of 16): the split decides only who adds, not
         * the order of any output's adds, so it may follow the team size. Fixed blocks of 64
         * made one thread walk cols four times in 256-byte pieces (DCGAN's 'valid' layer,
         * 1 thread: the scatter 8.0% of the layer's profile samples -> 2.3%). */
        const int64_t team = ck_threads_for(b * N);
        const int64_t cb_size = ((CO + team - 1) / team + 15) / 16 * 16;
        const int64_t cblocks = (CO + cb_size - 1) / cb_size;
        CK_PARALLEL_FOR(b * N)
        for (int64_t cb = 0; cb < cblocks; cb++) {
            const int64_t c0 = cb * cb_size, c1 = c0 + cb_size < CO ? c0 + cb_size : CO;
            for (int64_t i = 0; i < b; i++) {
                const int64_t p = p0 + i;
                const int64_t iw = p % IW, ih = (p / IW) % IH, id = (p / (IW * IH)) % ID, n = p / (IW * IH * ID);
                const float *ci_row = cols + i * N;
                for (int64_t kd = 0, t = 0; kd < KD; kd++) {
                    const int64_t od = id * s->stride[0] + kd * s->dilation[0] - s->pad_before[0];
                    for (int64_t kh = 0; kh < KH; kh++) {
                        const int64_t oh = ih * s->stride[1] + kh * s->dilation[1] - s->pad_before[1];
                        for (int64_t kw = 0; kw < KW; kw++, t++) {
                            const int64_t ow = iw * s->stride[2] + kw * s->dilation[2] - s->pad_before[2];
                            if (od < 0 || od >= OD || oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                            float *yo = y + (((n * OD + od) * OH + oh) * OW + ow) * CO;
                            ck_add_span(yo + c0, ci_row + t * CO + c0, c1 - c0);
                        }
                    }
                }
            }
        }
    }
    ck_scratch_free(panels);
    ck_scratch_free(cols);
    if (st == CK_OK && act.kind != CK_ACT_LINEAR) st = ck_f32_activation(P_out * CO, y, act);
    return st;
}

/* Products the phases would spend, over those the scatter needs (>= 1: taps off the input). */
static double ck_phase_waste(const ck_conv_shape *s) {
    double useful = 1.0, spent = 1.0;
    for (int d = 0; d < CK_SPATIAL_DIMS; d++) {
        int64_t in_reach = 0; /* sum over outputs of the taps that land on one */
        for (int64_t r = 0; r < s->stride[d]; r++) {
            const int64_t o0 = ((r - s->pad_before[d]) % s->stride[d] + s->stride[d]) % s->stride[d];
            const int64_t n = o0 < s->out_size[d] ? (s->out_size[d] - o0 + s->stride[d] - 1) / s->stride[d] : 0;
            int64_t taps = 0;
            for (int64_t t = 0; t < s->kernel_size[d]; t++)
                if ((t * s->dilation[d]) % s->stride[d] == r) taps++;
            in_reach += n * taps;
        }
        int64_t hits = 0; /* (input, tap) pairs landing inside the output */
        for (int64_t t = 0; t < s->kernel_size[d]; t++)
            for (int64_t i = 0; i < s->in_size[d]; i++) {
                const int64_t o = i * s->stride[d] + t * s->dilation[d] - s->pad_before[d];
                hits += o >= 0 && o < s->out_size[d];
            }
        useful *= (double)(hits > 0 ? hits : 1);
        spent *= (double)(in_reach > 0 ? in_reach : 1);
    }
    return spent / useful;
}

ck_status ck_f32_conv_transpose_nd__phases(const ck_conv_shape *s, const float *x, const float *w,
                                           const float *bias, ck_activation act, float *y) {
    const int D = CK_SPATIAL_DIMS;
    /* Phases whose borders would waste over a sixth of the products: GEMM + col2im instead. */
    if (s->groups == 1 && ck_phase_waste(s) > 1.15) return ck_conv_transpose_col2im(s, x, w, bias, act, y);
    const int64_t CI = s->in_channels, CO = s->out_channels, G = s->groups;
    const int64_t CIG = CI / G, COG = CO / G;
    const int64_t *const nphase = s->stride;
    int64_t taps_total = 1, grid_max = s->batch; /* the kernel's taps; the largest phase output */
    for (int d = 0; d < D; d++) {
        taps_total *= s->kernel_size[d];
        grid_max *= (s->out_size[d] + s->stride[d] - 1) / s->stride[d];
    }
    /* The taps of one phase per dimension, then the phase's kernel and output. */
    int64_t *kd_ = ck_scratch_alloc((size_t)(s->kernel_size[0] + s->kernel_size[1] + s->kernel_size[2]) *
                                    sizeof(int64_t));
    if (kd_ == NULL) return CK_ENOMEM;
    int64_t *kh_ = kd_ + s->kernel_size[0], *kw_ = kh_ + s->kernel_size[1];
    /* Every phase's padding must be expressible (checked before anything is written). */
    for (int d = 0; d < D; d++)
        for (int64_t r = 0; r < nphase[d]; r++) {
            const ck_tphase p = ck_tphase_of(r, s->out_size[d], s->kernel_size[d], s->stride[d], s->dilation[d],
                                             s->pad_before[d], kd_);
            if (p.n > 0 && p.taps > 0 && p.pad < 0) {
                ck_scratch_free(kd_);
                return CK_EUNSUPPORTED;
            }
        }
    float *wsub = ck_scratch_alloc((size_t)(taps_total * CIG * CO) * sizeof(float));
    float *tmp = ck_scratch_alloc((size_t)(grid_max * CO) * sizeof(float));
    if (wsub == NULL || tmp == NULL) {
        ck_scratch_free(kd_);
        ck_scratch_free(wsub);
        ck_scratch_free(tmp);
        return CK_ENOMEM;
    }
    ck_status status = CK_OK;
    const int64_t KH = s->kernel_size[1], KW = s->kernel_size[2];
    const int64_t OD = s->out_size[0], OH = s->out_size[1], OW = s->out_size[2];
    for (int64_t rd = 0; rd < nphase[0] && status == CK_OK; rd++) {
        const ck_tphase pd = ck_tphase_of(rd, OD, s->kernel_size[0], s->stride[0], s->dilation[0], s->pad_before[0], kd_);
        for (int64_t rh = 0; rh < nphase[1] && status == CK_OK; rh++) {
            const ck_tphase ph = ck_tphase_of(rh, OH, KH, s->stride[1], s->dilation[1], s->pad_before[1], kh_);
            for (int64_t rw = 0; rw < nphase[2] && status == CK_OK; rw++) {
                const ck_tphase pw = ck_tphase_of(rw, OW, KW, s->stride[2], s->dilation[2], s->pad_before[2], kw_);
                if (pd.n == 0 || ph.n == 0 || pw.n == 0) continue;
                const int64_t cells = s->batch * pd.n * ph.n * pw.n;
                if (pd.taps == 0 || ph.taps == 0 || pw.taps == 0) {
                    /* Nothing reaches these outputs: the empty sum. */
                    for (int64_t co = 0; co < CO; co++) tmp[co] = ck_activate_f32(bias ? bias[co] : 0.0f, act);
                    for (int64_t i = 1; i < cells; i++) memcpy(tmp + i * CO, tmp, (size_t)CO * sizeof(float));
                } else {
                    /* The phase's kernel in the convolution layout [vd][vh][vw][ci][co], taps in
                     * reverse: w is [kd][kh][kw][cog][g*CIG + ci]. */
                    const int64_t U = pd.taps * ph.taps * pw.taps;
                    CK_PARALLEL_FOR(U * CIG * CO)
                    for (int64_t v = 0; v < U; v++) {
                        const int64_t vw = v % pw.taps, vh = (v / pw.taps) % ph.taps, vd = v / (pw.taps * ph.taps);
                        const int64_t tap = (kd_[pd.taps - 1 - vd] * KH + kh_[ph.taps - 1 - vh]) * KW +
                                            kw_[pw.taps - 1 - vw];
                        const float *src = w + tap * COG * CI;
                        float *dst = wsub + v * CIG * CO;
                        /* a COG x CIG transpose per group */
                        for (int64_t g = 0; g < G; g++)
                            ck_transpose_block(COG, CIG, src + g * CIG, CI, dst + g * COG, CO);
                    }
                    ck_conv_shape sub = *s;
                    const ck_tphase *ps[3] = {&pd, &ph, &pw};
                    for (int d = 0; d < D; d++) {
                        sub.out_size[d] = ps[d]->n;
                        sub.kernel_size[d] = ps[d]->taps;
                        sub.stride[d] = 1;
                        sub.dilation[d] = ps[d]->dil;
                        sub.pad_before[d] = ps[d]->pad;
                    }
                    if (ck_f32_conv_auto_is_igemm(&sub)) {
                        /* straight into the phase's strided places in y: no scratch grid and no
                         * second pass over the output (U-Net's 2x2 stride-2 upsampling, 1 thread:
                         * 2.05 -> 1.78 ms; ONNX Runtime 1.81) */
                        const ck_conv_out_map map = {{OD * OH * OW * CO, s->stride[0] * OH * OW * CO,
                                                      s->stride[1] * OW * CO, s->stride[2] * CO}};
                        status = ck_f32_conv_nd__igemm_mapped(&sub, x, wsub, bias, act,
                                                              y + ((pd.o0 * OH + ph.o0) * OW + pw.o0) * CO, &map);
                        continue;
                    }
                    status = ck_f32_conv_nd(&sub, x, wsub, bias, act, CK_ALGO_AUTO, tmp);
                    if (status != CK_OK) break;
                }
                /* Each phase cell to its place in y. */
                const int64_t sd = s->stride[0], sh = s->stride[1], sw = s->stride[2];
                CK_PARALLEL_FOR(cells * CO)
                for (int64_t row = 0; row < s->batch * pd.n * ph.n; row++) {
                    const int64_t jh = row % ph.n, jd = (row / ph.n) % pd.n, n = row / (ph.n * pd.n);
                    const int64_t od = pd.o0 + sd * jd, oh = ph.o0 + sh * jh;
                    float *yrow = y + ((n * OD + od) * OH + oh) * OW * CO;
                    const float *trow = tmp + row * pw.n * CO;
                    for (int64_t jw = 0; jw < pw.n; jw++)
                        memcpy(yrow + (pw.o0 + sw * jw) * CO, trow + jw * CO, (size_t)CO * sizeof(float));
                }
            }
        }
    }
    ck_scratch_free(kd_);
    ck_scratch_free(wsub);
    ck_scratch_free(tmp);
    return status;
}
