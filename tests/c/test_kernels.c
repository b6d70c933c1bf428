/* C-only tests of the fast GEMM / convolution paths against the reference kernels, on every
 * instruction-set path this CPU supports. Outputs are prefilled with NaN so an unwritten element
 * shows, and the padding columns of C must stay NaN (nothing written out of bounds). Results must
 * be within 1e-5 of the output's magnitude and bitwise identical with 1 and 2 threads.
 *   tests/c/build.sh tests/c/test_kernels.c /tmp/ck-test && /tmp/ck-test */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/kernels.h"

static int failures = 0, checks = 0;
static int conv_mode = 0; /* ck_f32_conv_gemm_set_mode: 0 heuristic, 1 indirect, 2 tile im2col */
static unsigned long long rng = 88172645463325252ull;

static float frand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((rng >> 40) & 0xffffff) / (float)0x800000 - 1.0f; /* [-1, 1) */
}
static void fill(float *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = frand();
}
static void fill_nan(float *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = NAN;
}

static const ck_activation ACTS[] = {
    {CK_ACT_LINEAR, 0}, {CK_ACT_RELU, 0}, {CK_ACT_RELU6, 0}, {CK_ACT_LEAKY_RELU, 0.2f}, {CK_ACT_ELU, 1.0f},
    {CK_ACT_SELU, 0}, {CK_ACT_SIGMOID, 0}, {CK_ACT_HARD_SIGMOID, 0}, {CK_ACT_TANH, 0}, {CK_ACT_SOFTPLUS, 0},
    {CK_ACT_SOFTSIGN, 0}, {CK_ACT_SILU, 0}, {CK_ACT_GELU_ERF, 0}, {CK_ACT_GELU_TANH, 0},
    {CK_ACT_EXPONENTIAL, 0}, {CK_ACT_HARD_SILU, 0}, {CK_ACT_MISH, 0},
};
#define NACTS (int)(sizeof(ACTS) / sizeof(ACTS[0]))

/* Compare rows x cols (stride ld) of got vs want; extra columns up to ld must be NaN in got. */
static int compare(const char *what, const float *got, const float *want, int64_t rows, int64_t cols,
                   int64_t ld, int check_pad) {
    double mag = 1.0, err = 0.0; /* error relative to max(1, max |want|), as tests/conftest.py */
    int64_t bad_at = -1;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = 0; c < cols; c++) {
            const float g = got[r * ld + c], w = want[r * ld + c];
            if (isnan(g) != isnan(w)) {
                bad_at = r * ld + c;
                break;
            }
            if (!isnan(w)) {
                if (fabs(w) > mag) mag = fabs(w);
                if (fabs(g - w) > err) err = fabs(g - w);
            }
        }
        if (check_pad)
            for (int64_t c = cols; c < ld && bad_at < 0; c++)
                if (!isnan(got[r * ld + c])) bad_at = r * ld + c;
        if (bad_at >= 0) break;
    }
    checks++;
    if (bad_at >= 0 || err > 1e-5 * mag) {
        failures++;
        if (failures < 30)
            fprintf(stderr, "FAIL %s: rel err %.3g (scale %.3g)%s at %lld\n", what, err / mag, mag,
                    bad_at >= 0 ? " unwritten / out-of-bounds element" : "", (long long)bad_at);
        return 0;
    }
    return 1;
}

/* ---- GEMM ---------------------------------------------------------------------------------- */

static void test_gemm_one(int64_t M, int64_t N, int64_t K, int act_i, int with_bias, int ld_extra) {
    const int64_t lda = (K > 0 ? K : 1) + ld_extra, ldb = N + ld_extra, ldc = N + ld_extra;
    const size_t na = (size_t)(M * lda + 1), nb = (size_t)(K * ldb + 1), nc = (size_t)(M * ldc + 1);
    float *A = malloc(na * 4), *B = malloc(nb * 4), *bias = malloc((size_t)N * 4);
    float *C = malloc(nc * 4), *R = malloc(nc * 4), *C2 = malloc(nc * 4);
    fill(A, na);
    fill(B, nb);
    fill(bias, (size_t)N);
    fill_nan(C, nc);
    fill_nan(R, nc);
    fill_nan(C2, nc);
    const ck_activation act = ACTS[act_i];
    ck_f32_gemm__ref(M, N, K, A, lda, B, ldb, with_bias ? bias : NULL, act, R, ldc);
    ck_set_num_threads(1);
    ck_status st = ck_f32_gemm(M, N, K, A, lda, B, ldb, with_bias ? bias : NULL, act, C, ldc);
    ck_set_num_threads(2);
    ck_status st2 = ck_f32_gemm(M, N, K, A, lda, B, ldb, with_bias ? bias : NULL, act, C2, ldc);
    /* Weights packed once (3 threads): bitwise the same as packed per call. */
    size_t pbytes = 0;
    ck_status stp = ck_f32_gemm_pack_size(K, N, &pbytes);
    void *packed = malloc(pbytes + 3);
    float *C3 = malloc(nc * 4);
    fill_nan(C3, nc);
    if (stp == CK_OK) stp = ck_f32_gemm_pack(K, N, B, ldb, with_bias ? bias : NULL, (char *)packed + 3, pbytes);
    ck_set_num_threads(3);
    if (stp == CK_OK)
        stp = ck_f32_gemm_packed(M, N, K, A, lda, B, ldb, with_bias ? bias : NULL, (char *)packed + 3, pbytes, act, C3, ldc);
    if (stp != CK_OK || !ck_packed_is_current((char *)packed + 3, pbytes)) st2 = stp != CK_OK ? stp : CK_EINVAL;
    else if (memcmp(C, C3, nc * 4) != 0) st2 = (ck_status)99;
    free(packed), free(C3);
    char what[160];
    snprintf(what, sizeof what, "gemm[%s] M=%lld N=%lld K=%lld act=%d bias=%d ld+%d", ck_dispatch_isa_name(),
             (long long)M, (long long)N, (long long)K, act.kind, with_bias, ld_extra);
    if (st != CK_OK || st2 != CK_OK) {
        failures++;
        fprintf(stderr, "FAIL %s: status %d %d\n", what, st, st2);
    } else if (compare(what, C, R, M, N, ldc, 1) && memcmp(C, C2, nc * 4) != 0) {
        /* NaN padding compares equal bitwise too: both copies were filled the same way. */
        failures++;
        fprintf(stderr, "FAIL %s: 1 vs 2 threads differ bitwise\n", what);
    }
    free(A), free(B), free(bias), free(C), free(R), free(C2);
}

static void test_gemm(void) {
    static const int64_t sizes[] = {1, 2, 5, 6, 7, 15, 16, 17, 31, 33, 64, 97, 250};
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    int i = 0;
    for (int a = 0; a < ns; a++)
        for (int b = 0; b < ns; b++)
            for (int c = 0; c < ns; c++, i++)
                test_gemm_one(sizes[a], sizes[b], sizes[c], (i * 7) % NACTS, i & 1, (i % 3) * 3);
    for (int act = 0; act < NACTS; act++) {
        test_gemm_one(33, 47, 300, act, 1, 5); /* two KC blocks on the x86 paths */
        test_gemm_one(7, 5, 3, act, 0, 0);
    }
    test_gemm_one(200, 4100, 20, 1, 1, 1);  /* two NC blocks */
    test_gemm_one(400, 70, 600, 2, 1, 0);   /* several MC blocks, three KC blocks */
    test_gemm_one(5, 3, 0, 6, 1, 0);        /* K = 0: act(bias) */
}

/* ---- convolution ----------------------------------------------------------------------------- */

static void test_conv_one(const ck_conv_shape *s, int act_i, int with_bias, int algo) {
    const int64_t G = s->groups, CIG = s->in_channels / G;
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const size_t nx = (size_t)(s->batch * s->in_size[0] * s->in_size[1] * s->in_size[2] * s->in_channels);
    const size_t nw = (size_t)(taps * CIG * s->out_channels);
    const size_t ny = (size_t)(s->batch * s->out_size[0] * s->out_size[1] * s->out_size[2] * s->out_channels);
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)s->out_channels * 4);
    float *y = malloc(ny * 4), *r = malloc(ny * 4), *y2 = malloc(ny * 4);
    fill(x, nx);
    fill(w, nw);
    fill(b, (size_t)s->out_channels);
    fill_nan(y, ny);
    fill_nan(r, ny);
    fill_nan(y2, ny);
    const ck_activation act = ACTS[act_i];
    ck_f32_conv_nd__ref(s, x, w, with_bias ? b : NULL, act, r);
    ck_set_num_threads(1);
    ck_status st = ck_f32_conv_nd(s, x, w, with_bias ? b : NULL, act, algo, y);
    ck_set_num_threads(2);
    ck_status st2 = ck_f32_conv_nd(s, x, w, with_bias ? b : NULL, act, algo, y2);
    /* Weights packed once (unaligned buffer, 3 threads): bitwise the same as packed per call. */
    size_t pbytes = 0;
    ck_status stp = ck_f32_conv_pack_size(s, &pbytes);
    void *packed = malloc(pbytes + 5);
    float *y3 = malloc(ny * 4);
    fill_nan(y3, ny);
    if (stp == CK_OK) stp = ck_f32_conv_pack(s, w, with_bias ? b : NULL, (char *)packed + 5, pbytes);
    ck_set_num_threads(3);
    if (stp == CK_OK)
        stp = ck_f32_conv_nd_packed(s, x, w, with_bias ? b : NULL, (char *)packed + 5, pbytes, act, algo, y3);
    if (stp != CK_OK) st2 = stp;
    else if (memcmp(y, y3, ny * 4) != 0) st2 = (ck_status)99; /* reported as a status mismatch */
    /* A buffer made with/without bias for the other case is refused. */
    if (ck_f32_conv_nd_packed(s, x, w, with_bias ? NULL : b, (char *)packed + 5, pbytes, act, algo, y3) != CK_EINVAL)
        st2 = (ck_status)98;
    free(packed), free(y3);
    char what[300];
    snprintf(what, sizeof what,
             "conv[%s algo=%d mode=%d] n=%lld in=%lldx%lldx%lld k=%lldx%lldx%lld s=%lld,%lld,%lld d=%lld,%lld,%lld "
             "p=%lld,%lld,%lld out=%lldx%lldx%lld ci=%lld co=%lld g=%lld act=%d bias=%d",
             ck_dispatch_isa_name(), algo, conv_mode, (long long)s->batch, (long long)s->in_size[0], (long long)s->in_size[1],
             (long long)s->in_size[2], (long long)s->kernel_size[0], (long long)s->kernel_size[1],
             (long long)s->kernel_size[2], (long long)s->stride[0], (long long)s->stride[1], (long long)s->stride[2],
             (long long)s->dilation[0], (long long)s->dilation[1], (long long)s->dilation[2],
             (long long)s->pad_before[0], (long long)s->pad_before[1], (long long)s->pad_before[2],
             (long long)s->out_size[0], (long long)s->out_size[1], (long long)s->out_size[2],
             (long long)s->in_channels, (long long)s->out_channels, (long long)G, act.kind, with_bias);
    if (st != CK_OK || st2 != CK_OK) {
        failures++;
        fprintf(stderr, "FAIL %s: status %d %d\n", what, st, st2);
    } else if (compare(what, y, r, (int64_t)(ny / (size_t)s->out_channels), s->out_channels, s->out_channels, 0) &&
               memcmp(y, y2, ny * 4) != 0) {
        failures++;
        fprintf(stderr, "FAIL %s: 1 vs 2 threads differ bitwise\n", what);
    }
    free(x), free(w), free(b), free(y), free(r), free(y2);
}

/* A shape with `rank` spatial dims (leading ones unit), output length from before/after pads. */
static int make_shape(ck_conv_shape *s, int rank, int64_t batch, int64_t in, int64_t k, int64_t stride,
                      int64_t dil, int64_t pb, int64_t pa, int64_t ci, int64_t co, int64_t g) {
    memset(s, 0, sizeof *s);
    s->batch = batch;
    s->in_channels = ci;
    s->out_channels = co;
    s->groups = g;
    for (int d = 0; d < 3; d++) {
        const int active = d >= 3 - rank;
        const int64_t ind = active ? in + d : 1; /* different sizes per dim catch index mix-ups */
        s->in_size[d] = ind;
        s->kernel_size[d] = active ? k : 1;
        s->stride[d] = active ? stride : 1;
        s->dilation[d] = active ? dil : 1;
        s->pad_before[d] = active ? pb : 0;
        const int64_t span = (s->kernel_size[d] - 1) * s->dilation[d] + 1;
        const int64_t padded = ind + (active ? pb + pa : 0);
        if (padded < span) return 0;
        s->out_size[d] = (padded - span) / s->stride[d] + 1;
    }
    return 1;
}

static void test_conv(int algo) {
    ck_conv_shape s;
    int i = 0;
    for (int rank = 1; rank <= 3; rank++)
        for (int64_t k = 1; k <= 3; k++)
            for (int64_t stride = 1; stride <= 3; stride++)
                for (int64_t dil = 1; dil <= 3; dil++)
                    for (int64_t pad = 0; pad <= 2; pad += 2)
                        for (int64_t g = 1; g <= 4; g *= 2, i++) {
                            static const int64_t cig[] = {1, 3, 8, 17};
                            static const int64_t cog[] = {1, 5, 16, 17, 33};
                            const int64_t ci = cig[i % 4] * g, co = cog[(i / 4) % 5] * g;
                            const int64_t in = rank == 3 ? 4 : (rank == 2 ? 7 : 13);
                            if (!make_shape(&s, rank, 1 + (i % 2), in, k, stride, dil, pad, pad / 2 + (i % 2), ci, co, g))
                                continue;
                            test_conv_one(&s, (i * 5) % NACTS, (i / 3) % 2 == 0, algo);
                        }
    /* 1x1 stride 1, no padding: the GEMM straight on x; and a few real layer shapes. */
    make_shape(&s, 2, 2, 9, 1, 1, 1, 0, 0, 64, 40, 1);
    test_conv_one(&s, 1, 1, algo);
    make_shape(&s, 2, 1, 20, 3, 1, 1, 1, 1, 32, 48, 1);
    test_conv_one(&s, 2, 1, algo);
    make_shape(&s, 2, 1, 30, 3, 2, 1, 1, 1, 3, 24, 1);
    test_conv_one(&s, 0, 1, algo);
    make_shape(&s, 1, 1, 300, 5, 1, 1, 2, 2, 40, 40, 1);
    test_conv_one(&s, 11, 1, algo);
    make_shape(&s, 3, 1, 6, 3, 1, 1, 1, 1, 16, 32, 1);
    test_conv_one(&s, 1, 0, algo);
    make_shape(&s, 2, 1, 12, 3, 1, 1, 1, 1, 200, 600, 1); /* wide: several weight column blocks */
    test_conv_one(&s, 0, 1, algo);
    make_shape(&s, 2, 1, 7, 3, 1, 1, 1, 1, 130, 70, 1); /* K = 1170: several KC blocks */
    test_conv_one(&s, 3, 1, algo);
    make_shape(&s, 2, 2, 5, 3, 1, 1, 1, 1, 300, 40, 2); /* groups with KC blocks */
    test_conv_one(&s, 1, 0, algo);
}

/* ---- depthwise ------------------------------------------------------------------------------- */

static void test_depthwise_one(const ck_conv_shape *s, int act_i, int with_bias) {
    const int64_t taps = s->kernel_size[0] * s->kernel_size[1] * s->kernel_size[2];
    const size_t nx = (size_t)(s->batch * s->in_size[0] * s->in_size[1] * s->in_size[2] * s->in_channels);
    const size_t nw = (size_t)(taps * s->out_channels);
    const size_t ny = (size_t)(s->batch * s->out_size[0] * s->out_size[1] * s->out_size[2] * s->out_channels);
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)s->out_channels * 4);
    float *y = malloc(ny * 4), *r = malloc(ny * 4), *y2 = malloc(ny * 4);
    fill(x, nx), fill(w, nw), fill(b, (size_t)s->out_channels);
    fill_nan(y, ny), fill_nan(r, ny), fill_nan(y2, ny);
    const ck_activation act = ACTS[act_i];
    ck_f32_depthwise_conv_nd__ref(s, x, w, with_bias ? b : NULL, act, r);
    ck_set_num_threads(1);
    ck_status st = ck_f32_depthwise_conv_nd(s, x, w, with_bias ? b : NULL, act, y);
    ck_set_num_threads(2);
    ck_status st2 = ck_f32_depthwise_conv_nd(s, x, w, with_bias ? b : NULL, act, y2);
    char what[200];
    snprintf(what, sizeof what, "depthwise[%s] in=%lld k=%lld s=%lld d=%lld p=%lld c=%lld m=%lld act=%d",
             ck_dispatch_isa_name(), (long long)s->in_size[2], (long long)s->kernel_size[2], (long long)s->stride[2],
             (long long)s->dilation[2], (long long)s->pad_before[2], (long long)s->in_channels,
             (long long)(s->out_channels / s->in_channels), act.kind);
    if (st != CK_OK || st2 != CK_OK) {
        failures++;
        fprintf(stderr, "FAIL %s: status %d %d\n", what, st, st2);
    } else if (compare(what, y, r, (int64_t)(ny / (size_t)s->out_channels), s->out_channels, s->out_channels, 0) &&
               memcmp(y, y2, ny * 4) != 0) {
        failures++;
        fprintf(stderr, "FAIL %s: 1 vs 2 threads differ bitwise\n", what);
    }
    free(x), free(w), free(b), free(y), free(r), free(y2);
}

static void test_depthwise(void) {
    ck_conv_shape s;
    int i = 0;
    static const int64_t chans[] = {1, 3, 8, 13, 16, 24, 33};
    for (int rank = 1; rank <= 3; rank++)
        for (int64_t k = 1; k <= 5; k += 2)
            for (int64_t stride = 1; stride <= 2; stride++)
                for (int64_t dil = 1; dil <= 2; dil++)
                    for (int64_t pad = 0; pad <= 2; pad += 2)
                        for (int64_t mult = 1; mult <= 2; mult++, i++) {
                            const int64_t c = chans[i % 7];
                            const int64_t in = rank == 3 ? 5 : (rank == 2 ? 9 : 17);
                            if (!make_shape(&s, rank, 1 + (i % 2), in, k, stride, dil, pad, pad, c, c * mult, 1))
                                continue;
                            test_depthwise_one(&s, (i * 3) % NACTS, i % 2);
                        }
    make_shape(&s, 2, 1, 56, 3, 1, 1, 1, 1, 64, 64, 1);
    test_depthwise_one(&s, 2, 1);
}

int main(int argc, char **argv) {
    const char *isas[] = {"ref", "avx2", "avx512"};
    for (int i = 0; i < 3; i++) {
        if (argc > 1 && strcmp(argv[1], isas[i]) != 0) continue;
        ck_status st = ck_dispatch_init(isas[i]);
        if (st == CK_EUNSUPPORTED) {
            printf("%-7s not supported by this CPU: skipped\n", isas[i]);
            continue;
        }
        const int before = failures, before_checks = checks;
        if (strcmp(isas[i], "ref") != 0) test_gemm();
        for (conv_mode = 0; conv_mode <= 2; conv_mode++) {
            ck_f32_conv_gemm_set_mode(conv_mode);
            test_conv(CK_ALGO_GEMM);
        }
        conv_mode = 0;
        ck_f32_conv_gemm_set_mode(0);
        test_conv(CK_ALGO_AUTO);
        test_depthwise();
        printf("%-7s %d checks, %d failures\n", isas[i], checks - before_checks, failures - before);
    }
    return failures ? 1 : 0;
}
