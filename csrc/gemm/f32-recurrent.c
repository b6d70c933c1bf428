/* The time loop of the recurrent layers (SimpleRNN, LSTM, GRU with reset_after) in C: per step
 * one GEMM of the state with the recurrent kernel, packed once per call (ck_f32_gemm_packed), and
 * the gates over the rows. The input projection x @ kernel + bias of every step is one large
 * GEMM the caller makes before (convkit.layers.recurrent).
 *
 * The Python loop this replaces paid ~40 us of interpreter and NumPy calls a step (LSTM, 16 x 128
 * units: 4.9 ms for 100 steps against PyTorch's 2.0). The arithmetic is the same, operation for
 * operation (this file is compiled without FMA, so f*c + i*g rounds each product as NumPy does),
 * and the activations are the table's span kernels the layers' activations use, so both give the
 * same bits. The gates of a row go through the table's rnn_gates where the path has one (all of
 * them in vector registers, csrc/x86/f32-rnn-gates.h: LSTM 128 over 16x100x64, 1 thread, 3.80-4.15
 * -> 3.66-3.73 ms in alternating builds), else through the portable loop ck_rnn_gates_f32.
 *
 * Threads: the rows of a batch never meet in a recurrence, so blocks of rows run the whole
 * sequence on their own, one block per thread, with no synchronisation between steps. (One GEMM
 * split over all threads per step left the gates on one thread and paid a fork and a join every
 * step: LSTM 128 over 16x100x64 took 2.41 ms at 1 thread and 2.14 ms at 2; 1.36 ms at 2 with
 * blocks.) A block is never a single row unless the batch is one row (M = 1 takes the GEMM's row
 * kernel, which sums in another order); any other number of rows gives every row the same FMAs as
 * one GEMM over the whole batch, so the bits do not depend on the blocks, hence not on the thread
 * count, and equal the Python loop's.
 *
 * Masks (Keras's, from Embedding(mask_zero=True) or Masking): a row's masked step skips its gates,
 * so its state stays as it was (Keras's where(mask, new, old) keeps the old values exactly), and
 * its share of the step's GEMM (see ck_rnn_rows). */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/kernels.h"
#include "convkit/threads.h"

static int ck_rnn_act_valid(ck_activation a) { return a.kind >= 0 && a.kind < CK_ACT_COUNT_; }

static void ck_rnn_act(float *x, int64_t n, ck_activation act) {
    if (act.kind != CK_ACT_LINEAR) ck_dispatch.activate_span(x, (size_t)n, act);
}

/* The gates of one row, portably: zr = h @ U of the row (G blocks of units, overwritten), xr its
 * input projection, hr and cr (LSTM) the state, tr one row of scratch. The table's rnn_gates does
 * the same operations in vectors (csrc/x86/f32-rnn-gates.h). */
static void ck_rnn_gates_f32(int cell, int64_t units, float *zr, const float *xr, float *hr, float *cr, float *tr,
                             ck_activation act, ck_activation rec_act) {
    const int64_t W = (cell == CK_RNN_LSTM ? 4 : (cell == CK_RNN_GRU ? 3 : 1)) * units;
    if (cell == CK_RNN_SIMPLE) {
        for (int64_t j = 0; j < units; j++) zr[j] += xr[j];
        ck_rnn_act(zr, units, act);
        memcpy(hr, zr, (size_t)units * sizeof(float));
    } else if (cell == CK_RNN_LSTM) {
        /* gates i, f, g, o (Keras's column order) */
        for (int64_t j = 0; j < W; j++) zr[j] += xr[j];
        ck_rnn_act(zr, 2 * units, rec_act);
        ck_rnn_act(zr + 2 * units, units, act);
        ck_rnn_act(zr + 3 * units, units, rec_act);
        const float *ig = zr, *fg = zr + units, *gg = zr + 2 * units, *og = zr + 3 * units;
        for (int64_t j = 0; j < units; j++) {
            const float fc = fg[j] * cr[j], ic = ig[j] * gg[j];
            cr[j] = fc + ic;
        }
        memcpy(tr, cr, (size_t)units * sizeof(float));
        ck_rnn_act(tr, units, act);
        for (int64_t j = 0; j < units; j++) hr[j] = og[j] * tr[j];
    } else {
        /* GRU, reset gate after the recurrent product: z, r, then the candidate */
        float *zg = zr, *rg = zr + units, *hu = zr + 2 * units;
        for (int64_t j = 0; j < 2 * units; j++) zr[j] = xr[j] + zr[j];
        ck_rnn_act(zr, 2 * units, rec_act);
        for (int64_t j = 0; j < units; j++) {
            const float rh = rg[j] * hu[j];
            hu[j] = xr[2 * units + j] + rh;
        }
        ck_rnn_act(hu, units, act);
        for (int64_t j = 0; j < units; j++) {
            const float keep = zg[j] * hr[j], take = (1.0f - zg[j]) * hu[j];
            hr[j] = keep + take;
        }
    }
}

/* Steps 0..steps-1 for rows [b0, b1) of the batch (h, c, z, tmp, hc rows of those rows). */
static ck_status ck_rnn_rows(int cell, int64_t b0, int64_t b1, int64_t steps, int64_t units, const float *xproj,
                             const float *rkernel, const float *rbias, const void *packed, size_t bytes,
                             ck_activation act, ck_activation rec_act, float *h, float *c, float *z, float *tmp,
                             float *hc, int64_t *live, float *seq, const uint8_t *mask, int zero_masked) {
    const int64_t G = cell == CK_RNN_LSTM ? 4 : (cell == CK_RNN_GRU ? 3 : 1), W = G * units, rows = b1 - b0;
    const ck_activation linear = {CK_ACT_LINEAR, 0.0f};
    const ck_rnn_gates_fn gates = ck_dispatch.rnn_gates;
    live += b0; /* this block's part of the index scratch */
    for (int64_t t = 0; t < steps; t++) {
        /* The rows this step updates. A masked row needs no h @ U, so when some rows are masked
         * (the ends of right-padded sequences) their states are gathered into hc and the GEMM runs
         * over the live rows only: LSTM 128 over 16x100 with lengths 40-100 does ~30% fewer
         * multiply-adds. A GEMM never runs over one row unless the block is one row: M = 1 takes
         * the row kernel, which sums in another order, so a lone live row takes a masked row
         * along (its product is thrown away) and every row keeps the bits of the full GEMM. */
        int64_t nlive = rows;
        if (mask != NULL) {
            nlive = 0;
            for (int64_t b = b0; b < b1; b++)
                if (mask[b * steps + t]) live[nlive++] = b;
        }
        const int compact = nlive < rows;
        int64_t m = nlive;
        if (compact && nlive == 1 && rows > 1) {
            /* a masked partner: the first row of the block that is not the live one */
            live[m++] = live[0] == b0 ? b0 + 1 : b0;
        }
        if (nlive > 0) {
            const float *a = h + b0 * units;
            float *zt = z + b0 * W;
            if (compact) {
                for (int64_t i = 0; i < m; i++)
                    memcpy(hc + (b0 + i) * units, h + live[i] * units, (size_t)units * sizeof(float));
                a = hc + b0 * units;
            }
            /* z = h @ recurrent_kernel (+ the recurrent bias of GRU), row i of z for the i-th row
             * updated (compact) or for row b0 + i (all rows live) */
            const ck_status st = ck_f32_gemm_packed(m, W, units, a, units, rkernel, W, rbias, packed, bytes, linear,
                                                    zt, W);
            if (st != CK_OK) return st;
        }
        int64_t next = 0; /* the next live row's position in live[] and in z */
        for (int64_t b = b0; b < b1; b++) {
            float *hr = h + b * units, *cr = cell == CK_RNN_LSTM ? c + b * units : NULL;
            float *out = seq != NULL ? seq + (b * steps + t) * units : NULL;
            if (compact && (next >= nlive || live[next] != b)) {
                /* a masked step keeps the state; its output is zeros or the previous step's output
                 * (zeros before the first step), as Keras's backend.rnn */
                if (out != NULL) {
                    if (zero_masked || t == 0) memset(out, 0, (size_t)units * sizeof(float));
                    else memcpy(out, out - units, (size_t)units * sizeof(float));
                }
                continue;
            }
            float *zr = z + (compact ? b0 + next : b) * W;
            next++;
            const float *xr = xproj + (b * steps + t) * W;
            if (gates == NULL || !gates(cell, (size_t)units, zr, xr, hr, cr, act, rec_act))
                ck_rnn_gates_f32(cell, units, zr, xr, hr, cr, tmp + b * units, act, rec_act);
            if (out != NULL) memcpy(out, hr, (size_t)units * sizeof(float));
        }
    }
    return CK_OK;
}

ck_status ck_f32_rnn_sequence(int cell, int64_t n, int64_t steps, int64_t units, const float *xproj,
                              const float *rkernel, const float *rbias, ck_activation act, ck_activation rec_act,
                              float *h, float *c, float *seq, const uint8_t *mask, int zero_masked) {
    const int64_t G = cell == CK_RNN_LSTM ? 4 : (cell == CK_RNN_GRU ? 3 : (cell == CK_RNN_SIMPLE ? 1 : 0));
    if (G == 0 || n < 0 || steps < 0 || units < 1 || !ck_rnn_act_valid(act) || !ck_rnn_act_valid(rec_act)) return CK_EINVAL;
    if (n == 0 || steps == 0) return CK_OK;
    if (xproj == NULL || rkernel == NULL || h == NULL || (cell == CK_RNN_LSTM && c == NULL)) return CK_EINVAL;
    if (rbias != NULL && cell != CK_RNN_GRU) return CK_EINVAL;
    const int64_t W = G * units;
    size_t bytes = 0;
    ck_status st = ck_f32_gemm_pack_size(units, W, &bytes);
    if (st != CK_OK) return st;
    void *packed = ck_scratch_alloc(bytes);
    /* per batch row: W of h @ U, units of act(c), units of the gathered state, and its index */
    float *z = ck_scratch_alloc((size_t)(n * (W + 2 * units)) * sizeof(float));
    int64_t *live = mask != NULL ? ck_scratch_alloc((size_t)n * sizeof(int64_t)) : NULL;
    if (packed == NULL || z == NULL || (mask != NULL && live == NULL)) {
        ck_scratch_free(packed);
        ck_scratch_free(z);
        ck_scratch_free(live);
        return CK_ENOMEM;
    }
    float *tmp = z + n * W, *hc = tmp + n * units;
    st = ck_f32_gemm_pack(units, W, rkernel, W, rbias, packed, bytes);
    /* one block per thread, each of two rows or more */
    int nt = ck_threads_for(n * steps * units * W);
    if (nt > n / 2) nt = n / 2 > 1 ? (int)(n / 2) : 1;
    const int64_t blocks = nt;
    ck_status block_st = CK_OK;
#ifdef CK_HAVE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && st == CK_OK)
#endif
    for (int64_t k = 0; k < blocks; k++) {
        if (st != CK_OK) continue;
        const int64_t b0 = n * k / blocks, b1 = n * (k + 1) / blocks;
        const ck_status s = ck_rnn_rows(cell, b0, b1, steps, units, xproj, rkernel, rbias, packed, bytes, act,
                                        rec_act, h, c, z, tmp, hc, live, seq, mask, zero_masked);
        if (s != CK_OK) {
#ifdef CK_HAVE_OPENMP
#pragma omp critical(ck_rnn_status)
#endif
            block_st = s;
        }
    }
    ck_scratch_free(packed);
    ck_scratch_free(z);
    ck_scratch_free(live);
    return st != CK_OK ? st : block_st;
}
