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
#include "convkit/ref.h"
#include "convkit/winograd.h"

static int failures = 0, checks = 0;
static int conv_mode = 0; /* ck_f32_conv_gemm_set_mode: 0 heuristic, 1 indirect, 2 tile im2col, 3 aliased-rows kernel */
static double tol = 1e-5; /* error allowed relative to the output's magnitude (Winograd: 1e-4) */
/* Smallest magnitude the error is taken relative to. An activation that saturates (tanh, sigmoid)
 * passes the sum's rounding error through near zero while shrinking the output, so the GEMM
 * tests set it to the largest pre-activation |sum|, whose rounding error grows with K. */
static double mag_floor = 1.0;
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

/* Compare rows x cols (stride ld) of got vs want; extra columns up to ld must be NaN in got.
 * After the exponential activation an absolute error d in the sum z becomes a relative error d
 * in exp(z): the bound is tol relative to |z| (at most ln(max |want|)), not to 1. */
static int compare(const char *what, const float *got, const float *want, int64_t rows, int64_t cols,
                   int64_t ld, int check_pad, ck_activation_kind act_kind) {
    double mag = mag_floor, err = 0.0; /* relative to max(1, max |want|), as tests/conftest.py */
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
    const double allowed = tol * mag * (act_kind == CK_ACT_EXPONENTIAL && log(mag) > 1.0 ? log(mag) : 1.0);
    if (bad_at >= 0 || err > allowed) {
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
    ck_f32_gemm__ref(M, N, K, A, lda, B, ldb, with_bias ? bias : NULL, ACTS[0], R, ldc);
    double max_sum = 1.0;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++)
            if (fabs(R[m * ldc + n]) > max_sum) max_sum = fabs(R[m * ldc + n]);
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
    } else {
        mag_floor = max_sum;
        const int ok = compare(what, C, R, M, N, ldc, 1, act.kind);
        mag_floor = 1.0;
        if (ok && memcmp(C, C2, nc * 4) != 0) {
            /* NaN padding compares equal bitwise too: both copies were filled the same way. */
            failures++;
            fprintf(stderr, "FAIL %s: 1 vs 2 threads differ bitwise\n", what);
        }
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
    /* Reductions over two and three KC blocks of this path, whatever its KC: past kc_max, the most
     * the driver takes in one block when B is narrow. */
    const ck_f32_gemm_ukernel guk = ck_dispatch.gemm_ukernel;
    const int64_t kc = guk.kc_max > guk.kc ? guk.kc_max : (guk.kc > 0 ? guk.kc : 256);
    for (int act = 0; act < NACTS; act++) {
        test_gemm_one(33, 47, kc + 44, act, 1, 5);
        test_gemm_one(7, 5, 3, act, 0, 0);
    }
    test_gemm_one(200, 4100, 20, 1, 1, 1);      /* two NC blocks */
    test_gemm_one(400, 70, 2 * kc + 88, 2, 1, 0); /* several MC blocks, three KC blocks */
    test_gemm_one(1030, 37, kc + 8, 0, 1, 2);   /* a short last MC block and KC block; threads split by rows */
    /* Ragged row blocks that fill the AVX-512 path's 4- and 8-row tiles exactly (8 = 8, 32 = 24 + 8,
     * 40 = 24 + 12 + 4) or not (45 = 24 + 12 + 9), through two KC blocks, with and without bias
     * and clamp. */
    for (int act = 0; act < 3; act++) {
        test_gemm_one(8, 70, kc + 44, act, act & 1, 0);
        test_gemm_one(32, 64, kc + 44, act, 1, 1);
        test_gemm_one(40, 96, kc + 8, act, (act + 1) & 1, 2);
        test_gemm_one(45, 33, kc + 4, act, 1, 0);
    }
    /* Between kc and kc_max: one block over a narrow B, two over a wide one (the B slice budget). */
    test_gemm_one(30, 50, guk.kc + 88, 1, 1, 1);
    test_gemm_one(13, 2100, guk.kc + 88, 2, 1, 0);
    /* Around the row count up to which weights packed once go panel by panel: all of A packed
     * (short K), one row block of every row when A is too long for that, and one row past it.
     * Each compares the packed route with the unpacked one bitwise. */
    const int64_t by_panel = guk.by_panel_rows > 0 ? guk.by_panel_rows : guk.mc;
    test_gemm_one(by_panel, 70, kc + 44, 1, 1, 0);
    test_gemm_one(by_panel - 5, 40, 3 * kc + 100, 2, 1, 1);
    test_gemm_one(by_panel + 1, 33, kc + 8, 0, 0, 2);
    test_gemm_one(1, 4100, 300, 1, 1, 3);   /* one row (row kernel on AVX2), ragged last panel */
    test_gemm_one(1, 4096, 1, 2, 0, 0);
    test_gemm_one(5, 3, 0, 6, 1, 0);        /* K = 0: act(bias) */
}

/* The vector A packers (AVX2 code; the 12-row one serves the AVX-512 path, so it is checked on
 * any AVX2 machine) against the portable packer, bitwise: ragged rows, k tails, odd strides. */
static void test_pack_a(void) {
    static const size_t mcs[] = {1, 5, 6, 7, 11, 12, 13, 23, 24, 25, 168}, kcs[] = {1, 7, 8, 9, 16, 17, 256};
    typedef void (*packer)(size_t, size_t, const float *, size_t, float *);
    static const packer fns[] = {ck_f32_gemm_pack_a_6__avx2, ck_f32_gemm_pack_a_12__avx2};
    static const size_t mrs[] = {6, 12};
    for (int f = 0; f < 2; f++)
        for (size_t i = 0; i < sizeof mcs / sizeof mcs[0]; i++)
            for (size_t j = 0; j < sizeof kcs / sizeof kcs[0]; j++) {
                const size_t mc = mcs[i], kc = kcs[j], mr = mrs[f], lda = kc + (i + j) % 5;
                const size_t panels = (mc + mr - 1) / mr, n = panels * mr * kc;
                float *a = malloc((mc * lda + 8) * 4), *want = malloc(n * 4), *got = malloc((n + 8) * 4);
                fill(a, mc * lda);
                fill_nan(got, n + 8);
                ck_f32_gemm_pack_a(mc, kc, mr, a, lda, want);
                fns[f](mc, kc, a, lda, got);
                checks++;
                if (memcmp(want, got, n * 4) != 0 || !isnan(got[n])) {
                    failures++;
                    fprintf(stderr, "FAIL pack_a mr=%zu mc=%zu kc=%zu lda=%zu\n", mr, mc, kc, lda);
                }
                free(a), free(want), free(got);
            }
}

/* ---- activations over spans (the path's activate_span: vector exp on AVX2 / AVX-512) -------- */

static double act_want(int kind, double x) {
    if (kind == CK_ACT_EXPONENTIAL) return exp(x);
    if (kind == CK_ACT_ELU) return x > 0 ? x : 0.7 * expm1(x);
    if (kind == CK_ACT_SELU) return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * expm1(x));
    if (kind == CK_ACT_TANH) return tanh(x);
    if (kind == CK_ACT_SOFTPLUS) return log1p(exp(-fabs(x))) + fmax(x, 0.0);
    if (kind == CK_ACT_MISH) return x * tanh(log1p(exp(-fabs(x))) + fmax(x, 0.0));
    if (kind == CK_ACT_GELU_ERF) return 0.5 * x * erfc(-x * 0.70710678118654752);
    if (kind == CK_ACT_GELU_TANH) return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    const double s = 1.0 / (1.0 + exp(-x));
    return kind == CK_ACT_SIGMOID ? s : x * s;
}

/* Within 4 ulp of the double-precision value plus 2^-147 (the denormals; exceptions below), NaN for
 * NaN and the limits at +-inf; and each value's result the same bits whatever span it is in. */
static void test_activation_span(void) {
    static const int kinds[] = {CK_ACT_EXPONENTIAL, CK_ACT_SIGMOID, CK_ACT_SILU, CK_ACT_TANH, CK_ACT_GELU_TANH,
                                CK_ACT_GELU_ERF, CK_ACT_ELU, CK_ACT_SELU, CK_ACT_SOFTPLUS, CK_ACT_MISH};
    enum { N = 4096 + 40 };
    static float x[N], y[N], z[N];
    for (int i = 0; i < 4096; i++) x[i] = -110.0f + 210.0f * (float)i / 4095.0f; /* exp(-110) .. overflow */
    for (int i = 0; i < 24; i++) x[4096 + i] = ldexpf(1.0f + (float)i / 24.0f, -30 + 2 * i) * (i % 2 ? -1.0f : 1.0f);
    const float special[16] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -87.3f, -87.4f, -103.9f,
                               -103.98f, -104.0f, 88.72f, 88.7228f, 88.73f, 1e-8f, -1e-8f, 0.5f};
    memcpy(x + 4096 + 24, special, sizeof special);
    for (int k = 0; k < 10; k++) {
        const ck_activation act = {kinds[k], kinds[k] == CK_ACT_ELU ? 0.7f : 0.0f};
        memcpy(y, x, sizeof x);
        ck_dispatch.activate_span(y, N, act);
        double worst = 0.0;
        int bad = -1;
        for (int i = 0; i < N && bad < 0; i++) {
            const double want = act_want(kinds[k], (double)x[i]);
            if (isnan(want) || isnan(y[i])) {
                if (isnan(want) != isnan(y[i])) bad = i;
                continue;
            }
            if (isinf((float)want) || isinf(y[i])) { /* beyond FLT_MAX in float: inf */
                if ((float)want != y[i]) bad = i;
                continue;
            }
            const double err = fabs((double)y[i] - want);
            const double ulp = fabs(want) >= 0x1p-126 ? ldexp(1.0, ilogb(want) - 23) : 0x1p-149;
            /* plus the denormal floor, which silu multiplies by |x| (up to ~110) when the sigmoid
             * (mish: the softplus) underflows into the denormals, in libm's path as in the vector ones */
            double floor_ = 0x1p-147 * (kinds[k] == CK_ACT_SILU || kinds[k] == CK_ACT_MISH ? fmax(1.0, fabs((double)x[i])) : 1.0);
            /* gelu's 1 + tanh(..) cancels for x < -3 in float, in libm's path as in the vector ones;
             * exact gelu uses erfc there and is held to 8 ulp on the vector paths (about 6 measured
             * over [-15, 15]); the reference path's erfcf(x / -sqrt2) starts from a rounded
             * argument, worth a relative x^2 2^-24 of e^-x^2/2 */
            double ulps = 4.0;
            if (kinds[k] == CK_ACT_GELU_TANH) floor_ = fabs((double)x[i]) * 0x1p-24;
            else if (kinds[k] == CK_ACT_GELU_ERF) ulps = 8.0;
            if (kinds[k] == CK_ACT_GELU_ERF && strcmp(ck_dispatch_isa_name(), "ref") == 0)
                floor_ += fabs(want) * (double)x[i] * (double)x[i] * 0x1p-24;
            const double bound = (fabs(want) >= 0x1p-126 ? ulps * ulp : 0.0) + floor_;
            if (err > bound) bad = i;
            if (err / ulp > worst) worst = err / ulp;
        }
        /* spans of every length 1..40 at odd offsets give the same bits as the one long span */
        for (int len = 1; len <= 40 && bad < 0; len++)
            for (int off = len; off + len <= N && bad < 0; off += 997) {
                memcpy(z, x + off, (size_t)len * sizeof(float));
                ck_dispatch.activate_span(z, (size_t)len, act);
                if (memcmp(z, y + off, (size_t)len * sizeof(float)) != 0) bad = off;
            }
        checks++;
        if (bad >= 0) {
            failures++;
            fprintf(stderr, "FAIL activate_span[%s] kind=%d at x=%.9g: got %.9g want %.9g\n", ck_dispatch_isa_name(),
                    kinds[k], (double)x[bad], (double)y[bad], act_want(kinds[k], (double)x[bad]));
        } else if (getenv("CK_TEST_VERBOSE")) {
            printf("activate_span[%s] kind=%d: worst %.2f ulp\n", ck_dispatch_isa_name(), kinds[k], worst);
        }
    }
}

/* activate_copy (out of place, one pass) gives the bits of a copy followed by activate_span, for
 * every kind, at lengths around the vector widths and odd offsets. */
static void test_activation_copy(void) {
    if (ck_dispatch.activate_copy == NULL) return;
    enum { N = 1000 };
    static float x[N], want[N], got[N];
    fill(x, N);
    for (int i = 0; i < N; i++) x[i] *= 12.0f;
    x[7] = NAN, x[8] = INFINITY, x[9] = -INFINITY, x[10] = -0.0f;
    static const size_t lengths[] = {1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 990};
    for (int kind = 1; kind < CK_ACT_COUNT_; kind++) {
        const ck_activation act = {kind, 0.3f};
        int bad = 0;
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0] && !bad; li++)
            for (size_t off = 0; off < 4 && !bad; off += 3) {
                const size_t n = lengths[li];
                memcpy(want, x + off, n * sizeof(float));
                ck_dispatch.activate_span(want, n, act);
                memset(got, 0xFF, sizeof got);
                ck_dispatch.activate_copy(x + off, got, n, act);
                if (memcmp(got, want, n * sizeof(float)) != 0 || got[n] == got[n]) bad = 1; /* and no write past n */
            }
        checks++;
        if (bad) {
            failures++;
            fprintf(stderr, "FAIL activate_copy[%s] kind=%d differs from copy + activate_span\n", ck_dispatch_isa_name(),
                    kind);
        }
    }
}

/* The vector softmax rows give the portable loop's bits (with the same path's exponential), for
 * row lengths around the vector widths and the 32/64-wide max unrolling, and rows with +-inf,
 * NaN, all -inf and values far apart. */
static void test_softmax_rows(void) {
    if (ck_dispatch.softmax_row == NULL) return;
    static const int64_t lengths[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 63, 64, 65, 100, 1000};
    enum { MAXN = 1000, ROWS = 6 };
    static float x[ROWS * MAXN], want[ROWS * MAXN], got[ROWS * MAXN];
    const ck_softmax_row_fn row = ck_dispatch.softmax_row;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        const int64_t n = lengths[li];
        fill(x, (size_t)(ROWS * n));
        for (int64_t i = 0; i < n; i++) x[n + i] *= 200.0f;              /* exp underflows to 0 */
        x[2 * n + n / 2] = INFINITY;                                      /* inf - inf: NaN row */
        for (int64_t i = 0; i < n; i++) x[3 * n + i] = -INFINITY;         /* all -inf */
        x[4 * n + (n - 1)] = NAN;                                         /* NaN row */
        x[5 * n] = -INFINITY;                                             /* one -inf: exp 0 */
        ck_dispatch.softmax_row = NULL;
        ck_status st = ck_f32_softmax(ROWS, n, x, 0, want);
        ck_dispatch.softmax_row = row;
        st = st != CK_OK ? st : ck_f32_softmax(ROWS, n, x, 0, got);
        checks++;
        if (st != CK_OK || memcmp(got, want, (size_t)(ROWS * n) * sizeof(float)) != 0) {
            failures++;
            int64_t at = 0;
            while (at + 1 < ROWS * n && memcmp(got + at, want + at, sizeof(float)) == 0) at++;
            fprintf(stderr, "FAIL softmax_row[%s] n=%lld: element %lld got %.9g want %.9g (status %d)\n",
                    ck_dispatch_isa_name(), (long long)n, (long long)at, (double)got[at], (double)want[at], (int)st);
        }
    }
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
        stp = ck_f32_conv_nd_packed(s, x, w, with_bias ? b : NULL, (char *)packed + 5, pbytes, NULL, 0, act, algo, y3);
    if (stp != CK_OK) st2 = stp;
    else if (memcmp(y, y3, ny * 4) != 0) st2 = (ck_status)99; /* reported as a status mismatch */
    /* A buffer made with/without bias for the other case is refused. */
    if (ck_f32_conv_nd_packed(s, x, w, with_bias ? NULL : b, (char *)packed + 5, pbytes, NULL, 0, act, algo, y3) != CK_EINVAL)
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
    } else {
        /* 'auto' may choose Winograd (conv.c), whose error bound is Winograd's. */
        const double saved_tol = tol;
        if (algo == CK_ALGO_AUTO && tol < 1e-4) tol = 1e-4;
        const int ok = compare(what, y, r, (int64_t)(ny / (size_t)s->out_channels), s->out_channels, s->out_channels, 0, act.kind);
        tol = saved_tol;
        if (ok && memcmp(y, y2, ny * 4) != 0) {
            failures++;
            fprintf(stderr, "FAIL %s: 1 vs 2 threads differ bitwise\n", what);
        }
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

/* ---- direct convolution for few input channels (csrc/conv/f32-conv-small.c) ------------------
 * 'direct' runs it on the vector paths (groups = 1), 'auto' where CI*KW is small. Edge sizes: W
 * shorter than, equal to and past the 6/12-pixel tile, Cout around the 16/32-column panel, all
 * input channel counts 1..4, strides, dilations, paddings larger than the kernel, 1D/2D/3D. */
static void test_conv_small_one(int64_t batch, int64_t ID, int64_t IH, int64_t IW, int64_t kd, int64_t kh, int64_t kw,
                                int64_t stride, int64_t dil, int64_t pb, int64_t pa, int64_t ci, int64_t co, int act_i,
                                int with_bias, int algo) {
    ck_conv_shape s;
    memset(&s, 0, sizeof s);
    const int64_t in[3] = {ID, IH, IW}, k[3] = {kd, kh, kw};
    s.batch = batch;
    s.in_channels = ci;
    s.out_channels = co;
    s.groups = 1;
    for (int d = 0; d < 3; d++) {
        s.in_size[d] = in[d];
        s.kernel_size[d] = k[d];
        s.stride[d] = k[d] > 1 || in[d] > 1 ? stride + (d == 1 && stride > 1) : 1; /* H, W strides differ */
        s.dilation[d] = k[d] > 1 ? dil : 1;
        s.pad_before[d] = k[d] > 1 ? pb : 0;
        const int64_t span = (k[d] - 1) * s.dilation[d] + 1, padded = in[d] + (k[d] > 1 ? pb + pa : 0);
        if (padded < span) return;
        s.out_size[d] = (padded - span) / s.stride[d] + 1;
    }
    test_conv_one(&s, act_i, with_bias, algo);
}

static void test_conv_small(void) {
    static const int64_t couts[] = {1, 7, 8, 15, 16, 17, 33};
    static const int64_t widths[] = {1, 5, 13, 17};
    int i = 0;
    for (int64_t ci = 1; ci <= 4; ci++)
        for (int c = 0; c < 7; c++)
            for (int wi = 0; wi < 4; wi++, i++) {
                const int64_t co = couts[c], W = widths[wi];
                const int algo = i % 3 == 0 ? CK_ALGO_AUTO : CK_ALGO_DIRECT;
                /* 2D 3x3 same, stride 1 */
                test_conv_small_one(1 + i % 2, 1, 6, W, 1, 3, 3, 1, 1, 1, 1, ci, co, i % NACTS, i % 2, algo);
                /* 2D stride 2 (H stride 3), dilation 2, padding past the kernel on one side */
                test_conv_small_one(1, 1, 9, W, 1, 3, 3, 2, 2, 2, 3, ci, co, (i * 7) % NACTS, (i + 1) % 2, algo);
                /* 2D 5x2 valid (no padding: rows used in place), and 7x7 stride 2 pad 3 */
                test_conv_small_one(2, 1, 7, W + 1, 1, 5, 2, 1, 1, 0, 0, ci, co, 1, 1, algo);
                test_conv_small_one(1, 1, 11, W + 6, 1, 7, 7, 2, 1, 3, 3, ci, co, 2, i % 2, algo);
                /* 1D k9 same, dilation 3; 3D 3x3x3 same */
                test_conv_small_one(1, 1, 1, 4 * W, 1, 1, 9, 1, 1 + 2 * (i % 2), 4, 4, ci, co, 0, 1, algo);
                test_conv_small_one(1, 3, 4, W, 3, 3, 3, 1, 1, 1, 1, ci, co, (i * 5) % NACTS, 1, algo);
            }
    /* Long rows (several runs and sub-runs per row), wide Cout, larger Cin. */
    test_conv_small_one(1, 1, 5, 700, 1, 3, 3, 1, 1, 1, 1, 3, 64, 1, 1, CK_ALGO_DIRECT);
    test_conv_small_one(3, 1, 9, 61, 1, 3, 3, 2, 1, 1, 1, 3, 40, 6, 1, CK_ALGO_AUTO);
    test_conv_small_one(1, 1, 12, 12, 1, 3, 3, 1, 1, 1, 1, 16, 70, 2, 0, CK_ALGO_AUTO);
    test_conv_small_one(1, 1, 8, 10, 1, 3, 3, 1, 1, 1, 1, 64, 48, 0, 1, CK_ALGO_DIRECT);
    test_conv_small_one(40, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 3, 32, 1, 1, CK_ALGO_AUTO); /* many tiny rows */
    /* The whole generic sweep through 'direct' (groups > 1 falls back to the reference). */
    test_conv(CK_ALGO_DIRECT);
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
    char what[300];
    snprintf(what, sizeof what,
             "depthwise[%s] n=%lld in=%lldx%lldx%lld k=%lldx%lldx%lld s=%lld,%lld,%lld d=%lld,%lld,%lld "
             "p=%lld,%lld,%lld out=%lldx%lldx%lld c=%lld m=%lld act=%d bias=%d",
             ck_dispatch_isa_name(), (long long)s->batch, (long long)s->in_size[0], (long long)s->in_size[1],
             (long long)s->in_size[2], (long long)s->kernel_size[0], (long long)s->kernel_size[1],
             (long long)s->kernel_size[2], (long long)s->stride[0], (long long)s->stride[1], (long long)s->stride[2],
             (long long)s->dilation[0], (long long)s->dilation[1], (long long)s->dilation[2],
             (long long)s->pad_before[0], (long long)s->pad_before[1], (long long)s->pad_before[2],
             (long long)s->out_size[0], (long long)s->out_size[1], (long long)s->out_size[2],
             (long long)s->in_channels, (long long)(s->out_channels / s->in_channels), act.kind, with_bias);
    if (st != CK_OK || st2 != CK_OK) {
        failures++;
        fprintf(stderr, "FAIL %s: status %d %d\n", what, st, st2);
    } else if (compare(what, y, r, (int64_t)(ny / (size_t)s->out_channels), s->out_channels, s->out_channels, 0, act.kind) &&
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
    /* Stride-1 rows wide enough for several 8-pixel tiles (AVX-512), kernel widths 3/5/7, 'same'
     * and 'valid', channel counts around 16 and the 64-channel units, 1D/2D/3D. */
    static const int64_t wide_k[] = {3, 5, 7}, wide_c[] = {16, 17, 40, 96, 100};
    for (int ki = 0; ki < 3; ki++)
        for (int ci = 0; ci < 5; ci++) {
            const int64_t k = wide_k[ki], c = wide_c[ci], pad = (ci % 2) ? k / 2 : 0;
            if (make_shape(&s, 2, 1, 23, k, 1, 1, pad, pad, c, c, 1)) test_depthwise_one(&s, (ki + ci) % NACTS, ci % 2);
            if (make_shape(&s, 1, 2, 41, k, 1, 1, pad, k - 1 - pad, c, c, 1)) test_depthwise_one(&s, (ki + 2 * ci) % NACTS, 1);
        }
    if (make_shape(&s, 3, 1, 9, 3, 1, 1, 1, 1, 24, 24, 1)) test_depthwise_one(&s, 1, 1);
}

/* Edge sizes: channels around the vector widths (8, 16), tiny and odd images, kernels 1..5,
 * strides and dilations 1..3, different padding before and after (including windows that lie
 * wholly in the padding), multipliers 1..3, 1D/2D/3D; and the MobileNet shapes' channel counts. */
static void test_depthwise_edges(void) {
    static const int64_t chans[] = {1, 7, 8, 9, 15, 16, 17, 33};
    static const int64_t spatial[] = {1, 2, 5, 13};
    ck_conv_shape s;
    int i = 0;
    for (int rank = 1; rank <= 3; rank++)
        for (int64_t k = 1; k <= 5; k++)
            for (int64_t stride = 1; stride <= 3; stride++)
                for (int64_t dil = 1; dil <= 3; dil++)
                    for (int rep = 0; rep < (rank == 3 ? 1 : 3); rep++, i++) {
                        const int64_t c = chans[(i * 5 + rep) % 8], mult = 1 + (i + rep) % 3;
                        const int64_t in = spatial[(i / 3 + rep) % 4] + (rank == 1 ? 11 : 0);
                        const int64_t span = (k - 1) * dil + 1;
                        const int64_t pb = (i + 2 * rep) % (span + 1), pa = (i * 7 + rep) % (span + 1);
                        if (!make_shape(&s, rank, 1 + (i % 2), rank == 3 && in > 5 ? 5 : in, k, stride, dil, pb, pa,
                                        c, c * mult, 1))
                            continue;
                        test_depthwise_one(&s, (i * 5 + rep) % NACTS, (i + rep) % 3 != 0);
                    }
    /* 2D 3x3 'same' (stride 1 and 2) on every channel edge: the MobileNet kernels' own path. */
    for (int ci = 0; ci < 8; ci++)
        for (int64_t stride = 1; stride <= 2; stride++)
            for (int64_t mult = 1; mult <= 3; mult++) {
                make_shape(&s, 2, 1, 13, 3, stride, 1, 1, stride == 1 ? 1 : 0, chans[ci], chans[ci] * mult, 1);
                test_depthwise_one(&s, (int)(ci + mult) % 3, (ci + stride) % 2);
            }
    /* Real layer shapes (smaller images, same channels): 144, 192, 576, 960 channels. */
    static const int64_t mobilenet[][3] = {{15, 32, 1}, {14, 144, 2}, {9, 192, 1}, {7, 576, 2}, {7, 960, 1}};
    for (int j = 0; j < 5; j++) {
        const int64_t st = mobilenet[j][2], in = mobilenet[j][0];
        make_shape(&s, 2, 1, in, 3, st, 1, st == 1 ? 1 : 0, 1, mobilenet[j][1], mobilenet[j][1], 1);
        test_depthwise_one(&s, j % 3, 1);
    }
    make_shape(&s, 2, 2, 16, 5, 1, 1, 2, 2, 40, 40, 1); /* 5x5: the generic-KW interior */
    test_depthwise_one(&s, 2, 1);
    /* Stride-1 rows in 8-pixel tiles (AVX-512) whose first and last cross the borders: widths
     * (make_shape's `in` + 2) from 3 (narrower than the kernel) through a tile +- 1 to two tiles
     * + 1, kernel widths 3, 5 and 7, padding before and after from none to the whole kernel, 1D
     * and 2D. */
    static const int64_t widths[] = {1, 2, 3, 5, 6, 7, 8, 13, 14, 15};
    int j = 0;
    for (int64_t k = 3; k <= 7; k += 2)
        for (int wi = 0; wi < 10; wi++)
            for (int64_t pb = 0; pb < k; pb += (k - 1) / 2)
                for (int64_t pa = 0; pa < k; pa += k - 1, j++) {
                    const int rank = 1 + j % 2;
                    if (make_shape(&s, rank, 1 + j % 2, widths[wi], k, 1, 1, pb, pa, j % 3 ? 16 : 23, j % 3 ? 16 : 23, 1))
                        test_depthwise_one(&s, j % NACTS, j % 4 != 0);
                }
}

/* ---- pooling --------------------------------------------------------------------------------- */

/* The fast pools must equal the reference bit for bit (same sums in the same order; max keeps
 * the same NaN), with NaN, Inf and -0 sprinkled in the input. */
static void test_pool_one(const ck_pool_shape *s, int is_max, int nonfinite) {
    const size_t nx = (size_t)(s->batch * s->in_size[0] * s->in_size[1] * s->in_size[2] * s->channels);
    const size_t ny = (size_t)(s->batch * s->out_size[0] * s->out_size[1] * s->out_size[2] * s->channels);
    float *x = malloc(nx * 4), *y = malloc(ny * 4), *r = malloc(ny * 4), *y2 = malloc(ny * 4);
    fill(x, nx);
    if (nonfinite)
        for (size_t i = 0; i < nx; i += 1 + (size_t)(rng % 23)) {
            uint32_t bits = 0x7fc00000u + (uint32_t)(i & 0xffff); /* NaNs with distinct payloads */
            switch (rng % 5) {
            case 0: memcpy(&x[i], &bits, 4); break;
            case 1: x[i] = INFINITY; break;
            case 2: x[i] = -INFINITY; break;
            case 3: x[i] = -0.0f; break;
            default: x[i] = 0.0f; break;
            }
            frand();
        }
    fill_nan(y, ny), fill_nan(r, ny), fill_nan(y2, ny);
    if (is_max) ck_f32_max_pool_nd__ref(s, x, r);
    else ck_f32_avg_pool_nd__ref(s, x, r);
    ck_set_num_threads(1);
    ck_status st = is_max ? ck_f32_max_pool_nd(s, x, y) : ck_f32_avg_pool_nd(s, x, y);
    ck_set_num_threads(2);
    ck_status st2 = is_max ? ck_f32_max_pool_nd(s, x, y2) : ck_f32_avg_pool_nd(s, x, y2);
    char what[300];
    snprintf(what, sizeof what,
             "%s_pool[%s] n=%lld in=%lldx%lldx%lld win=%lldx%lldx%lld s=%lld,%lld,%lld p=%lld,%lld,%lld "
             "out=%lldx%lldx%lld c=%lld nonfinite=%d",
             is_max ? "max" : "avg", ck_dispatch_isa_name(), (long long)s->batch, (long long)s->in_size[0],
             (long long)s->in_size[1], (long long)s->in_size[2], (long long)s->window[0], (long long)s->window[1],
             (long long)s->window[2], (long long)s->stride[0], (long long)s->stride[1], (long long)s->stride[2],
             (long long)s->pad_before[0], (long long)s->pad_before[1], (long long)s->pad_before[2],
             (long long)s->out_size[0], (long long)s->out_size[1], (long long)s->out_size[2],
             (long long)s->channels, nonfinite);
    /* Average: which NaN a sum of NaNs returns depends on the operand order the compiler picked
     * for the reference's scalar add, so there only NaN-ness must match. */
    size_t at = 0;
    while (at < ny && (memcmp(&y[at], &r[at], 4) == 0 || (!is_max && isnan(y[at]) && isnan(r[at])))) at++;
    checks++;
    if (st != CK_OK || st2 != CK_OK) {
        failures++;
        fprintf(stderr, "FAIL %s: status %d %d\n", what, st, st2);
    } else if (at < ny) {
        failures++;
        if (failures < 30)
            fprintf(stderr, "FAIL %s: not bitwise the reference at %zu (%g vs %g)\n", what, at, y[at], r[at]);
    } else if (memcmp(y, y2, ny * 4) != 0) {
        failures++;
        fprintf(stderr, "FAIL %s: 1 vs 2 threads differ bitwise\n", what);
    }
    free(x), free(y), free(r), free(y2);
}

/* A pool shape with `rank` spatial dims; pad before/after below the window (Keras 'same' and
 * more), so that every window holds a cell of the input. */
static int make_pool(ck_pool_shape *s, int rank, int64_t batch, int64_t in, int64_t win, int64_t stride,
                     int64_t pb, int64_t pa, int64_t c) {
    memset(s, 0, sizeof *s);
    s->batch = batch;
    s->channels = c;
    for (int d = 0; d < 3; d++) {
        const int active = d >= 3 - rank;
        const int64_t ind = active ? in + d : 1;
        s->in_size[d] = ind;
        s->window[d] = active ? win : 1;
        s->stride[d] = active ? stride : 1;
        s->pad_before[d] = active ? pb % win : 0;
        const int64_t padded = ind + (active ? pb % win + pa % win : 0);
        if (padded < s->window[d]) return 0;
        s->out_size[d] = (padded - s->window[d]) / s->stride[d] + 1;
    }
    return 1;
}

static void test_pool(void) {
    static const int64_t chans[] = {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65};
    static const int64_t spatial[] = {1, 2, 5, 13};
    ck_pool_shape s;
    int i = 0;
    for (int rank = 1; rank <= 3; rank++)
        for (int64_t win = 1; win <= 4; win++)
            for (int64_t stride = 1; stride <= 3; stride++)
                for (int rep = 0; rep < 4; rep++, i++) {
                    const int64_t in = spatial[(i + rep) % 4] + (rank == 1 ? 9 : 0);
                    if (!make_pool(&s, rank, 1 + i % 2, rank == 3 && in > 5 ? 5 : in, win, stride, i + rep,
                                   i * 3 + rep * 5, chans[(i * 7 + rep) % 12]))
                        continue;
                    test_pool_one(&s, 1, rep % 2);
                    test_pool_one(&s, 0, rep % 2);
                }
    /* ResNet stem 3x3 s2 and VGG 2x2 s2 (smaller images), with and without non-finite values. */
    make_pool(&s, 2, 1, 22, 3, 2, 0, 1, 64);
    test_pool_one(&s, 1, 0), test_pool_one(&s, 1, 1), test_pool_one(&s, 0, 1);
    make_pool(&s, 2, 2, 24, 2, 2, 0, 0, 64);
    test_pool_one(&s, 1, 0), test_pool_one(&s, 1, 1), test_pool_one(&s, 0, 0);
}

/* Adaptive pools: the public entry (the table's local pool on a regular grid, the reference
 * otherwise) equals the reference kernel bit for bit (average: NaN-ness where NaNs meet), and is
 * the same at 1 and 2 threads; plus a hand-worked case of overlapping windows and the refusals. */
static void test_adaptive_pool_one(int64_t batch, const int64_t in[3], const int64_t out[3], int64_t c, int is_max) {
    const size_t nx = (size_t)(batch * in[0] * in[1] * in[2] * c), ny = (size_t)(batch * out[0] * out[1] * out[2] * c);
    float *x = malloc(nx * 4), *y = malloc(ny * 4), *r = malloc(ny * 4), *y2 = malloc(ny * 4);
    fill(x, nx);
    for (size_t i = 3; i < nx; i += 7 + (size_t)(rng % 29)) {
        x[i] = (rng % 3 == 0) ? NAN : (rng % 3 == 1) ? INFINITY : -0.0f;
        frand();
    }
    fill_nan(y, ny), fill_nan(r, ny), fill_nan(y2, ny);
    ck_f32_adaptive_pool_nd__ref(batch, c, in, out, x, r, is_max);
    ck_set_num_threads(1);
    ck_status st = is_max ? ck_f32_adaptive_max_pool_nd(batch, c, in, out, x, y)
                          : ck_f32_adaptive_avg_pool_nd(batch, c, in, out, x, y);
    ck_set_num_threads(2);
    ck_status st2 = is_max ? ck_f32_adaptive_max_pool_nd(batch, c, in, out, x, y2)
                           : ck_f32_adaptive_avg_pool_nd(batch, c, in, out, x, y2);
    size_t at = 0;
    while (at < ny && (memcmp(&y[at], &r[at], 4) == 0 || (!is_max && isnan(y[at]) && isnan(r[at])))) at++;
    checks++;
    if (st != CK_OK || st2 != CK_OK || at < ny || memcmp(y, y2, ny * 4) != 0) {
        failures++;
        fprintf(stderr, "FAIL adaptive_%s_pool[%s] n=%lld in=%lldx%lldx%lld out=%lldx%lldx%lld c=%lld: status %d %d, "
                "first difference from the reference at %zu of %zu, or 1 vs 2 threads differ\n",
                is_max ? "max" : "avg", ck_dispatch_isa_name(), (long long)batch, (long long)in[0], (long long)in[1],
                (long long)in[2], (long long)out[0], (long long)out[1], (long long)out[2], (long long)c, st, st2, at,
                ny);
    }
    free(x), free(y), free(r), free(y2);
}

static void test_adaptive_pool(void) {
    static const int64_t sizes[][2] = {{1, 1}, {7, 7}, {8, 4},  {12, 3}, {7, 3},
                                       {13, 6}, {3, 7}, {1, 5}, {10, 4}, {9, 1}};
    static const int64_t chans[] = {1, 7, 8, 16, 17, 33, 64};
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j += 3) {
            const int64_t in[3] = {1, sizes[i][0], sizes[j][0]}, out[3] = {1, sizes[i][1], sizes[j][1]};
            test_adaptive_pool_one(1 + i % 2, in, out, chans[(i + j) % 7], 1);
            test_adaptive_pool_one(1 + i % 2, in, out, chans[(i + j) % 7], 0);
        }
    const int64_t in3[3] = {5, 6, 4}, out3[3] = {2, 3, 3}, in3r[3] = {4, 6, 3}, out3r[3] = {2, 3, 1};
    test_adaptive_pool_one(2, in3, out3, 9, 1), test_adaptive_pool_one(2, in3, out3, 9, 0);
    test_adaptive_pool_one(2, in3r, out3r, 17, 1), test_adaptive_pool_one(2, in3r, out3r, 17, 0);

    /* 5 cells pooled to 3: windows [0,2) [1,4) [3,5) (the middle one overlaps both). */
    const float x[5] = {1, 2, 6, 4, 8};
    const int64_t in[3] = {1, 1, 5}, out[3] = {1, 1, 3};
    float ya[3], ym[3];
    ck_status sa = ck_f32_adaptive_avg_pool_nd(1, 1, in, out, x, ya);
    ck_status sm = ck_f32_adaptive_max_pool_nd(1, 1, in, out, x, ym);
    checks++;
    if (sa != CK_OK || sm != CK_OK || ya[0] != 1.5f || ya[1] != 4.0f || ya[2] != 6.0f || ym[0] != 2.0f ||
        ym[1] != 6.0f || ym[2] != 8.0f) {
        failures++;
        fprintf(stderr, "FAIL adaptive pool 5 -> 3: avg %g %g %g max %g %g %g\n", ya[0], ya[1], ya[2], ym[0], ym[1],
                ym[2]);
    }
    /* Refused: an output or input size of 0, no channels; batch 0 is an empty success. */
    const int64_t zero_out[3] = {1, 1, 0}, zero_in[3] = {1, 0, 5};
    checks++;
    if (ck_f32_adaptive_avg_pool_nd(1, 1, in, zero_out, x, ya) != CK_EINVAL ||
        ck_f32_adaptive_max_pool_nd(1, 1, zero_in, out, x, ym) != CK_EINVAL ||
        ck_f32_adaptive_max_pool_nd(1, 0, in, out, x, ym) != CK_EINVAL ||
        ck_f32_adaptive_max_pool_nd(0, 1, in, out, NULL, NULL) != CK_OK) {
        failures++;
        fprintf(stderr, "FAIL adaptive pool: bad sizes not refused\n");
    }
}

/* ---- Winograd F(4x4, 3x3) (csrc/winograd/) -----------------------------------------------------
 * 3x3 stride 1 dilation 1, 2D (and 3D with a 1x3x3 kernel): every output size 1..9 per dim (partial
 * 4x4 tiles), padding 0/1/2 before with any after, groups, channel counts around the 8/16 vector
 * width and the 6/12-row and 16/32-column GEMM tiles, several tile blocks. Within 1e-4. */
/* Winograd thread split (ck_f32_conv_winograd_set_split): the team sharing every block at 1
 * thread (the original scheme) is the reference; whole blocks per thread (with the shared
 * remainder, or only) at 1, 2, 3, 8 threads, block sizes of 1..3 row panels, must be bitwise equal,
 * and so must the reference at every block size. */
static void test_winograd_split(const ck_conv_shape *s, int act_i, int with_bias) {
    const size_t nx = (size_t)(s->batch * s->in_size[0] * s->in_size[1] * s->in_size[2] * s->in_channels);
    const size_t nw = (size_t)(9 * (s->in_channels / s->groups) * s->out_channels);
    const size_t ny = (size_t)(s->batch * s->out_size[0] * s->out_size[1] * s->out_size[2] * s->out_channels);
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)s->out_channels * 4);
    float *r = malloc(ny * 4), *y = malloc(ny * 4);
    fill(x, nx), fill(w, nw), fill(b, (size_t)s->out_channels);
    const ck_activation act = ACTS[act_i];
    float *r0 = malloc(ny * 4);
    for (int blk = 0; blk <= 3; blk++) {
        ck_f32_conv_winograd_set_block(blk * (int)ck_dispatch.gemm_ukernel.mr);
        fill_nan(r, ny);
        ck_set_num_threads(1);
        ck_f32_conv_winograd_set_split(1);
        ck_status st = ck_f32_conv_nd__winograd(s, x, w, with_bias ? b : NULL, act, r);
        /* the block size never changes a value either */
        if (blk == 0) memcpy(r0, r, ny * 4);
        checks++;
        if (st != CK_OK || memcmp(r0, r, ny * 4) != 0) {
            failures++;
            fprintf(stderr, "FAIL winograd block[%s] in=%lldx%lld ci=%lld co=%lld block=%d: status %d or not bitwise "
                    "equal to the default block\n", ck_dispatch_isa_name(), (long long)s->in_size[1],
                    (long long)s->in_size[2], (long long)s->in_channels, (long long)s->out_channels, blk, st);
        }
        for (int split = 0; split <= 3; split++)
            for (int nti = 0; nti < 4; nti++) {
                static const int team[4] = {1, 2, 3, 8}; /* 8: the team shares blocks in fine pieces */
                const int nt = team[nti];
                if (split == 1 && nt == 1) continue;
                ck_set_num_threads(nt);
                ck_f32_conv_winograd_set_split(split);
                fill_nan(y, ny);
                ck_status st2 = ck_f32_conv_nd__winograd(s, x, w, with_bias ? b : NULL, act, y);
                checks++;
                if (st != CK_OK || st2 != CK_OK || memcmp(r, y, ny * 4) != 0) {
                    failures++;
                    fprintf(stderr,
                            "FAIL winograd split[%s] in=%lldx%lld ci=%lld co=%lld g=%lld block=%d split=%d threads=%d: "
                            "status %d %d or not bitwise equal to the shared scheme at 1 thread\n",
                            ck_dispatch_isa_name(), (long long)s->in_size[1], (long long)s->in_size[2],
                            (long long)s->in_channels, (long long)s->out_channels, (long long)s->groups, blk, split, nt,
                            st, st2);
                }
            }
    }
    free(r0);
    ck_f32_conv_winograd_set_block(0);
    ck_f32_conv_winograd_set_split(0);
    /* Filters transformed once (unaligned buffer, packed at 2 threads, run at 1 and 3): bitwise the
     * unpacked result; a buffer for another shape is refused. */
    ck_set_num_threads(1);
    fill_nan(r, ny);
    ck_status st = ck_f32_conv_nd__winograd(s, x, w, with_bias ? b : NULL, act, r);
    size_t pbytes = 0;
    if (st == CK_OK) st = ck_f32_conv_winograd_pack_size(s, &pbytes);
    char *buf = malloc(pbytes + 3);
    ck_set_num_threads(2);
    if (st == CK_OK) st = ck_f32_conv_winograd_pack(s, w, buf + 3, pbytes);
    for (int nt = 1; nt <= 3 && st == CK_OK; nt += 2) {
        ck_set_num_threads(nt);
        fill_nan(y, ny);
        st = ck_f32_conv_nd__winograd_packed(s, x, buf + 3, pbytes, with_bias ? b : NULL, act, y);
        if (st == CK_OK && memcmp(r, y, ny * 4) != 0) st = (ck_status)99;
    }
    ck_conv_shape other = *s;
    other.out_channels += other.groups;
    if (st == CK_OK && (ck_f32_conv_winograd_packed_ok(&other, buf + 3, pbytes + 4096) ||
                        !ck_f32_conv_winograd_packed_ok(s, buf + 3, pbytes) ||
                        ck_f32_conv_nd__winograd_packed(s, x, buf + 3, pbytes - 1, NULL, act, y) != CK_EINVAL))
        st = (ck_status)98;
    checks++;
    if (st != CK_OK) {
        failures++;
        fprintf(stderr, "FAIL winograd packed[%s] in=%lldx%lld ci=%lld co=%lld g=%lld: status %d\n",
                ck_dispatch_isa_name(), (long long)s->in_size[1], (long long)s->in_size[2], (long long)s->in_channels,
                (long long)s->out_channels, (long long)s->groups, st);
    }
    free(buf);
    ck_set_num_threads(1);
    free(x), free(w), free(b), free(r), free(y);
}

static void test_winograd(void) {
    ck_conv_shape s;
    static const int64_t cig[] = {1, 3, 8, 9, 17, 33}, cog[] = {1, 5, 16, 17, 33};
    int i = 0;
    const unsigned long long rng_saved = rng; /* the other tests see the same data with or without these */
    tol = 1e-4;
    for (int64_t in = 1; in <= 9; in++)
        for (int64_t pb = 0; pb <= 2; pb++)
            for (int64_t g = 1; g <= 2; g++, i++) {
                const int64_t pa = (i % 3 == 0) ? 2 - pb : pb; /* asymmetric or 'same'-like */
                if (!make_shape(&s, 2, 1 + (i % 2), in, 3, 1, 1, pb, pa, cig[i % 6] * g, cog[(i / 6) % 5] * g, g))
                    continue;
                test_conv_one(&s, i % NACTS, i % 3 != 1, CK_ALGO_WINOGRAD);
            }
    make_shape(&s, 2, 1, 30, 3, 1, 1, 1, 1, 64, 64, 1); /* several blocks of tiles */
    test_conv_one(&s, 1, 1, CK_ALGO_WINOGRAD);
    make_shape(&s, 2, 1, 14, 3, 1, 1, 1, 1, 256, 72, 1); /* (relu: relu6 would hide the magnitude the error scales with) */
    test_conv_one(&s, 1, 1, CK_ALGO_WINOGRAD);
    make_shape(&s, 2, 3, 11, 3, 1, 1, 0, 0, 96, 40, 4);
    test_conv_one(&s, 11, 0, CK_ALGO_WINOGRAD);
    make_shape(&s, 2, 1, 6, 3, 1, 1, 1, 1, 10, 12, 1); /* 3D, 1x3x3 kernel: depth slices */
    s.in_size[0] = s.out_size[0] = 3;
    test_conv_one(&s, 0, 1, CK_ALGO_WINOGRAD);
    /* Thread split: 1..many blocks (remainder shared or not), groups, a batch, partial tiles. */
    make_shape(&s, 2, 1, 30, 3, 1, 1, 1, 1, 64, 64, 1);
    test_winograd_split(&s, 1, 1);
    make_shape(&s, 2, 2, 13, 3, 1, 1, 1, 1, 24, 40, 2);
    test_winograd_split(&s, 11, 1);
    make_shape(&s, 2, 1, 9, 3, 1, 1, 0, 2, 17, 33, 1);
    test_winograd_split(&s, 0, 0);
    /* Not covered: refused (never another algorithm in disguise). */
    float one = 1.0f, out[64];
    const ck_activation lin = {CK_ACT_LINEAR, 0};
    make_shape(&s, 2, 1, 5, 3, 2, 1, 1, 1, 1, 1, 1); /* stride 2 */
    checks++;
    if (ck_f32_conv_nd(&s, &one, &one, NULL, lin, CK_ALGO_WINOGRAD, out) != CK_EUNSUPPORTED) {
        failures++;
        fprintf(stderr, "FAIL winograd[%s]: stride 2 not refused\n", ck_dispatch_isa_name());
    }
    tol = 1e-5;
    rng = rng_saved;
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
        if (strcmp(isas[i], "avx2") == 0) test_pack_a();
        for (conv_mode = 0; conv_mode <= 3; conv_mode++) {
            ck_f32_conv_gemm_set_mode(conv_mode);
            test_conv(CK_ALGO_GEMM);
        }
        conv_mode = 0;
        ck_f32_conv_gemm_set_mode(0);
        test_conv(CK_ALGO_AUTO);
        test_conv_small();
        test_winograd();
        test_depthwise();
        test_depthwise_edges();
        test_pool();
    test_adaptive_pool();
        test_activation_span();
        test_softmax_rows();
        test_activation_copy();
        printf("%-7s %d checks, %d failures\n", isas[i], checks - before_checks, failures - before);
    }
    return failures ? 1 : 0;
}
