/* GEMM building blocks shared by the portable drivers (csrc/gemm/, csrc/conv/) and the
 * instruction-set microkernels (csrc/x86/<isa>/).
 *
 * Two microkernel families compute one MR x NR tile of C in registers:
 *
 *  - gemm:  A and B both packed (BLIS-style, Goto & van de Geijn): A as an MR-row panel stored
 *           k-major (a[k*MR + i]), B as an NR-column panel stored k-major (b[k*NR + j]); both
 *           zero-padded, so the kernel never reads past a panel. Used by the cache-blocked driver
 *           behind ck_f32_gemm, with K split into KC blocks (the tile is reloaded, never split
 *           across threads).
 *  - igemm: "indirect" GEMM (the idea of XNNPACK's indirection buffer, Dukhan 2019): A is given
 *           as MR row pointers per kernel tap, each pointing at kc contiguous floats (a pixel's
 *           channels, or a shared zero row for padding); B is packed once per call as
 *           [NR bias][ks taps][kc][NR]. Convolution runs on the channels-last input with no
 *           im2col copy, and 1x1 stride-1 convolution is the ks = 1 case.
 *
 * Both write only the mr x nr valid corner of the tile (edges go through a small temporary
 * tile or masked stores), and fuse the cheap activations (linear/relu/relu6 as a clamp) into the
 * store. Other activations are applied by the driver on the tile just written, still in L1. */
#ifndef CONVKIT_GEMM_H
#define CONVKIT_GEMM_H

#include <stddef.h>

#include "convkit/activation.h"
#include "convkit/common.h"
#include "convkit/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h> /* SSE is part of baseline x86-64: MXCSR access needs no ISA flag */
#endif

/* Output clamp fused into the tile store; NaN passes through unchanged (as ck_activate_f32). */
typedef struct ck_f32_clamp {
    float lo, hi;
    int enabled;
} ck_f32_clamp;

/* Flags for the packed gemm microkernel. */
#define CK_UK_LOAD_C 1u /* add the tile to what C holds (later KC blocks) instead of overwriting */

/* C[0:mr, 0:nr] = (flags & LOAD_C ? C : 0) + A_panel . B_panel (+ bias[0:NR] if bias != NULL),
 * then clamped if clamp->enabled. 1 <= mr <= MR, 1 <= nr <= NR, kc >= 1. B rows are ldb floats
 * apart: NR for a packed panel, or the matrix's own ldb when the driver skips packing B (small M,
 * full-width panels only: all NR columns of every row must be readable). bias, when given, has
 * NR readable floats (the driver pads it). */
typedef void (*ck_f32_gemm_ukernel_fn)(size_t mr, size_t nr, size_t kc, const float *a, const float *b,
                                       size_t ldb, float *c, size_t ldc, const float *bias, unsigned flags,
                                       const ck_f32_clamp *clamp);

/* C[0:mr, 0:nr] = clamp(w_bias + sum_{t<ks, k<kc} a[t*MR + i][k] * w[t, k, j]); the packed w is
 * [NR bias][ks][kc][NR]. Rows i >= mr of a hold valid (duplicate) pointers. ks, kc >= 1. */
typedef void (*ck_f32_igemm_ukernel_fn)(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a,
                                        const float *w, float *c, size_t ldc, const ck_f32_clamp *clamp);
/* The same over `groups` consecutive groups of one tile of pixels: group j reads each row
 * pointer plus j*a_step floats, its panel at w + j*w_step, and writes c + j*c_step; each group
 * gets exactly the single-group kernel's sums. */
typedef void (*ck_f32_igemm_groups_fn)(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a,
                                       size_t a_step, size_t groups, const float *w, size_t w_step, float *c,
                                       size_t c_step, size_t ldc, const ck_f32_clamp *clamp);

/* A microkernel and the cache blocking that suits it. Blocking sizes are properties of the
 * kernel, never of the thread count, so results do not depend on the number of threads. */
/* Packs an mc x kc block of A (row stride lda) into mr-row panels for the kernel beside it; the
 * same layout and values as ck_f32_gemm_pack_a(mc, kc, mr, ...), only faster. */
typedef void (*ck_f32_gemm_pack_a_fn)(size_t mc, size_t kc, const float *a, size_t lda, float *dst);

/* One row of A against one NR-column panel, the whole reduction in one call:
 * c[0:nr] = clamp(sum_k a[k] * b[k*ldb + 0:NR] + bias[0:NR]) (bias NULL: none). All NR columns
 * of b's rows are readable. Its sum order differs from the tile kernel's. */
typedef void (*ck_f32_gemm_row_fn)(size_t nr, size_t kc, const float *a, const float *b, size_t ldb, float *c,
                                   const float *bias, const ck_f32_clamp *clamp);

typedef struct ck_f32_gemm_ukernel {
    ck_f32_gemm_ukernel_fn fn;
    int mr, nr;
    int mc, kc, nc;               /* mc multiple of mr, nc multiple of nr */
    ck_f32_gemm_pack_a_fn pack_a; /* NULL: the portable ck_f32_gemm_pack_a */
    ck_f32_gemm_row_fn row;       /* NULL: M = 1 goes through fn like any M */
    /* With `row`: the same sums over ncols (a multiple of NR) columns of a row-major B read in
     * place, bitwise equal to `row` on each NR-column panel. */
    void (*row_wide)(size_t ncols, size_t kc, const float *a, const float *b, size_t ldb, float *c,
                     const float *bias, const ck_f32_clamp *clamp);
    /* Largest KC the driver may use instead of kc when the B slice stays small (see ck_gemm_kc in
     * csrc/gemm/f32-gemm-driver.c); 0 or <= kc: always kc. */
    int kc_max;
    /* With weights packed once, calls of at most this many rows go panel by panel over all of A
     * (ck_gemm_packed_by_panel) instead of the MC-block loop; 0: mc. */
    int by_panel_rows;
} ck_f32_gemm_ukernel;

/* One output pixel of the same packed panel: c[0:nr] = clamp(w_bias + sum a[t*a_stride][k] *
 * w[t, k, :]), for the rows of a ragged last tile (cheaper than a whole MR-row tile when few rows
 * are valid). Its sum order may differ from the tile kernel's. */
typedef void (*ck_f32_igemm_row_fn)(size_t nr, size_t kc, size_t ks, const float *const *a, size_t a_stride,
                                    const float *w, float *c, const ck_f32_clamp *clamp);

typedef struct ck_f32_igemm_ukernel {
    ck_f32_igemm_ukernel_fn fn;
    int mr, nr;
    int64_t l2_bytes;           /* budget for the packed-weight columns one pass keeps hot */
    ck_f32_igemm_row_fn row;    /* NULL: ragged tiles go through fn */
    int row_max;                /* use `row` for ragged tiles of at most this many rows */
    ck_f32_igemm_groups_fn groups; /* NULL: one call per group */
} ck_f32_igemm_ukernel;

/* Largest tiles any microkernel uses (sizes of stack temporaries in the drivers). */
#define CK_GEMM_MAX_MR 16
#define CK_GEMM_MAX_NR 32

/* Portable reference microkernels (csrc/gemm/): readable, and the fallback on any CPU. */
void ck_f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, const float *a, const float *b,
                                     size_t ldb, float *c, size_t ldc, const float *bias, unsigned flags,
                                     const ck_f32_clamp *clamp);
void ck_f32_igemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a,
                                      const float *w, float *c, size_t ldc, const ck_f32_clamp *clamp);

/* x86 microkernels (compiled only with their ISA flags; reachable only through the table). */
void ck_f32_gemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, const float *a, const float *b,
                                    size_t ldb, float *c, size_t ldc, const float *bias, unsigned flags,
                                    const ck_f32_clamp *clamp);
void ck_f32_igemm_ukernel_12x8__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a,
                                     const float *w, float *c, size_t ldc, const ck_f32_clamp *clamp);
void ck_f32_igemm_groups_12x8__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a, size_t a_step,
                                    size_t groups, const float *w, size_t w_step, float *c, size_t c_step, size_t ldc,
                                    const ck_f32_clamp *clamp);
void ck_f32_igemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a,
                                     const float *w, float *c, size_t ldc, const ck_f32_clamp *clamp);
void ck_f32_gemm_row_1x16__avx2(size_t nr, size_t kc, const float *a, const float *b, size_t ldb, float *c,
                                const float *bias, const ck_f32_clamp *clamp);
void ck_f32_gemm_row_wide__avx2(size_t ncols, size_t kc, const float *a, const float *b, size_t ldb, float *c,
                                const float *bias, const ck_f32_clamp *clamp);
void ck_f32_igemm_row_1x16__avx2(size_t nr, size_t kc, size_t ks, const float *const *a, size_t a_stride,
                                 const float *w, float *c, const ck_f32_clamp *clamp);
void ck_f32_gemm_ukernel_12x32__avx512(size_t mr, size_t nr, size_t kc, const float *a, const float *b,
                                       size_t ldb, float *c, size_t ldc, const float *bias, unsigned flags,
                                       const ck_f32_clamp *clamp);
void ck_f32_gemm_row_1x32__avx512(size_t nr, size_t kc, const float *a, const float *b, size_t ldb, float *c,
                                  const float *bias, const ck_f32_clamp *clamp);
void ck_f32_gemm_row_wide__avx512(size_t ncols, size_t kc, const float *a, const float *b, size_t ldb, float *c,
                                  const float *bias, const ck_f32_clamp *clamp);
void ck_f32_igemm_row_1x32__avx512(size_t nr, size_t kc, size_t ks, const float *const *a, size_t a_stride,
                                   const float *w, float *c, const ck_f32_clamp *clamp);
void ck_f32_gemm_pack_a_6__avx2(size_t mc, size_t kc, const float *a, size_t lda, float *dst);
void ck_f32_gemm_pack_a_12__avx2(size_t mc, size_t kc, const float *a, size_t lda, float *dst);
void ck_f32_igemm_ukernel_12x32__avx512(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a,
                                        const float *w, float *c, size_t ldc, const ck_f32_clamp *clamp);
void ck_f32_igemm_ukernel_8x32__avx512(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a,
                                       const float *w, float *c, size_t ldc, const ck_f32_clamp *clamp);

/* ---- packing (csrc/gemm/f32-gemm-pack.c) ------------------------------------------------- */

/* mc x kc block of A (row stride lda) into ceil(mc/mr) panels of kc*mr floats, rows past mc zero. */
void ck_f32_gemm_pack_a(size_t mc, size_t kc, size_t mr, const float *a, size_t lda, float *dst);
/* kc x nr_valid slice of B (row stride ldb) into one kc*nr panel, columns past nr_valid zero. */
void ck_f32_gemm_pack_b_panel(size_t kc, size_t nr_valid, size_t nr, const float *b, size_t ldb, float *dst);
/* kc x ncols slice of B into ceil(ncols/nr) consecutive panels of kc*nr floats (the same layout
 * as ck_f32_gemm_pack_b_panel on each), the last one zero-padded. */
void ck_f32_gemm_pack_b(size_t kc, size_t ncols, size_t nr, const float *b, size_t ldb, float *dst);

/* The NR-column panels [NR bias][rows][NR] of a k-major weight matrix w (rows x cols, row stride
 * ldw), panel q at dst + q * panel_stride: columns past cols in the last panel, and the bias rows
 * when bias is NULL, are zero. The packed layout of convolution weights (rows = taps*CIG, per
 * group) and of Dense kernels (rows = K). _rows packs rows [r0, r1) of every panel (threads
 * share a matrix by rows) with dst at panel 0's row 0 (past the bias row, or a bare k-major panel
 * as the GEMM's B slices are), _bias the bias rows alone. */
void ck_f32_pack_panels_nr(int64_t rows, int64_t cols, int64_t nr, const float *w, int64_t ldw, const float *bias,
                           float *dst, int64_t panel_stride);
void ck_f32_pack_panels_rows(int64_t r0, int64_t r1, int64_t cols, int64_t nr, const float *w, int64_t ldw,
                             float *dst, int64_t panel_stride);
void ck_f32_pack_panels_bias(int64_t cols, int64_t nr, const float *bias, float *dst, int64_t panel_stride);
/* The same panels (rows only, dst as for _rows) from the matrix's transpose: column n of the
 * rows x cols matrix is row n of wt (rows floats, ldwt apart), as a transposed convolution's
 * kernel [taps][CO][CI] holds the CI x taps*CO matrix its GEMM multiplies by. Panels [q0, q1). */
void ck_f32_pack_panels_from_transpose(int64_t q0, int64_t q1, int64_t rows, int64_t cols, int64_t nr,
                                       const float *wt, int64_t ldwt, float *dst, int64_t panel_stride);

/* ---- weights packed once (csrc/conv/f32-conv-pack.c) ---------------------------------------
 * A caller-owned buffer: slack to reach 64-byte alignment, a 64-byte header saying what was
 * packed and for which dispatch path, then the panels. The header lets the entry points refuse a
 * buffer made for another shape and fall back to packing per call when the dispatch path changed
 * since (the caller repacks when ck_packed_is_current says so). */
#define CK_PACKED_MAGIC 0x434b5057u /* "CKPW" */
#define CK_PACKED_KIND_CONV 1
#define CK_PACKED_KIND_GEMM 2
#define CK_PACKED_HEADER_BYTES 64

typedef struct ck_packed_header {
    uint32_t magic;
    int32_t kind;     /* CK_PACKED_KIND_* */
    int32_t path;     /* ck_dispatch_path_id() when packed */
    int32_t mr, nr;   /* the microkernel tile the panels were made for */
    int32_t has_bias; /* the panels' bias rows hold a bias (else zeros) */
    int64_t groups, taps, cig, cout; /* Dense: 1, 1, K, N */
} ck_packed_header;

/* The header and the panels of a packed buffer, or NULL if the buffer is too small or not one. */
const ck_packed_header *ck_packed_view(const void *buf, size_t bytes, const float **panels);

/* ---- drivers ------------------------------------------------------------------------------- */

/* Cache-blocked packed GEMM with the table's gemm microkernel (csrc/gemm/f32-gemm-driver.c).
 * Same contract as ck_f32_gemm after its checks. CK_ENOMEM if scratch cannot be had. */
ck_status ck_f32_gemm__blocked(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda, const float *B,
                               int64_t ldb, const float *bias, ck_activation act, float *C, int64_t ldc);

/* The blocked GEMM on B packed once (ck_f32_gemm_pack): panels [N/NR][NR bias][K][NR] made for
 * the table's gemm microkernel; has_bias says whether to add the panels' bias rows. */
ck_status ck_f32_gemm__blocked_packed(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                                      const float *panels, int has_bias, ck_activation act, float *C, int64_t ldc);

/* Convolution through the table's igemm / gemm microkernels (csrc/conv/f32-conv-igemm.c), with
 * the weights packed per call, or packed once (panels from ck_f32_conv_pack, has_bias as there). */
ck_status ck_f32_conv_nd__igemm(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                ck_activation act, float *y);
ck_status ck_f32_conv_nd__igemm_packed(const ck_conv_shape *shape, const float *x, const float *panels,
                                       int has_bias, ck_activation act, float *y);
/* Where output pixel (n, od, oh, ow) of a convolution goes: y + n*step[0] + od*step[1] +
 * oh*step[2] + ow*step[3] floats (channels contiguous from there). The transposed convolution
 * writes each phase's stride-1 convolution straight into its strided places in y this way. */
typedef struct ck_conv_out_map {
    int64_t step[4];
} ck_conv_out_map;
/* ck_f32_conv_nd__igemm writing through `map` (NULL: the usual dense y); the indirect path only. */
ck_status ck_f32_conv_nd__igemm_mapped(const ck_conv_shape *shape, const float *x, const float *w, const float *bias,
                                       ck_activation act, float *y, const ck_conv_out_map *map);

/* 1 when ck_f32_conv_nd(shape, ..., CK_ALGO_AUTO, ...) runs the indirect GEMM (csrc/conv/conv.c). */
int ck_f32_conv_auto_is_igemm(const ck_conv_shape *shape);

/* Force the conv GEMM driver's inner method: 0 heuristic, 1 indirect GEMM on the main kernel with
 * one call per tile and group, 2 tile im2col + packed GEMM, 3 indirect GEMM on the aliased-rows
 * kernel where the path has one (tests and benchmarks; not thread-safe, set it before running). */
void ck_f32_conv_gemm_set_mode(int mode);

/* ---- helpers ------------------------------------------------------------------------------- */

/* 64-byte aligned scratch (csrc/gemm/scratch.c); NULL on failure or overflow. */
void *ck_scratch_alloc(size_t bytes);
void ck_scratch_free(void *p);

/* Bytes between two threads' slots of a per-thread scratch buffer: `bytes` rounded up to whole
 * 4 KiB pages. Slots a cache line apart were not enough: the hardware prefetchers pull lines
 * next to the ones a thread writes (Intel's adjacent-line and streamer prefetchers work within a
 * 4 KiB page), so a neighbour's indirection buffer 896 bytes away kept moving between the two
 * cores. 28x28x256 in 32 groups of 8, 3x3, 2 threads, Xeon: 0.43 -> 0.27 ms with page slots. */
CK_INLINE size_t ck_thread_slot_bytes(size_t bytes) { return (bytes + 4095) & ~(size_t)4095; }

/* The clamp a ck_activation folds into, and whether anything remains to apply afterwards. */
CK_INLINE ck_f32_clamp ck_clamp_for(ck_activation act, int *needs_scalar_pass) {
    ck_f32_clamp c = {-INFINITY, INFINITY, 0};
    *needs_scalar_pass = 0;
    if (act.kind == CK_ACT_RELU) {
        c.lo = 0.0f;
        c.enabled = 1;
    } else if (act.kind == CK_ACT_RELU6) {
        c.lo = 0.0f;
        c.hi = 6.0f;
        c.enabled = 1;
    } else if (act.kind != CK_ACT_LINEAR) {
        *needs_scalar_pass = 1;
    }
    return c;
}

/* Apply a non-trivial activation to an mr x nr tile just written (still in L1). */
void ck_activate_tile_f32(size_t mr, size_t nr, float *c, size_t ldc, ck_activation act);

/* Flush-to-zero + denormals-are-zero around a kernel run: denormal operands make FMAs take
 * microcode assists that cost ~100x. Each OpenMP thread sets and restores its own MXCSR. */
typedef struct ck_fpenv {
    unsigned int mxcsr;
} ck_fpenv;

CK_INLINE ck_fpenv ck_fpenv_enter(void) {
    ck_fpenv e = {0};
#if defined(__x86_64__) || defined(__i386__)
    e.mxcsr = _mm_getcsr();
    _mm_setcsr(e.mxcsr | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
#endif
    return e;
}

CK_INLINE void ck_fpenv_leave(ck_fpenv e) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(e.mxcsr);
#else
    (void)e;
#endif
}

#endif /* CONVKIT_GEMM_H */
