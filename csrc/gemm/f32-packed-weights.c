/* Weights packed once, into a caller-owned buffer (see "weights packed once" in
 * convkit/kernels.h and convkit/gemm.h): the NR-column panels the GEMM and convolution drivers
 * would otherwise pack at every call, behind a header that records the kernel shape and the
 * dispatch path, so a stale or foreign buffer is never used. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/transpose4.h"
#include "convkit/validate.h"

void ck_f32_pack_panels_rows(int64_t r0, int64_t r1, int64_t cols, int64_t nr, const float *CK_RESTRICT w,
                             int64_t ldw, float *CK_RESTRICT dst, int64_t panel_stride) {
    const int64_t full = cols / nr, rest = cols - full * nr;
    /* Along each row of w, not down each panel: one NR-wide strip per panel walked the whole
     * matrix once per panel (rows ldw apart), and packing 4608x512 weights took 0.94-0.98 ms
     * against 0.65 ms row by row (Xeon, 1 thread). Whole panels of the vector kernels' widths
     * are copies of constant size that the compiler inlines. */
    for (int64_t r = r0; r < r1; r++) {
        const float *src = w + r * ldw;
        float *out = dst + r * nr;
        if (nr == 32)
            for (int64_t q = 0; q < full; q++) memcpy(out + q * panel_stride, src + q * 32, 32 * sizeof(float));
        else if (nr == 16)
            for (int64_t q = 0; q < full; q++) memcpy(out + q * panel_stride, src + q * 16, 16 * sizeof(float));
        else
            for (int64_t q = 0; q < full; q++) memcpy(out + q * panel_stride, src + q * nr, (size_t)nr * sizeof(float));
        if (rest > 0) {
            float *last = out + full * panel_stride;
            int64_t j = 0;
            for (; j < rest; j++) last[j] = src[full * nr + j];
            for (; j < nr; j++) last[j] = 0.0f;
        }
    }
}

void ck_f32_pack_panels_bias(int64_t cols, int64_t nr, const float *CK_RESTRICT bias, float *CK_RESTRICT dst,
                             int64_t panel_stride) {
    const int64_t npanels = (cols + nr - 1) / nr;
    for (int64_t q = 0; q < npanels; q++)
        for (int64_t j = 0; j < nr; j++)
            dst[q * panel_stride + j] = (bias && q * nr + j < cols) ? bias[q * nr + j] : 0.0f;
}

/* nr x kn block of wt (rows ldwt apart) into rows k of a panel, transposed: panel[k*nr + j] =
 * wt[j*ldwt + k]. SSE (baseline on x86-64) moves 4x4 tiles; the rest one value at a time. */
static void ck_transpose_into_panel(int64_t valid, int64_t kn, int64_t nr, const float *CK_RESTRICT wt,
                                    int64_t ldwt, float *CK_RESTRICT panel) {
    int64_t j0 = 0;
#ifdef __SSE__
    for (; j0 + 4 <= valid; j0 += 4) {
        const float *r0 = wt + j0 * ldwt, *r1 = r0 + ldwt, *r2 = r1 + ldwt, *r3 = r2 + ldwt;
        int64_t k = 0;
        for (; k + 4 <= kn; k += 4) ck_transpose_4x4(r0 + k, ldwt, panel + k * nr + j0, nr);
        for (; k < kn; k++) {
            panel[k * nr + j0] = r0[k], panel[k * nr + j0 + 1] = r1[k];
            panel[k * nr + j0 + 2] = r2[k], panel[k * nr + j0 + 3] = r3[k];
        }
    }
#endif
    for (int64_t j = j0; j < valid; j++)
        for (int64_t k = 0; k < kn; k++) panel[k * nr + j] = wt[j * ldwt + k];
    for (int64_t j = valid; j < nr; j++)
        for (int64_t k = 0; k < kn; k++) panel[k * nr + j] = 0.0f;
}

void ck_f32_pack_panels_from_transpose(int64_t q0, int64_t q1, int64_t rows, int64_t cols, int64_t nr,
                                       const float *CK_RESTRICT wt, int64_t ldwt, float *CK_RESTRICT dst,
                                       int64_t panel_stride) {
    /* KB rows of a panel at a time: its nr source rows are read KB floats each and the KB x nr
     * block is written whole, both within L1. A separate transpose and then _rows passed over
     * the weights twice more (DCGAN's 'valid' layer, 16 taps of 256x512, 1 thread: 7.7% of the
     * layer's profile samples -> 2.8%). */
    enum { KB = 64 };
    for (int64_t q = q0; q < q1; q++) {
        const int64_t n0 = q * nr, valid = cols - n0 < nr ? cols - n0 : nr;
        float *panel = dst + q * panel_stride;
        for (int64_t k0 = 0; k0 < rows; k0 += KB)
            ck_transpose_into_panel(valid, rows - k0 < KB ? rows - k0 : KB, nr, wt + n0 * ldwt + k0, ldwt,
                                    panel + k0 * nr);
    }
}

void ck_f32_pack_panels_nr(int64_t rows, int64_t cols, int64_t nr, const float *CK_RESTRICT w, int64_t ldw,
                           const float *CK_RESTRICT bias, float *CK_RESTRICT dst, int64_t panel_stride) {
    ck_f32_pack_panels_bias(cols, nr, bias, dst, panel_stride);
    ck_f32_pack_panels_rows(0, rows, cols, nr, w, ldw, dst + nr, panel_stride);
}

/* Start of the 64-byte aligned area inside a caller's buffer. */
static uintptr_t ck_aligned_start(const void *buf) { return ((uintptr_t)buf + 63u) & ~(uintptr_t)63u; }

/* Bytes for `floats` panel floats plus header and alignment slack; -1 on overflow. */
static int64_t ck_packed_bytes(int64_t panel_floats_total) {
    const int64_t data = ck_checked_mul(panel_floats_total, (int64_t)sizeof(float));
    if (data < 0 || data > INT64_MAX - 256) return -1;
    return data + 64 + CK_PACKED_HEADER_BYTES;
}

const ck_packed_header *ck_packed_view(const void *buf, size_t bytes, const float **panels) {
    if (buf == NULL || bytes < 64 + CK_PACKED_HEADER_BYTES) return NULL;
    const uintptr_t start = ck_aligned_start(buf);
    const ck_packed_header *h = (const ck_packed_header *)start;
    if ((size_t)(start - (uintptr_t)buf) + CK_PACKED_HEADER_BYTES > bytes || h->magic != CK_PACKED_MAGIC) return NULL;
    if (h->nr < 1 || h->groups < 1 || h->taps < 1 || h->cig < 0 || h->cout < 1) return NULL;
    const int64_t npanels = (h->cout / h->groups + h->nr - 1) / h->nr;
    const int64_t floats = ck_checked_mul(ck_checked_mul(h->groups, npanels),
                                          ck_checked_mul(h->nr, 1 + ck_checked_mul(h->taps, h->cig)));
    const int64_t need = floats < 0 ? -1 : ck_packed_bytes(floats);
    if (need < 0 || (uint64_t)need > (uint64_t)bytes) return NULL;
    *panels = (const float *)(start + CK_PACKED_HEADER_BYTES);
    return h;
}

int ck_packed_is_current(const void *packed, size_t packed_bytes) {
    const float *panels;
    const ck_packed_header *h = ck_packed_view(packed, packed_bytes, &panels);
    if (h == NULL || h->path != ck_dispatch_path_id()) return 0;
    const int nr = h->kind == CK_PACKED_KIND_CONV ? ck_igemm_for(h->groups, h->cout / h->groups)->nr
                                                  : ck_dispatch.gemm_ukernel.nr;
    return h->nr == nr;
}

/* Shared by both kinds: header, then G * npanels panels of nr * (1 + taps*cig) floats; the
 * weight matrix of group g starts at w + g*cout/G, rows ldw apart. */
static ck_status ck_pack_into(int kind, int64_t nr, int64_t mr, int64_t G, int64_t taps, int64_t cig, int64_t cout,
                              const float *w, int64_t ldw, const float *bias, void *buf, size_t bytes) {
    const int64_t cog = cout / G, npanels = (cog + nr - 1) / nr, K = taps * cig;
    const int64_t panel_floats = nr * (1 + K);
    const int64_t need = ck_packed_bytes(ck_checked_mul(G * npanels, panel_floats));
    if (need < 0) return CK_EOVERFLOW;
    if (buf == NULL || (uint64_t)need > (uint64_t)bytes) return CK_EINVAL;
    if (K > 0 && w == NULL) return CK_EINVAL;
    const uintptr_t start = ck_aligned_start(buf);
    ck_packed_header h;
    memset(&h, 0, sizeof h);
    h.magic = CK_PACKED_MAGIC;
    h.kind = kind;
    h.path = ck_dispatch_path_id();
    h.mr = (int32_t)mr;
    h.nr = (int32_t)nr;
    h.has_bias = bias != NULL;
    h.groups = G;
    h.taps = taps;
    h.cig = cig;
    h.cout = cout;
    float *dst = (float *)(start + CK_PACKED_HEADER_BYTES);
    for (int64_t g = 0; g < G; g++)
        ck_f32_pack_panels_nr(K, cog, nr, K > 0 ? w + g * cog : NULL, ldw, bias ? bias + g * cog : NULL,
                              dst + g * npanels * panel_floats, panel_floats);
    memcpy((void *)start, &h, sizeof h);
    return CK_OK;
}

static int ck_conv_pack_shape_ok(const ck_conv_shape *s) {
    if (s == NULL || s->in_channels < 1 || s->out_channels < 1 || s->groups < 1) return 0;
    if (s->in_channels % s->groups || s->out_channels % s->groups) return 0;
    for (int d = 0; d < CK_SPATIAL_DIMS; d++)
        if (s->kernel_size[d] < 1) return 0;
    return 1;
}

ck_status ck_f32_conv_pack_size(const ck_conv_shape *s, size_t *bytes) {
    if (!ck_conv_pack_shape_ok(s) || bytes == NULL) return CK_EINVAL;
    const int64_t nr = ck_igemm_for(s->groups, s->out_channels / s->groups)->nr, G = s->groups;
    const int64_t taps = ck_checked_product(s->kernel_size, CK_SPATIAL_DIMS);
    const int64_t K = ck_checked_mul(taps, s->in_channels / G);
    const int64_t npanels = (s->out_channels / G + nr - 1) / nr;
    const int64_t need = K < 0 ? -1 : ck_packed_bytes(ck_checked_mul(G * npanels, ck_checked_mul(nr, 1 + K)));
    if (need < 0) return CK_EOVERFLOW;
    *bytes = (size_t)need;
    return CK_OK;
}

ck_status ck_f32_conv_pack(const ck_conv_shape *s, const float *w, const float *bias, void *buf, size_t bytes) {
    size_t need;
    ck_status st = ck_f32_conv_pack_size(s, &need);
    if (st != CK_OK) return st;
    if (bytes < need || w == NULL) return CK_EINVAL;
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const ck_f32_igemm_ukernel *uk = ck_igemm_for(s->groups, s->out_channels / s->groups);
    return ck_pack_into(CK_PACKED_KIND_CONV, uk->nr, uk->mr, s->groups, taps, s->in_channels / s->groups,
                        s->out_channels, w, s->out_channels, bias, buf, bytes);
}

ck_status ck_f32_gemm_pack_size(int64_t K, int64_t N, size_t *bytes) {
    if (K < 0 || N < 1 || bytes == NULL) return CK_EINVAL;
    const int64_t nr = ck_dispatch.gemm_ukernel.nr, npanels = (N + nr - 1) / nr;
    const int64_t need = ck_packed_bytes(ck_checked_mul(npanels, ck_checked_mul(nr, 1 + K)));
    if (need < 0) return CK_EOVERFLOW;
    *bytes = (size_t)need;
    return CK_OK;
}

ck_status ck_f32_gemm_pack(int64_t K, int64_t N, const float *B, int64_t ldb, const float *bias, void *buf,
                           size_t bytes) {
    size_t need;
    ck_status st = ck_f32_gemm_pack_size(K, N, &need);
    if (st != CK_OK) return st;
    if (bytes < need || (K > 0 && (B == NULL || ldb < N))) return CK_EINVAL;
    return ck_pack_into(CK_PACKED_KIND_GEMM, ck_dispatch.gemm_ukernel.nr, ck_dispatch.gemm_ukernel.mr, 1, 1, K, N,
                        B, ldb, bias, buf, bytes);
}
