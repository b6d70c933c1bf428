/* Aligned scratch for the drivers' per-call packing buffers. 64-byte alignment: a cache line,
 * and the widest vector load (AVX-512) never splits one. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>

#include "convkit/gemm.h"

void *ck_scratch_alloc(size_t bytes) {
    if (bytes == 0) bytes = 64;
    if (bytes > (size_t)PTRDIFF_MAX - 64) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0) return NULL;
    return p;
}

void ck_scratch_free(void *p) { free(p); }
