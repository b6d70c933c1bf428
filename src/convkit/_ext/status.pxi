# C status -> Python exception. `what` names the op, so the message says where it failed.

cdef int check_status(ck_status st, str what) except -1:
    if st == CK_OK:
        return 0
    if st == CK_ENOMEM:
        raise MemoryError(f"{what}: the C core could not allocate its working memory")
    if st == CK_EOVERFLOW:
        raise ValueError(f"{what}: the sizes involved overflow 64-bit indexing")
    if st == CK_EUNSUPPORTED:
        raise ValueError(f"{what}: the requested algorithm or instruction set is not available on this build or CPU")
    raise ValueError(f"{what}: the C core rejected the shape or arguments (status {int(st)})")


cdef inline ck_activation make_activation(int kind, float alpha):
    cdef ck_activation act
    act.kind = kind
    act.alpha = alpha
    return act


cdef inline void fill3(int64_t *dst, tuple src):
    dst[0] = src[0]
    dst[1] = src[1]
    dst[2] = src[2]
