/* Thread count for the kernels: convkit.set_num_threads(), OMP_NUM_THREADS, or the core count. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "convkit/threads.h"

#ifdef CK_HAVE_OPENMP
#include <omp.h>
#endif

static int ck_requested_threads = 0; /* 0: default */
/* Set in a child made by fork(): GNU OpenMP's thread pool does not survive fork, so the child
 * runs the kernels on its own thread (num_threads(1) never touches the parent's pool). */
static volatile int ck_in_forked_child = 0;
static pthread_once_t ck_atfork_once = PTHREAD_ONCE_INIT;

static void ck_mark_forked_child(void) { ck_in_forked_child = 1; }
static void ck_register_atfork(void) { pthread_atfork(NULL, NULL, ck_mark_forked_child); }

static int ck_default_threads(void) {
#ifdef CK_HAVE_OPENMP
    return omp_get_max_threads(); /* honours OMP_NUM_THREADS */
#else
    return 1;
#endif
}

void ck_set_num_threads(int n) {
    pthread_once(&ck_atfork_once, ck_register_atfork);
    ck_requested_threads = n > 0 ? n : 0;
}

int ck_get_num_threads(void) {
    pthread_once(&ck_atfork_once, ck_register_atfork);
#ifdef CK_HAVE_OPENMP
    if (ck_in_forked_child) return 1;
    int n = ck_requested_threads > 0 ? ck_requested_threads : ck_default_threads();
    return n > 0 ? n : 1;
#else
    return 1;
#endif
}

int ck_have_openmp(void) {
#ifdef CK_HAVE_OPENMP
    return 1;
#else
    return 0;
#endif
}

int ck_threads_for(int64_t work) {
    /* About 64k multiply-adds per thread before another thread pays for its wake-up. */
    const int64_t grain = 1 << 16;
#ifdef CK_HAVE_OPENMP
    /* Called from inside a parallel region (csrc/gemm/f32-recurrent.c runs one GEMM per block of
     * rows on each thread): the nested region would get one thread anyway; asking for one skips
     * building it. */
    if (omp_in_parallel()) return 1;
#endif
    int n = ck_get_num_threads();
    if (work < grain) return 1;
    int64_t useful = work / grain;
    return useful < n ? (int)useful : n;
}
