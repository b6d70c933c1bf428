/* Aligned scratch for the drivers' per-call buffers (packing, Winograd V and M, indirection).
 * 64-byte alignment: a cache line, and the widest vector load (AVX-512) never splits one.
 *
 * Large blocks are kept for the next call instead of going back to the C library: glibc hands
 * freed memory above its trim threshold back to the OS, and the next call then page-faults it in
 * again, all threads at once. Measured on the 16-core Xeon VM (Python, Winograd 56x56x64 -> 64,
 * median us, 1 / 16 threads): 1692 / 1202 with malloc/free per call, 1532 / 223 with the trim
 * threshold raised (MALLOC_TRIM_THRESHOLD_), which is what this cache does for convkit's own
 * blocks only. At most CK_SCRATCH_SLOTS blocks and CK_SCRATCH_KEEP bytes are kept; a block is
 * reused for a request of at least half its size. A header before each block records its size. */
#define _POSIX_C_SOURCE 200112L
#include <pthread.h>
#include <stdlib.h>

#include "convkit/gemm.h"

#define CK_SCRATCH_HEADER 64
#define CK_SCRATCH_MIN_KEPT (64u << 10)  /* smaller blocks come cheaply from malloc's free lists */
#define CK_SCRATCH_KEEP ((size_t)64 << 20)
#define CK_SCRATCH_SLOTS 16

static struct {
    char *block; /* start of the header, NULL when empty */
    size_t bytes; /* usable bytes behind the header */
} ck_kept[CK_SCRATCH_SLOTS];
static size_t ck_kept_total;
static pthread_mutex_t ck_kept_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ck_kept_once = PTHREAD_ONCE_INIT;

/* A child forked while another thread held the lock must not inherit it locked; the blocks
 * themselves stay valid in the child (copied address space). */
static void ck_kept_reset_in_child(void) { pthread_mutex_init(&ck_kept_lock, NULL); }
static void ck_kept_register(void) { pthread_atfork(NULL, NULL, ck_kept_reset_in_child); }

static void *ck_block_user(char *block, size_t bytes) {
    *(size_t *)block = bytes;
    return block + CK_SCRATCH_HEADER;
}

void *ck_scratch_alloc(size_t bytes) {
    if (bytes == 0) bytes = 64;
    if (bytes > (size_t)PTRDIFF_MAX - 2 * CK_SCRATCH_HEADER) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    if (bytes >= CK_SCRATCH_MIN_KEPT) {
        pthread_once(&ck_kept_once, ck_kept_register);
        pthread_mutex_lock(&ck_kept_lock);
        int best = -1;
        for (int i = 0; i < CK_SCRATCH_SLOTS; i++) /* smallest kept block that fits, not over 2x */
            if (ck_kept[i].block != NULL && ck_kept[i].bytes >= bytes && ck_kept[i].bytes / 2 <= bytes &&
                (best < 0 || ck_kept[i].bytes < ck_kept[best].bytes))
                best = i;
        char *block = NULL;
        size_t have = 0;
        if (best >= 0) {
            block = ck_kept[best].block, have = ck_kept[best].bytes;
            ck_kept[best].block = NULL;
            ck_kept_total -= have;
        }
        pthread_mutex_unlock(&ck_kept_lock);
        if (block != NULL) return ck_block_user(block, have);
    }
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes + CK_SCRATCH_HEADER) != 0) return NULL;
    return ck_block_user((char *)p, bytes);
}

void ck_scratch_free(void *p) {
    if (p == NULL) return;
    char *block = (char *)p - CK_SCRATCH_HEADER;
    const size_t bytes = *(size_t *)block;
    if (bytes >= CK_SCRATCH_MIN_KEPT && bytes <= CK_SCRATCH_KEEP) {
        pthread_once(&ck_kept_once, ck_kept_register);
        pthread_mutex_lock(&ck_kept_lock);
        int slot = -1, smallest = -1;
        for (int i = 0; i < CK_SCRATCH_SLOTS; i++) {
            if (ck_kept[i].block == NULL) {
                if (slot < 0) slot = i;
            } else if (smallest < 0 || ck_kept[i].bytes < ck_kept[smallest].bytes) {
                smallest = i;
            }
        }
        char *evict = NULL;
        /* full, or over the byte budget: make room by dropping the smallest kept block if it is
         * smaller than this one (larger blocks cost more page faults to get back) */
        if ((slot < 0 || ck_kept_total + bytes > CK_SCRATCH_KEEP) && smallest >= 0 &&
            ck_kept[smallest].bytes < bytes && ck_kept_total - ck_kept[smallest].bytes + bytes <= CK_SCRATCH_KEEP) {
            evict = ck_kept[smallest].block;
            ck_kept_total -= ck_kept[smallest].bytes;
            ck_kept[smallest].block = NULL;
            slot = smallest;
        }
        int kept = 0;
        if (slot >= 0 && ck_kept[slot].block == NULL && ck_kept_total + bytes <= CK_SCRATCH_KEEP) {
            ck_kept[slot].block = block, ck_kept[slot].bytes = bytes;
            ck_kept_total += bytes;
            kept = 1;
        }
        pthread_mutex_unlock(&ck_kept_lock);
        free(evict);
        if (kept) return;
    }
    free(block);
}
