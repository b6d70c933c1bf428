/* Cache-blocked packed SGEMM driver, the five loops of BLIS (Goto & van de Geijn, "Anatomy of
 * high-performance matrix multiplication"): jc over NC columns of B/C, pc over KC rows of the
 * reduction, ic over MC rows of A/C, then jr/ir over NR/MR register tiles done by the table's
 * microkernel. A KC x NC slice of B is packed once per (jc, pc) and shared by the team; each
 * thread packs its own MC x KC block of A.
 *
 * Determinism: the K loop is never split across threads and MC/KC/NC come from the microkernel,
 * not from the thread count, so every element of C is the same sequence of FMAs whatever the
 * number of threads; threads only decide *who* computes an (ic, panel) unit. */
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/threads.h"


static int64_t ck_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t ck_cdiv64(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The KC of a call. Each KC block past the first loads C and stores it again, and for a large C
 * that is a pass over L3; so the reduction is cut into as few blocks as keep the packed B slice
 * (kc x the NC block's columns) within CK_GEMM_B_SLICE_BYTES, of at most the kernel's kc_max
 * rows and never fewer blocks than its kc gives, the blocks as even as possible (no short tail
 * block). It depends on N and K only: not on M (a sample's result does not depend on the batch
 * it came in) nor on the thread count. AVX-512 on Zen 4 (medians of 5 alternating runs, GFLOP/s
 * unpacked / B packed once, 1 thread): 1024^3 with KC 512 -> 1024 100 / 101 -> 104 / 106,
 * 196x256x2304 84 / 90 -> 88 / 101; with a 1024-row slice over 2048 or 4096 columns (8-16 MiB)
 * 2048^3 fell 97 -> 76 and 512x4096x1024 85 -> 74, hence the budget. */
#define CK_GEMM_B_SLICE_BYTES (4 << 20)

static int64_t ck_gemm_kc(const ck_f32_gemm_ukernel *uk, int64_t N, int64_t K) {
    int64_t cap = uk->kc;
    if (uk->kc_max > uk->kc) {
        const int64_t ncols = ck_min64(ck_cdiv64(N, uk->nr) * uk->nr, uk->nc);
        const int64_t fit = CK_GEMM_B_SLICE_BYTES / (ncols * (int64_t)sizeof(float));
        cap = fit < uk->kc ? uk->kc : (fit > uk->kc_max ? uk->kc_max : fit);
    }
    if (K <= cap) return K > 0 ? K : 1;
    return ck_cdiv64(K, ck_cdiv64(K, cap));
}

/* First (row block, panel) unit of thread `tid` of `team` when the units, row-block major, are
 * shared out by cost: a unit costs its block's rows rounded up to whole MR tiles. */
static int64_t ck_unit_at_cost(int64_t M, int64_t MC, int64_t MR, int64_t npanels, int tid, int team) {
    const int64_t n_ic = ck_cdiv64(M, MC);
    const int64_t last_rows = ck_cdiv64(M - (n_ic - 1) * MC, MR) * MR;
    const int64_t total = ((n_ic - 1) * MC + last_rows) * npanels;
    const int64_t target = total * tid / team;
    int64_t ic = target / (MC * npanels);
    if (ic > n_ic - 1) ic = n_ic - 1;
    const int64_t rows = ic == n_ic - 1 ? last_rows : MC;
    int64_t p = (target - ic * MC * npanels + rows / 2) / rows;
    if (p > npanels) p = npanels;
    return ic * npanels + p;
}

/* K == 0: C = act(bias) (the empty sum). */
static void ck_gemm_bias_only(int64_t M, int64_t N, const float *bias, ck_activation act, float *C, int64_t ldc) {
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) C[m * ldc + n] = ck_activate_f32(bias ? bias[n] : 0.0f, act);
}

/* M = 1 on a path with a row kernel: each thread a range of NR-column panels, the whole
 * reduction per call. B is read in place (or the packed panels), except a ragged last panel,
 * copied zero-padded. The same route with and without packed weights, so both give the same bits. */
static ck_status ck_gemm_one_row(int64_t N, int64_t K, const float *A, const float *B, int64_t ldb,
                                 const float *bias, const float *packed, ck_activation act, float *C) {
    const ck_f32_gemm_ukernel uk = ck_dispatch.gemm_ukernel;
    const int64_t NR = uk.nr, npanels = ck_cdiv64(N, NR), panel_floats = NR * (1 + K);
    int scalar_act;
    const ck_f32_clamp clamp = ck_clamp_for(act, &scalar_act);
    /* Padded copies for the ragged last panel and the bias (zeros without one, as the blocked
     * driver's bias_pad). */
    const int ragged = packed == NULL && N % NR != 0;
    float *pad = packed ? NULL : ck_scratch_alloc((size_t)((ragged ? K * NR : 0) + npanels * NR) * sizeof(float));
    if (packed == NULL && pad == NULL) return CK_ENOMEM;
    float *bias_pad = pad, *last = pad + npanels * NR;
    if (packed == NULL) {
        for (int64_t n = 0; n < npanels * NR; n++) bias_pad[n] = (bias && n < N) ? bias[n] : 0.0f;
        if (ragged) {
            const int64_t j0 = (npanels - 1) * NR;
            ck_f32_gemm_pack_b_panel((size_t)K, (size_t)(N - j0), (size_t)NR, B + j0, (size_t)ldb, last);
        }
    }
    const int nt = ck_threads_for(N * K);
#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
        const int tid = ck_thread_id(), team = ck_team_size();
        int64_t q = npanels * tid / team;
        const int64_t q_end = npanels * (tid + 1) / team;
        if (packed == NULL && uk.row_wide != NULL) {
            /* Full panels of B in place in one sweep along its rows; a ragged last one below. */
            const int64_t q_full = ck_min64(q_end, N / NR);
            if (q < q_full) {
                uk.row_wide((size_t)((q_full - q) * NR), (size_t)K, A, B + q * NR, (size_t)ldb, C + q * NR,
                            bias_pad + q * NR, &clamp);
                if (scalar_act) ck_activate_tile_f32(1, (size_t)((q_full - q) * NR), C + q * NR, (size_t)N, act);
                q = q_full;
            }
        }
        for (; q < q_end; q++) {
            const int64_t j0 = q * NR, nr = ck_min64(NR, N - j0);
            const float *b = packed ? packed + q * panel_floats + NR : (nr == NR ? B + j0 : last);
            const size_t stride = (size_t)(packed || nr < NR ? NR : ldb);
            const float *bb = packed ? packed + q * panel_floats : bias_pad + j0;
            uk.row((size_t)nr, (size_t)K, A, b, stride, C + j0, bb, &clamp);
            if (scalar_act) ck_activate_tile_f32(1, (size_t)nr, C + j0, (size_t)N, act);
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(pad);
    return CK_OK;
}

/* Packed weights and few rows (M <= the kernel's by_panel_rows, by default MC): panel by
 * panel, the whole reduction of each before the next. The weights are read once per call,
 * usually from memory; the general loop order (all panels for one KC block, then the next block)
 * jumped K*NR floats between 16 KiB slices, which the prefetchers restart on, and a 32x2048 @
 * 2048x1000 Dense layer ran at half the peak. Every thread packs all of A (at most
 * CK_GEMM_FULL_A_BYTES) for its range of panels. Each C element still gets the same KC blocks in
 * the same order as in the general loop. */
#define CK_GEMM_FULL_A_BYTES (1 << 20)

static ck_status ck_gemm_packed_by_panel(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                                         const float *packed, ck_activation act, float *C, int64_t ldc) {
    const ck_f32_gemm_ukernel uk = ck_dispatch.gemm_ukernel;
    const int64_t MR = uk.mr, NR = uk.nr, KC = ck_gemm_kc(&uk, N, K);
    const int64_t m_pad = ck_cdiv64(M, MR) * MR, npanels = ck_cdiv64(N, NR), panel_floats = NR * (1 + K);
    int scalar_act;
    const ck_f32_clamp clamp = ck_clamp_for(act, &scalar_act);
    const ck_f32_clamp no_clamp = {0.0f, 0.0f, 0};
    const int nt = ck_threads_for(M * N * K);
    const size_t a_slot = ck_thread_slot_bytes((size_t)(m_pad * K) * sizeof(float)) / sizeof(float);
    float *abuf = ck_scratch_alloc((size_t)nt * a_slot * sizeof(float));
    if (abuf == NULL) return CK_ENOMEM;
#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
        const int tid = ck_thread_id(), team = ck_team_size();
        const int64_t q_begin = npanels * tid / team, q_end = npanels * (tid + 1) / team;
        float *my_a = abuf + (size_t)tid * a_slot;
        /* A's KC blocks one after another, each m_pad x kc as the general loop packs it. */
        for (int64_t pc = 0; q_begin < q_end && pc < K; pc += KC) {
            const int64_t kc = ck_min64(KC, K - pc);
            if (uk.pack_a != NULL)
                uk.pack_a((size_t)M, (size_t)kc, A + pc, (size_t)lda, my_a + m_pad * pc);
            else
                ck_f32_gemm_pack_a((size_t)M, (size_t)kc, (size_t)MR, A + pc, (size_t)lda, my_a + m_pad * pc);
        }
        for (int64_t q = q_begin; q < q_end; q++) {
            const int64_t j0 = q * NR, nr = ck_min64(NR, N - j0);
            const float *panel = packed + q * panel_floats;
            for (int64_t pc = 0; pc < K; pc += KC) {
                const int64_t kc = ck_min64(KC, K - pc);
                const int last_k = pc + kc == K;
                for (int64_t ir = 0; ir < M; ir += MR) {
                    const int64_t mr = ck_min64(MR, M - ir);
                    float *ct = C + ir * ldc + j0;
                    uk.fn((size_t)mr, (size_t)nr, (size_t)kc, my_a + m_pad * pc + ir * kc, panel + NR + pc * NR,
                          (size_t)NR, ct, (size_t)ldc, last_k ? panel : NULL, pc > 0 ? CK_UK_LOAD_C : 0u,
                          last_k ? &clamp : &no_clamp);
                    if (last_k && scalar_act) ck_activate_tile_f32((size_t)mr, (size_t)nr, ct, (size_t)ldc, act);
                }
            }
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(abuf);
    return CK_OK;
}

/* The driver body. `packed` (or NULL): panels [N/NR][NR bias][K][NR] made once by the caller;
 * then B and bias are not read and nothing is packed here but A. */
static ck_status ck_gemm_run(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                             int64_t ldb, const float *bias, const float *packed, int packed_has_bias,
                             ck_activation act, float *C, int64_t ldc) {
    if (M == 0 || N == 0) return CK_OK;
    if (K == 0) {
        if (packed != NULL && !packed_has_bias) bias = NULL;
        if (packed != NULL && packed_has_bias) {
            /* The bias lives in the panels' first rows. */
            const int64_t NRp = ck_dispatch.gemm_ukernel.nr;
            for (int64_t m = 0; m < M; m++)
                for (int64_t n = 0; n < N; n++)
                    C[m * ldc + n] = ck_activate_f32(packed[(n / NRp) * NRp + n % NRp], act);
            return CK_OK;
        }
        ck_gemm_bias_only(M, N, bias, act, C, ldc);
        return CK_OK;
    }
    const ck_f32_gemm_ukernel uk = ck_dispatch.gemm_ukernel;
    if (M == 1 && uk.row != NULL) return ck_gemm_one_row(N, K, A, B, ldb, bias, packed, act, C);
    const int64_t MR = uk.mr, NR = uk.nr, KC = ck_gemm_kc(&uk, N, K), NC = uk.nc;
    const int64_t m_pad = ck_cdiv64(M, MR) * MR;
    const int few_rows = packed != NULL && M <= (uk.by_panel_rows > 0 ? uk.by_panel_rows : uk.mc);
    if (few_rows && m_pad * K * (int64_t)sizeof(float) <= CK_GEMM_FULL_A_BYTES)
        return ck_gemm_packed_by_panel(M, N, K, A, lda, packed, act, C, ldc);
    /* Few rows but too long a reduction to pack all of A: one row block, so the packed weights
     * stream from memory once, not once per MC block (AVX2, 128x1000x2048: 0.91x with MC = 36).
     * MC never changes the sums, only who computes which tile. */
    const int64_t MC = few_rows && m_pad > uk.mc ? m_pad : uk.mc;
    int scalar_act;
    const ck_f32_clamp clamp = ck_clamp_for(act, &scalar_act);
    const ck_f32_clamp no_clamp = {0.0f, 0.0f, 0};

    const int64_t nc_max = ck_min64(ck_cdiv64(N, NR) * NR, NC);
    const int64_t mc_max = ck_min64(ck_cdiv64(M, MR) * MR, MC);
    const int64_t kc_max = ck_min64(K, KC);
    const int nt = ck_threads_for(M * N * K);
    /* With at most two row tiles each B panel is used once or twice: packing it would cost more
     * than it saves (a GEMV-like Dense call on one sample), so full-width panels are read in
     * place and only the ragged last one is packed (the kernel may not read past column N).
     * Only for one KC block: over several, each panel walks KC rows ldb apart and comes back for
     * the next block, which the prefetchers do not follow (Zen 4, 8x1000x2048 with AVX-512:
     * 3.8 ms in place, 0.9 ms packed; 2x1000x2048 3.4 -> 0.5 ms). */
    const int direct_b = packed == NULL && M <= 2 * MR && K <= KC;
    const int64_t panel_floats = NR * (1 + K); /* of a packed panel */

    /* Scratch: the shared B slice and the bias padded to whole panels (the microkernel reads NR
     * bias values per tile) unless packed once, and one A block per thread. */
    const int64_t n_pad = ck_cdiv64(N, NR) * NR;
    float *bbuf = packed ? NULL : ck_scratch_alloc((size_t)(kc_max * nc_max) * sizeof(float));
    float *bias_pad = packed ? NULL : ck_scratch_alloc((size_t)n_pad * sizeof(float));
    const size_t a_slot = ck_thread_slot_bytes((size_t)(mc_max * kc_max) * sizeof(float)) / sizeof(float);
    float *abuf = ck_scratch_alloc((size_t)nt * a_slot * sizeof(float));
    if ((packed == NULL && (bbuf == NULL || bias_pad == NULL)) || abuf == NULL) {
        ck_scratch_free(bbuf);
        ck_scratch_free(abuf);
        ck_scratch_free(bias_pad);
        return CK_ENOMEM;
    }
    if (bias_pad != NULL)
        for (int64_t n = 0; n < n_pad; n++) bias_pad[n] = (bias && n < N) ? bias[n] : 0.0f;

#ifdef CK_HAVE_OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        const ck_fpenv fpenv = ck_fpenv_enter();
        const int tid = ck_thread_id(), team = ck_team_size();
        float *my_a = abuf + (size_t)tid * a_slot;
        for (int64_t jc = 0; jc < N; jc += NC) {
            const int64_t nc = ck_min64(NC, N - jc);
            const int64_t npanels = ck_cdiv64(nc, NR);
            for (int64_t pc = 0; pc < K; pc += KC) {
                const int64_t kc = ck_min64(KC, K - pc);
                const int last_k = pc + kc == K;

                if (packed == NULL) {
                    /* Each thread packs a contiguous range of panels; with direct_b only the
                     * ragged last panel is packed (full ones are read in place). */
                    int64_t p0 = npanels * tid / team, p1 = npanels * (tid + 1) / team;
                    if (direct_b) {
                        const int64_t full = (N - jc) / NR < npanels ? (N - jc) / NR : npanels;
                        p0 = p0 > full ? p0 : full;
                    }
                    if (p0 < p1) {
                        const int64_t j0 = jc + p0 * NR, ncols = ck_min64(p1 * NR, nc) - p0 * NR;
                        ck_f32_gemm_pack_b((size_t)kc, (size_t)ncols, (size_t)NR, B + pc * ldb + j0, (size_t)ldb,
                                           bbuf + p0 * kc * NR);
                    }
#ifdef CK_HAVE_OPENMP
#pragma omp barrier /* the B slice is complete */
#endif
                }

                /* Units of work: (MC row block, NR panel) pairs, row-block major, each thread one
                 * contiguous range of them (a thread packs the A block again only when its range
                 * enters the next row block). The ranges are balanced by rows, not by units: the
                 * last row block is usually short (M = 1024 leaves 16 rows after six blocks of
                 * 168), and equal unit counts gave one of two threads 35% more rows. The same
                 * thread owns the same C tiles for every KC block, so no barrier is needed
                 * between them when B is packed once. */
                const int64_t u_begin = ck_unit_at_cost(M, MC, MR, npanels, tid, team);
                const int64_t u_end = ck_unit_at_cost(M, MC, MR, npanels, tid + 1, team);
                int64_t packed_ic = -1;
                for (int64_t u = u_begin; u < u_end; u++) {
                    const int64_t ic = u / npanels, p = u % npanels;
                    const int64_t m0 = ic * MC, mc = ck_min64(MC, M - m0);
                    if (ic != packed_ic) {
                        if (uk.pack_a != NULL)
                            uk.pack_a((size_t)mc, (size_t)kc, A + m0 * lda + pc, (size_t)lda, my_a);
                        else
                            ck_f32_gemm_pack_a((size_t)mc, (size_t)kc, (size_t)MR, A + m0 * lda + pc, (size_t)lda,
                                               my_a);
                        packed_ic = ic;
                    }
                    const int64_t j0 = jc + p * NR, nr = ck_min64(NR, N - j0);
                    const float *bp, *bb;
                    size_t bstride = (size_t)NR;
                    if (packed != NULL) {
                        const float *panel = packed + (j0 / NR) * panel_floats;
                        bp = panel + NR + pc * NR;
                        bb = panel; /* zeros when packed without bias, as bias_pad */
                    } else if (direct_b && nr == NR) {
                        bp = B + pc * ldb + j0;
                        bstride = (size_t)ldb;
                        bb = bias_pad + j0;
                    } else {
                        bp = bbuf + p * kc * NR;
                        bb = bias_pad + j0;
                    }
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int64_t mr = ck_min64(MR, mc - ir);
                        float *ct = C + (m0 + ir) * ldc + j0;
                        uk.fn((size_t)mr, (size_t)nr, (size_t)kc, my_a + ir * kc, bp, bstride, ct, (size_t)ldc,
                              last_k ? bb : NULL, pc > 0 ? CK_UK_LOAD_C : 0u, last_k ? &clamp : &no_clamp);
                        if (last_k && scalar_act) ck_activate_tile_f32((size_t)mr, (size_t)nr, ct, (size_t)ldc, act);
                    }
                }
                if (packed == NULL) {
#ifdef CK_HAVE_OPENMP
#pragma omp barrier /* nobody still reads the B slice when it is repacked */
#endif
                }
            }
        }
        ck_fpenv_leave(fpenv);
    }
    ck_scratch_free(bbuf);
    ck_scratch_free(abuf);
    ck_scratch_free(bias_pad);
    return CK_OK;
}

ck_status ck_f32_gemm__blocked(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                               int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc) {
    return ck_gemm_run(M, N, K, A, lda, B, ldb, bias, NULL, 0, act, C, ldc);
}

ck_status ck_f32_gemm__blocked_packed(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                                      const float *panels, int has_bias, ck_activation act, float *C, int64_t ldc) {
    return ck_gemm_run(M, N, K, A, lda, NULL, 0, NULL, panels, has_bias, act, C, ldc);
}
