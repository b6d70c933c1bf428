/* Quick GFLOP/s of the GEMM and convolution paths from C (median of several runs), next to the
 * register-only FMA peak. Not a test; for the full comparison with NumPy/ONNX Runtime/PyTorch see
 * benchmarks/.
 *   tests/c/build.sh benchmarks/c/bench_kernels.c /tmp/ck-bench && /tmp/ck-bench [isa] [threads] [reps] [sets]
 * sets: gemm, conv (the default: both), small, dw, pool, winograd, direct, act. */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convkit/dispatch.h"
#include "convkit/gemm.h"
#include "convkit/kernels.h"
#include "convkit/ref.h"
#include "convkit/winograd.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static float *randbuf(size_t n) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

static int reps = 7;

static void bench_gemm(int64_t M, int64_t N, int64_t K) {
    float *A = randbuf((size_t)(M * K)), *B = randbuf((size_t)(K * N)), *C = randbuf((size_t)(M * N));
    const ck_activation lin = {CK_ACT_LINEAR, 0};
    double t[64];
    ck_f32_gemm(M, N, K, A, K, B, N, NULL, lin, C, N); /* warm-up */
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        ck_f32_gemm(M, N, K, A, K, B, N, NULL, lin, C, N);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    size_t bytes = 0;
    ck_f32_gemm_pack_size(K, N, &bytes);
    void *packed = malloc(bytes);
    ck_f32_gemm_pack(K, N, B, N, NULL, packed, bytes);
    double tp[64];
    ck_f32_gemm_packed(M, N, K, A, K, B, N, NULL, packed, bytes, lin, C, N);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        ck_f32_gemm_packed(M, N, K, A, K, B, N, NULL, packed, bytes, lin, C, N);
        tp[r] = now() - t0;
    }
    qsort(tp, (size_t)reps, sizeof(double), cmp_double);
    free(packed);
    printf("| sgemm %lldx%lldx%lld | %.1f | %.3f ms | %.1f | %.3f ms |\n", (long long)M, (long long)N, (long long)K,
           2.0 * M * N * K / t[reps / 2] * 1e-9, t[reps / 2] * 1e3, 2.0 * M * N * K / tp[reps / 2] * 1e-9,
           tp[reps / 2] * 1e3);
    free(A), free(B), free(C);
}

static void bench_conv(const char *name, int64_t batch, int64_t d, int64_t h, int64_t w_, int64_t ci, int64_t k3,
                       int64_t kh, int64_t kw, int64_t stride, int64_t co, int algo) {
    const char *filter = getenv("CK_BENCH_FILTER"); /* run only workloads whose name contains it */
    if (filter != NULL && strstr(name, filter) == NULL) return;
    ck_conv_shape s;
    memset(&s, 0, sizeof s);
    const int64_t in[3] = {d, h, w_}, k[3] = {k3, kh, kw};
    s.batch = batch;
    s.in_channels = ci;
    s.out_channels = co;
    s.groups = 1;
    for (int i = 0; i < 3; i++) {
        s.in_size[i] = in[i];
        s.kernel_size[i] = k[i];
        s.stride[i] = in[i] > 1 ? stride : 1;
        s.dilation[i] = 1;
        s.out_size[i] = (in[i] + s.stride[i] - 1) / s.stride[i]; /* 'same' */
        const int64_t total = (s.out_size[i] - 1) * s.stride[i] + k[i] - in[i];
        s.pad_before[i] = total > 0 ? total / 2 : 0;
    }
    const int64_t P = batch * s.out_size[0] * s.out_size[1] * s.out_size[2];
    float *x = randbuf((size_t)(batch * d * h * w_ * ci)), *w = randbuf((size_t)(k3 * kh * kw * ci * co));
    float *b = randbuf((size_t)co), *y = randbuf((size_t)(P * co));
    const ck_activation relu = {CK_ACT_RELU, 0};
    double t[64];
    ck_f32_conv_nd(&s, x, w, b, relu, algo, y);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        ck_f32_conv_nd(&s, x, w, b, relu, algo, y);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    const double flops = 2.0 * P * k3 * kh * kw * ci * co;
    /* The same with the weights packed once (what a layer does). */
    size_t bytes = 0;
    ck_f32_conv_pack_size(&s, &bytes);
    void *packed = malloc(bytes);
    ck_f32_conv_pack(&s, w, b, packed, bytes);
    double tp[64];
    /* Winograd: its filters transformed once (ck_f32_conv_winograd_pack) */
    size_t wbytes = 0;
    void *wpacked = NULL;
    if (algo == CK_ALGO_WINOGRAD && ck_f32_conv_winograd_pack_size(&s, &wbytes) == CK_OK &&
        (wpacked = malloc(wbytes)) != NULL && ck_f32_conv_winograd_pack(&s, w, wpacked, wbytes) != CK_OK)
        free(wpacked), wpacked = NULL;
    for (int r = -1; r < reps; r++) {
        double t0 = now();
        if (wpacked) ck_f32_conv_nd__winograd_packed(&s, x, wpacked, wbytes, b, relu, y);
        else ck_f32_conv_nd_packed(&s, x, w, b, packed, bytes, NULL, 0, relu, algo, y);
        if (r >= 0) tp[r] = now() - t0;
    }
    free(wpacked);
    qsort(tp, (size_t)reps, sizeof(double), cmp_double);
    printf("| %s (algo %d) | %.1f | %.3f ms | %.1f | %.3f ms |\n", name, algo, flops / t[reps / 2] * 1e-9,
           t[reps / 2] * 1e3, flops / tp[reps / 2] * 1e-9, tp[reps / 2] * 1e3);
    free(packed);
    free(x), free(w), free(b), free(y);
}

/* Depthwise 'same' convolution (bias + relu6, as MobileNetV2) and pooling: the table's kernel
 * next to the reference kernel, in the same run. GFLOP/s for depthwise, GB/s (input read +
 * output written once) for pooling. */
static double time_median(void (*fn)(void *), void *arg) {
    double t[64];
    fn(arg);
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        fn(arg);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    return t[reps / 2];
}

typedef struct bench_dw_args {
    ck_conv_shape s;
    const float *x, *w, *b;
    float *y;
    int ref;
} bench_dw_args;

static void run_dw(void *p) {
    bench_dw_args *a = p;
    const ck_activation relu6 = {CK_ACT_RELU6, 0};
    if (a->ref) ck_f32_depthwise_conv_nd__ref(&a->s, a->x, a->w, a->b, relu6, a->y);
    else ck_f32_depthwise_conv_nd(&a->s, a->x, a->w, a->b, relu6, a->y);
}

static void bench_dw(const char *name, int64_t h, int64_t w_, int64_t c, int64_t k, int64_t stride, int64_t mult) {
    const char *filter = getenv("CK_BENCH_FILTER");
    if (filter != NULL && strstr(name, filter) == NULL) return;
    bench_dw_args a;
    memset(&a, 0, sizeof a);
    const int64_t in[3] = {1, h, w_};
    a.s.batch = 1;
    a.s.in_channels = c;
    a.s.out_channels = c * mult;
    a.s.groups = 1;
    for (int i = 0; i < 3; i++) {
        a.s.in_size[i] = in[i];
        a.s.kernel_size[i] = i == 0 ? 1 : k;
        a.s.stride[i] = i == 0 ? 1 : stride;
        a.s.dilation[i] = 1;
        a.s.out_size[i] = (in[i] + a.s.stride[i] - 1) / a.s.stride[i];
        const int64_t total = (a.s.out_size[i] - 1) * a.s.stride[i] + a.s.kernel_size[i] - in[i];
        a.s.pad_before[i] = total > 0 ? total / 2 : 0;
    }
    const int64_t P = a.s.out_size[1] * a.s.out_size[2];
    float *x = randbuf((size_t)(h * w_ * c)), *w = randbuf((size_t)(k * k * c * mult));
    float *b = randbuf((size_t)(c * mult)), *y = randbuf((size_t)(P * c * mult));
    a.x = x, a.w = w, a.b = b, a.y = y;
    const double flops = 2.0 * P * k * k * c * mult;
    const double t = time_median(run_dw, &a);
    a.ref = 1;
    const double tr = time_median(run_dw, &a);
    printf("| dw %s | %.1f | %.3f ms | %.3f ms | %.1fx |\n", name, flops / t * 1e-9, t * 1e3, tr * 1e3, tr / t);
    free(x), free(w), free(b), free(y);
}

typedef struct bench_pool_args {
    ck_pool_shape s;
    const float *x;
    float *y;
    int ref, is_max;
} bench_pool_args;

static void run_pool(void *p) {
    bench_pool_args *a = p;
    if (a->ref) (a->is_max ? ck_f32_max_pool_nd__ref : ck_f32_avg_pool_nd__ref)(&a->s, a->x, a->y);
    else (a->is_max ? ck_f32_max_pool_nd : ck_f32_avg_pool_nd)(&a->s, a->x, a->y);
}

static void bench_pool(const char *name, int is_max, int64_t h, int64_t w_, int64_t c, int64_t k, int64_t stride,
                       int same) {
    const char *filter = getenv("CK_BENCH_FILTER");
    if (filter != NULL && strstr(name, filter) == NULL) return;
    bench_pool_args a;
    memset(&a, 0, sizeof a);
    const int64_t in[3] = {1, h, w_};
    a.s.batch = 1;
    a.s.channels = c;
    a.is_max = is_max;
    for (int i = 0; i < 3; i++) {
        a.s.in_size[i] = in[i];
        a.s.window[i] = i == 0 ? 1 : k;
        a.s.stride[i] = i == 0 ? 1 : stride;
        a.s.out_size[i] = same ? (in[i] + a.s.stride[i] - 1) / a.s.stride[i] : (in[i] - a.s.window[i]) / a.s.stride[i] + 1;
        const int64_t total = (a.s.out_size[i] - 1) * a.s.stride[i] + a.s.window[i] - in[i];
        a.s.pad_before[i] = same && total > 0 ? total / 2 : 0;
    }
    const int64_t P = a.s.out_size[1] * a.s.out_size[2];
    float *x = randbuf((size_t)(h * w_ * c)), *y = randbuf((size_t)(P * c));
    a.x = x, a.y = y;
    const double bytes = 4.0 * (double)(h * w_ * c + P * c);
    const double t = time_median(run_pool, &a);
    a.ref = 1;
    const double tr = time_median(run_pool, &a);
    printf("| %s %s | %.1f GB/s | %.3f ms | %.3f ms | %.1fx |\n", is_max ? "maxpool" : "avgpool", name, bytes / t * 1e-9,
           t * 1e3, tr * 1e3, tr / t);
    free(x), free(y);
}

/* An activation over a 32x56x56x64 tensor in place, the path's kernel (ck_f32_activation, one
 * thread per the caller's setting) against the scalar loops (ck_f32_activate_span__ref), medians
 * of reps with the input restored before each (not timed). */
static void bench_activation(const char *name, int kind) {
    const size_t n = (size_t)32 * 56 * 56 * 64;
    float *src = randbuf(n), *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) src[i] *= 8.0f; /* [-4, 4) */
    const ck_activation act = {kind, 1.0f};
    double t[64], tr[64];
    for (int r = -1; r < reps; r++) {
        memcpy(x, src, n * sizeof(float));
        double t0 = now();
        ck_f32_activation((int64_t)n, x, act);
        if (r >= 0) t[r] = now() - t0;
        memcpy(x, src, n * sizeof(float));
        t0 = now();
        ck_f32_activate_span__ref(x, n, act);
        if (r >= 0) tr[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    qsort(tr, (size_t)reps, sizeof(double), cmp_double);
    printf("| %s | %.2f ms | %.2f ms | %.1fx |\n", name, t[reps / 2] * 1e3, tr[reps / 2] * 1e3, tr[reps / 2] / t[reps / 2]);
    free(src), free(x);
}

int main(int argc, char **argv) {
    const char *isa = argc > 1 ? argv[1] : "auto";
    const int threads = argc > 2 ? atoi(argv[2]) : 1;
    if (argc > 3) reps = atoi(argv[3]);
    if (reps < 1 || reps > 64) reps = 7;
    const char *only = argc > 4 ? argv[4] : "";
    /* 5th argument: conv GEMM method, 0 heuristic, 1 indirect, 2 tile im2col + packed GEMM. */
    if (argc > 5) ck_f32_conv_gemm_set_mode(atoi(argv[5]));
    if (ck_dispatch_init(isa) != CK_OK) {
        fprintf(stderr, "isa %s unavailable\n", isa);
        return 1;
    }
    ck_set_num_threads(threads);
    /* CK_BENCH_BLOCKING=mc,kc,nc[,kc_max] overrides the GEMM cache blocking of the path (tuning
     * runs); without kc_max, KC is fixed at kc. */
    const char *blocking = getenv("CK_BENCH_BLOCKING");
    if (blocking != NULL) {
        long mc, kc, nc, kc_max = 0;
        const int got = sscanf(blocking, "%ld,%ld,%ld,%ld", &mc, &kc, &nc, &kc_max);
        if (got >= 3 && mc > 0 && kc > 0 && nc > 0) {
            ck_dispatch.gemm_ukernel.mc = mc, ck_dispatch.gemm_ukernel.kc = kc, ck_dispatch.gemm_ukernel.nc = nc;
            ck_dispatch.gemm_ukernel.kc_max = kc_max;
            printf("GEMM blocking MC=%ld KC=%ld NC=%ld KC max %ld\n", mc, kc, nc, kc_max);
        }
    }
    /* CK_BENCH_WINO=block,split: Winograd tiles per block and work split (tuning runs). */
    const char *wino = getenv("CK_BENCH_WINO");
    if (wino != NULL) {
        int blk, split;
        if (sscanf(wino, "%d,%d", &blk, &split) == 2) {
            ck_f32_conv_winograd_set_block(blk), ck_f32_conv_winograd_set_split(split);
            printf("Winograd block %d tiles, split mode %d\n", blk, split);
        }
    }
    printf("isa %s, %d thread(s), median of %d; FMA peak %.1f GFLOP/s/core\n\n", ck_dispatch_isa_name(), threads,
           reps, ck_measure_fma_peak_gflops(0.2));
    printf("| workload | GFLOP/s | time | GFLOP/s packed once | time |\n|---|---|---|---|---|\n");
    const int a = CK_ALGO_AUTO;
    /* CK_BENCH_GEMM=M,N,K: that one SGEMM instead of the list (tuning runs). */
    const char *one_gemm = getenv("CK_BENCH_GEMM");
    long gm, gn, gk;
    if (one_gemm != NULL && sscanf(one_gemm, "%ld,%ld,%ld", &gm, &gn, &gk) == 3 && gm > 0 && gn > 0 && gk > 0) {
        bench_gemm(gm, gn, gk);
        return 0;
    }
    if (!*only || strstr(only, "gemm")) {
        bench_gemm(1024, 1024, 1024);
        bench_gemm(256, 256, 256);
        bench_gemm(1, 1024, 1024);
        bench_gemm(32, 1000, 2048); /* ragged row blocks: 32 = 12 + 12 + 8 (AVX-512), 30 + 2 (AVX2) */
        bench_gemm(8, 1000, 2048);
    }
    if (!*only || strstr(only, "conv")) {
        bench_conv("1x56x56x64 3x3 same ->64", 1, 1, 56, 56, 64, 1, 3, 3, 1, 64, a);
        bench_conv("1x28x28x256 1x1 ->128", 1, 1, 28, 28, 256, 1, 1, 1, 1, 128, a);
        bench_conv("1x224x224x3 3x3 same ->64", 1, 1, 224, 224, 3, 1, 3, 3, 1, 64, a);
        bench_conv("1x56x56x64 3x3 s2 same ->128", 1, 1, 56, 56, 64, 1, 3, 3, 2, 128, a);
        bench_conv("32x32x32x3 3x3 same ->32", 32, 1, 32, 32, 3, 1, 3, 3, 1, 32, a);
        bench_conv("conv1d 1x1000x128 k5 same ->128", 1, 1, 1, 1000, 128, 1, 1, 5, 1, 128, a);
        bench_conv("conv3d 1x8x56x56x16 3x3x3 same ->32", 1, 8, 56, 56, 16, 3, 3, 3, 1, 32, a);
        bench_conv("1x14x14x256 3x3 same ->256", 1, 1, 14, 14, 256, 1, 3, 3, 1, 256, a);
        bench_conv("1x8x8x1 3x3 ->1", 1, 1, 8, 8, 1, 1, 3, 3, 1, 1, a);
        bench_conv("1x7x7x512 3x3 same ->512", 1, 1, 7, 7, 512, 1, 3, 3, 1, 512, CK_ALGO_GEMM);
    }
    if (strstr(only, "small")) { /* few input channels: direct small-CI kernel (algo 1) vs indirect GEMM (2) */
        static const int algos[] = {CK_ALGO_DIRECT, CK_ALGO_GEMM};
        for (int i = 0; i < 2; i++) {
            bench_conv("1x224x224x3 3x3 same ->64", 1, 1, 224, 224, 3, 1, 3, 3, 1, 64, algos[i]);
            bench_conv("32x32x32x3 3x3 same ->32", 32, 1, 32, 32, 3, 1, 3, 3, 1, 32, algos[i]);
            bench_conv("1x32x32x3 3x3 same ->64 (L2-resident)", 1, 1, 32, 32, 3, 1, 3, 3, 1, 64, algos[i]);
            bench_conv("1x224x224x3 7x7 s2 same ->64", 1, 1, 224, 224, 3, 1, 7, 7, 2, 64, algos[i]);
            bench_conv("1x112x112x8 3x3 same ->32", 1, 1, 112, 112, 8, 1, 3, 3, 1, 32, algos[i]);
            bench_conv("1x112x112x16 3x3 same ->32", 1, 1, 112, 112, 16, 1, 3, 3, 1, 32, algos[i]);
            bench_conv("1x56x56x32 3x3 same ->64", 1, 1, 56, 56, 32, 1, 3, 3, 1, 64, algos[i]);
            bench_conv("1x56x56x64 3x3 same ->64", 1, 1, 56, 56, 64, 1, 3, 3, 1, 64, algos[i]);
            bench_conv("conv1d 1x16000x1 k9 same ->32", 1, 1, 1, 16000, 1, 1, 1, 9, 1, 32, algos[i]);
            bench_conv("conv1d 1x16000x1 k10 s5 ->512 (wav2vec-c0)", 1, 1, 1, 16000, 1, 1, 1, 10, 5, 512, algos[i]);
            bench_conv("conv3d 1x8x56x56x3 3x3x3 same ->32", 1, 8, 56, 56, 3, 3, 3, 3, 1, 32, algos[i]);
        }
    }
    if (strstr(only, "dw")) {
        printf("\n| workload | GFLOP/s or GB/s | time | ref time | speedup |\n|---|---|---|---|---|\n");
        bench_dw("1x112x112x32 3x3 s1", 112, 112, 32, 3, 1, 1);
        bench_dw("1x112x112x96 3x3 s2", 112, 112, 96, 3, 2, 1);
        bench_dw("1x56x56x144 3x3 s1", 56, 56, 144, 3, 1, 1);
        bench_dw("1x56x56x144 3x3 s2", 56, 56, 144, 3, 2, 1);
        bench_dw("1x28x28x192 3x3 s1", 28, 28, 192, 3, 1, 1);
        bench_dw("1x28x28x192 3x3 s2", 28, 28, 192, 3, 2, 1);
        bench_dw("1x14x14x576 3x3 s1", 14, 14, 576, 3, 1, 1);
        bench_dw("1x14x14x576 3x3 s2", 14, 14, 576, 3, 2, 1);
        bench_dw("1x7x7x960 3x3 s1", 7, 7, 960, 3, 1, 1);
        bench_dw("1x56x56x64 5x5 s1", 56, 56, 64, 5, 1, 1);
        bench_dw("1x56x56x96 7x7 s1 (ConvNeXt)", 56, 56, 96, 7, 1, 1);
        bench_dw("1x160x160x128 3x3 s1 (past L3 share)", 160, 160, 128, 3, 1, 1);
        bench_dw("1x56x56x32 3x3 s1 m2", 56, 56, 32, 3, 1, 2);
        bench_pool("1x112x112x64 3x3 s2 same", 1, 112, 112, 64, 3, 2, 1);
        bench_pool("1x224x224x64 2x2 s2", 1, 224, 224, 64, 2, 2, 0);
        bench_pool("1x112x112x64 3x3 s2 same", 0, 112, 112, 64, 3, 2, 1);
        bench_pool("1x224x224x64 2x2 s2", 0, 224, 224, 64, 2, 2, 0);
    }
    if (strstr(only, "winograd")) { /* 3x3 stride 1: Winograd F(4x4, 3x3) (algo 3) vs GEMM (2); GFLOP/s as 2*MACs of the direct conv */
        static const int algos[] = {CK_ALGO_GEMM, CK_ALGO_WINOGRAD};
        for (int i = 0; i < 2; i++) {
            bench_conv("1x56x56x64 3x3 same ->64", 1, 1, 56, 56, 64, 1, 3, 3, 1, 64, algos[i]);
            bench_conv("1x14x14x256 3x3 same ->256", 1, 1, 14, 14, 256, 1, 3, 3, 1, 256, algos[i]);
            bench_conv("1x28x28x128 3x3 same ->128", 1, 1, 28, 28, 128, 1, 3, 3, 1, 128, algos[i]);
            bench_conv("8x32x32x32 3x3 same ->32", 8, 1, 32, 32, 32, 1, 3, 3, 1, 32, algos[i]);
        }
    }
    if (strstr(only, "longk")) { /* long reductions (K >= 490): indirect GEMM vs tile im2col (5th argument 1 or 2) */
        bench_conv("1x14x14x256 3x3 same ->256", 1, 1, 14, 14, 256, 1, 3, 3, 1, 256, CK_ALGO_GEMM);
        bench_conv("1x7x7x512 3x3 same ->512", 1, 1, 7, 7, 512, 1, 3, 3, 1, 512, CK_ALGO_GEMM);
        bench_conv("conv1d 1x3199x512 k3 s2 ->512 (wav2vec-c1)", 1, 1, 1, 3199, 512, 1, 1, 3, 2, 512, CK_ALGO_GEMM);
        bench_conv("conv1d 8x1014x70 k7 ->256 (charcnn)", 8, 1, 1, 1014, 70, 1, 1, 7, 1, 256, CK_ALGO_GEMM);
        bench_conv("1x56x56x64 3x3 s2 same ->128", 1, 1, 56, 56, 64, 1, 3, 3, 2, 128, CK_ALGO_GEMM);
        /* weights past the L2 budget and many pixel tiles, where the indirect GEMM streams the
         * input once per column block: still ahead of tile im2col on Zen 4 (tiles 0.88-0.98x at 1
         * thread, 0.62-0.85x at 2), except wav2vec-c1 at 2 threads (1.15x); see ck_conv_use_tiles */
        bench_conv("conv1d 1x2000x256 k5 ->256", 1, 1, 1, 2000, 256, 1, 1, 5, 1, 256, CK_ALGO_GEMM);
        bench_conv("1x56x56x128 3x3 s2 ->256", 1, 1, 56, 56, 128, 1, 3, 3, 2, 256, CK_ALGO_GEMM);
        bench_conv("1x28x28x256 5x5 ->256", 1, 1, 28, 28, 256, 1, 5, 5, 1, 256, CK_ALGO_GEMM);
        bench_conv("1x56x56x256 3x3 ->256 (gemm)", 1, 1, 56, 56, 256, 1, 3, 3, 1, 256, CK_ALGO_GEMM);
        /* wav2vec's later layers: the input the indirect kernel re-reads per column block shrinks */
        bench_conv("conv1d 1x1599x512 k3 s2 ->512 (w2v)", 1, 1, 1, 1599, 512, 1, 1, 3, 2, 512, CK_ALGO_GEMM);
        bench_conv("conv1d 1x799x512 k3 s2 ->512 (w2v)", 1, 1, 1, 799, 512, 1, 1, 3, 2, 512, CK_ALGO_GEMM);
        bench_conv("conv1d 1x3199x512 k2 s2 ->512 (w2v)", 1, 1, 1, 3199, 512, 1, 1, 2, 2, 512, CK_ALGO_GEMM);
        bench_conv("1x28x28x512 3x3 ->512 (gemm)", 1, 1, 28, 28, 512, 1, 3, 3, 1, 512, CK_ALGO_GEMM);
    }
    if (strstr(only, "direct")) {
        bench_conv("1x56x56x64 3x3 same ->64", 1, 1, 56, 56, 64, 1, 3, 3, 1, 64, CK_ALGO_DIRECT);
        bench_conv("1x8x8x1 3x3 ->1", 1, 1, 8, 8, 1, 1, 3, 3, 1, 1, CK_ALGO_DIRECT);
    }
    if (strstr(only, "act")) { /* activations over a 32x56x56x64 tensor: this path vs the scalar loops */
        static const struct { const char *name; int kind; } acts[] = {
            {"relu", CK_ACT_RELU}, {"sigmoid", CK_ACT_SIGMOID}, {"silu", CK_ACT_SILU}, {"tanh", CK_ACT_TANH},
            {"gelu", CK_ACT_GELU_ERF}, {"gelu_approximate", CK_ACT_GELU_TANH}, {"elu", CK_ACT_ELU},
            {"selu", CK_ACT_SELU}, {"softplus", CK_ACT_SOFTPLUS}, {"mish", CK_ACT_MISH},
            {"exponential", CK_ACT_EXPONENTIAL}};
        printf("\n| activation (32x56x56x64) | this path | scalar loops | speed-up |\n|---|---|---|---|\n");
        for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) bench_activation(acts[i].name, acts[i].kind);
    }
    return 0;
}
