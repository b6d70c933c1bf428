/* convkit C core: shared types, status codes and portability macros.
 * The core knows nothing of Python; every public entry point returns a ck_status. */
#ifndef CONVKIT_COMMON_H
#define CONVKIT_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CK_RESTRICT __restrict__
#define CK_INLINE static inline __attribute__((always_inline))
#define CK_LIKELY(x) __builtin_expect(!!(x), 1)
#define CK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CK_RESTRICT
#define CK_INLINE static inline
#define CK_LIKELY(x) (x)
#define CK_UNLIKELY(x) (x)
#endif

/* Contract checks inside kernels: active in debug builds (CONVKIT_DEBUG=1), free otherwise. */
#define CK_ASSERT(cond) assert(cond)

typedef enum ck_status {
    CK_OK = 0,
    CK_EINVAL = 1,      /* an argument is out of its domain (the glue names it in Python) */
    CK_ENOMEM = 2,      /* an allocation failed */
    CK_EOVERFLOW = 3,   /* a size does not fit the address space */
    CK_EUNSUPPORTED = 4 /* the requested instruction set or variant is not available */
} ck_status;

/* Every spatial op works on three spatial dimensions (D, H, W); 1D and 2D are the 3D case with
 * unit leading dimensions. Activations are channels-last: [batch, D, H, W, channels]. */
#define CK_SPATIAL_DIMS 3

#ifdef __cplusplus
}
#endif
#endif /* CONVKIT_COMMON_H */
