/* Batched matrix transpose, the layout change behind data_format='channels_first': NCHW input
 * to the channels-last layout the kernels take ([batch][C][S] -> [batch][S][C]) and the result
 * back ([batch][S][C] -> [batch][C][S]).
 *
 * NumPy's strided copy (np.ascontiguousarray(np.moveaxis(...))) moved about 4 GB/s here and ran
 * on one thread without releasing the GIL: on the ResNet stem with data_format='channels_first'
 * (224x224x3 -> 112x112x64) the two moves took longer than the convolution. Here the matrices go
 * in square tiles of CK_TP_TILE (a tile's rows and columns both stay in L1, so reads and writes
 * are whole cache lines), the tiles of all matrices split over the threads. A transpose only
 * moves values: the result is exact whatever the tiling or thread count. */
#include <string.h>

#include "convkit/kernels.h"
#include "convkit/threads.h"
#include "convkit/transpose4.h"
#include "convkit/validate.h"

#define CK_TP_TILE 32

static int64_t ck_tp_min(int64_t a, int64_t b) { return a < b ? a : b; }

/* y[j][i] = x[i][j] for the tile of rows [i0, i1) and columns [j0, j1) of one matrix: blocks of
 * 4x4 through SSE registers where the target has SSE (every x86-64; ck_transpose_4x4), four row
 * loads and four column stores each (measured against a one-float loop: 576x196 0.12 -> 0.02 ms,
 * 12544x64 1.1-1.4 -> 0.2 ms, 1 thread), the block's edges one float at a time. */
static void ck_transpose_tile(const float *CK_RESTRICT x, float *CK_RESTRICT y, int64_t rows, int64_t cols,
                              int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    int64_t i = i0;
#if defined(__SSE__)
    for (; i + 4 <= i1; i += 4) {
        const float *x0 = x + i * cols, *x1 = x0 + cols, *x2 = x1 + cols, *x3 = x2 + cols;
        int64_t j = j0;
        for (; j + 4 <= j1; j += 4) ck_transpose_4x4(x0 + j, cols, y + j * rows + i, rows);
        for (; j < j1; j++) {
            float *yr = y + j * rows + i;
            yr[0] = x0[j], yr[1] = x1[j], yr[2] = x2[j], yr[3] = x3[j];
        }
    }
#endif
    for (; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) y[j * rows + i] = x[i * cols + j];
}

ck_status ck_f32_transpose_batched(int64_t batch, int64_t rows, int64_t cols, const float *x, float *y) {
    if (batch < 0 || rows < 0 || cols < 0) return CK_EINVAL;
    const int64_t per = ck_checked_mul(rows, cols), total = ck_checked_mul(batch, per);
    if (per < 0 || total < 0) return CK_EOVERFLOW;
    if (total == 0) return CK_OK;
    if (x == NULL || y == NULL || x == y) return CK_EINVAL;
    if (rows == 1 || cols == 1) { /* vectors: the transposes hold the same order in memory */
        memcpy(y, x, (size_t)total * sizeof(float));
        return CK_OK;
    }
    const int64_t ti = (rows + CK_TP_TILE - 1) / CK_TP_TILE, tj = (cols + CK_TP_TILE - 1) / CK_TP_TILE;
    const int64_t units = batch * ti * tj;
    CK_PARALLEL_FOR(total)
    for (int64_t u = 0; u < units; u++) {
        const int64_t b = u / (ti * tj), t = u % (ti * tj), i0 = (t / tj) * CK_TP_TILE, j0 = (t % tj) * CK_TP_TILE;
        ck_transpose_tile(x + b * per, y + b * per, rows, cols, i0, ck_tp_min(rows, i0 + CK_TP_TILE), j0,
                          ck_tp_min(cols, j0 + CK_TP_TILE));
    }
    return CK_OK;
}
