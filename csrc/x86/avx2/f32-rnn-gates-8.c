/* AVX2+FMA gates of a recurrent step, 8 units a vector (csrc/x86/f32-rnn-gates.h). */
#include "convkit/activation.h"
#include "convkit/dispatch.h"

#include "f32-vec-8.h"
#include "../f32-activation-math.h"
#include "../f32-rnn-gates.h"

int ck_f32_rnn_gates__avx2(int cell, size_t units, const float *z, const float *x, float *h, float *c,
                           ck_activation act, ck_activation rec_act) {
    return ck_rnn_gates_v(cell, units, z, x, h, c, act, rec_act);
}
