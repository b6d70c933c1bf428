/* The gates of one batch row of a recurrent step (LSTM, GRU with the reset after the recurrent
 * product, SimpleRNN) in vectors, written once for the AVX2 and AVX-512 paths: the path's file
 * includes its vector operations (f32-vec-8.h / f32-vec-16.h) and f32-activation-math.h first.
 *
 * The portable loop (ck_rnn_gates_f32, csrc/gemm/f32-recurrent.c) makes a pass over the row per
 * operation: x added, three activation spans, the cell update, a copy of c and its activation,
 * the output; with 128 units those spans are short and the passes cost about as much as the
 * step's GEMM leaves for everything else (LSTM 128 over 16x100x64, 1 thread: activations 16% and
 * the gate loops 14% of the time loop). Here each vector of units goes through all of them in
 * registers. The operations are the portable loop's, one for one and in its order (no FMA
 * contraction: the files compile as ISO C, -ffp-contract=off), and the activations are ck_act_v,
 * the formulas of the path's activate_span, so the bits are the portable loop's on the same path.
 * A tail of fewer than CK_W units goes through zero-padded vectors: no lane depends on another. */
#ifndef CK_X86_F32_RNN_GATES_H
#define CK_X86_F32_RNN_GATES_H

#include <string.h>

#include "convkit/kernels.h"

/* The kinds done here: those with a vector formula, and linear (which the portable loop skips). */
CK_INLINE int ck_rnn_act_v_ok(int kind) { return kind == CK_ACT_LINEAR || ck_act_v_has(kind); }

CK_INLINE CK_V ck_rnn_act_v(CK_V v, int kind, float alpha) {
    return kind == CK_ACT_LINEAR ? v : ck_act_v(v, kind, alpha);
}

/* One vector of units. z and x hold the row's gate blocks `ld` floats apart (z: h @ U, x: the
 * input projection); h and c are the state, updated in place. */
CK_INLINE void ck_rnn_lanes_v(int cell, const float *z, const float *x, size_t ld, float *h, float *c, int act,
                              float act_alpha, int rec, float rec_alpha) {
    if (cell == CK_RNN_LSTM) {
        /* gates i, f, g, o; c = f c + i g; h = o act(c) */
        const CK_V i = ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(z), CK_V_LOADU(x)), rec, rec_alpha);
        const CK_V f = ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(z + ld), CK_V_LOADU(x + ld)), rec, rec_alpha);
        const CK_V g = ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(z + 2 * ld), CK_V_LOADU(x + 2 * ld)), act, act_alpha);
        const CK_V o = ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(z + 3 * ld), CK_V_LOADU(x + 3 * ld)), rec, rec_alpha);
        const CK_V cn = CK_V_ADD(CK_V_MUL(f, CK_V_LOADU(c)), CK_V_MUL(i, g));
        CK_V_STOREU(c, cn);
        CK_V_STOREU(h, CK_V_MUL(o, ck_rnn_act_v(cn, act, act_alpha)));
    } else if (cell == CK_RNN_GRU) {
        /* gates z, r; candidate act(x_h + r (h @ U_h + b_h)); h = z h + (1 - z) candidate */
        const CK_V zg = ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(x), CK_V_LOADU(z)), rec, rec_alpha);
        const CK_V rg = ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(x + ld), CK_V_LOADU(z + ld)), rec, rec_alpha);
        const CK_V hh =
            ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(x + 2 * ld), CK_V_MUL(rg, CK_V_LOADU(z + 2 * ld))), act, act_alpha);
        const CK_V keep = CK_V_MUL(zg, CK_V_LOADU(h)), take = CK_V_MUL(CK_V_SUB(CK_V_C(1.0f), zg), hh);
        CK_V_STOREU(h, CK_V_ADD(keep, take));
    } else {
        CK_V_STOREU(h, ck_rnn_act_v(CK_V_ADD(CK_V_LOADU(z), CK_V_LOADU(x)), act, act_alpha));
    }
}

/* Every vector of the row, then the tail through padded copies. */
CK_INLINE void ck_rnn_row_v(int cell, size_t units, const float *z, const float *x, float *h, float *c, int act,
                            float act_alpha, int rec, float rec_alpha) {
    size_t j = 0;
    for (; j + CK_W <= units; j += CK_W)
        ck_rnn_lanes_v(cell, z + j, x + j, units, h + j, c != NULL ? c + j : NULL, act, act_alpha, rec, rec_alpha);
    if (j < units) {
        const size_t r = units - j, gates = cell == CK_RNN_LSTM ? 4 : (cell == CK_RNN_GRU ? 3 : 1);
        float zt[4 * CK_W] = {0}, xt[4 * CK_W] = {0}, ht[CK_W] = {0}, ct[CK_W] = {0};
        for (size_t g = 0; g < gates; g++) {
            memcpy(zt + g * CK_W, z + g * units + j, r * sizeof(float));
            memcpy(xt + g * CK_W, x + g * units + j, r * sizeof(float));
        }
        memcpy(ht, h + j, r * sizeof(float));
        if (c != NULL) memcpy(ct, c + j, r * sizeof(float));
        ck_rnn_lanes_v(cell, zt, xt, CK_W, ht, ct, act, act_alpha, rec, rec_alpha);
        memcpy(h + j, ht, r * sizeof(float));
        if (c != NULL) memcpy(c + j, ct, r * sizeof(float));
    }
}

/* 0 when an activation has no vector formula here (the caller runs the portable loop). Keras's
 * defaults (tanh, sigmoid) get their own copy of the loop with the kinds constant, so the
 * activation switch folds away. */
CK_INLINE int ck_rnn_gates_v(int cell, size_t units, const float *z, const float *x, float *h, float *c,
                             ck_activation act, ck_activation rec) {
    const int gated = cell == CK_RNN_LSTM || cell == CK_RNN_GRU;
    if (!ck_rnn_act_v_ok(act.kind) || (gated && !ck_rnn_act_v_ok(rec.kind))) return 0;
    if (cell == CK_RNN_LSTM && act.kind == CK_ACT_TANH && rec.kind == CK_ACT_SIGMOID)
        ck_rnn_row_v(CK_RNN_LSTM, units, z, x, h, c, CK_ACT_TANH, 0.0f, CK_ACT_SIGMOID, 0.0f);
    else if (cell == CK_RNN_GRU && act.kind == CK_ACT_TANH && rec.kind == CK_ACT_SIGMOID)
        ck_rnn_row_v(CK_RNN_GRU, units, z, x, h, NULL, CK_ACT_TANH, 0.0f, CK_ACT_SIGMOID, 0.0f);
    else
        ck_rnn_row_v(cell, units, z, x, h, c, act.kind, act.alpha, rec.kind, rec.alpha);
    return 1;
}

#endif
