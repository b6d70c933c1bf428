/* Threading helpers for the drivers. Work is split statically over independent output elements,
 * so every output is computed by one thread in a fixed order: results are bitwise identical
 * whatever the thread count. */
#ifndef CONVKIT_THREADS_H
#define CONVKIT_THREADS_H

#include "convkit/common.h"
#include "convkit/kernels.h"

/* Threads worth using for `work` multiply-adds (or touched elements): small jobs stay on one
 * thread because waking a team costs more than it saves. */
int ck_threads_for(int64_t work);

/* This thread's number inside the current parallel region and the region's size (0 and 1
 * outside OpenMP builds), for drivers that hand each thread its own scratch. */
#ifdef CK_HAVE_OPENMP
#include <omp.h>
static inline int ck_thread_id(void) { return omp_get_thread_num(); }
static inline int ck_team_size(void) { return omp_get_num_threads(); }
#else
static inline int ck_thread_id(void) { return 0; }
static inline int ck_team_size(void) { return 1; }
#endif

#ifdef CK_HAVE_OPENMP
#define CK_PRAGMA_(x) _Pragma(#x)
/* Parallel `for` over the loop that follows, with a thread count sized to `work`. */
#define CK_PARALLEL_FOR(work) CK_PRAGMA_(omp parallel for num_threads(ck_threads_for(work)) schedule(static))
#else
#define CK_PARALLEL_FOR(work)
#endif

#endif /* CONVKIT_THREADS_H */
