# Pooling: x (N, D, H, W, C) -> y (N, OD, OH, OW, C); global pools: (N, S, C) -> (N, C).
# Adaptive pools take their output size from y.

def pool_nd(const float[:, :, :, :, ::1] x, float[:, :, :, :, ::1] y, tuple window, tuple stride,
            tuple pad_before, bint is_max):
    cdef ck_pool_shape s
    cdef ck_status st
    s.batch = x.shape[0]
    s.channels = x.shape[4]
    s.in_size[0] = x.shape[1]; s.in_size[1] = x.shape[2]; s.in_size[2] = x.shape[3]
    s.out_size[0] = y.shape[1]; s.out_size[1] = y.shape[2]; s.out_size[2] = y.shape[3]
    fill3(s.window, window)
    fill3(s.stride, stride)
    fill3(s.pad_before, pad_before)
    if y.shape[0] != x.shape[0] or y.shape[4] != x.shape[4]:
        raise ValueError("pool: inconsistent array shapes passed to the C core")
    cdef const float *xp = &x[0, 0, 0, 0, 0] if s.batch > 0 else NULL
    cdef float *yp = &y[0, 0, 0, 0, 0] if s.batch > 0 else NULL
    with nogil:
        if is_max:
            st = ck_f32_max_pool_nd(&s, xp, yp)
        else:
            st = ck_f32_avg_pool_nd(&s, xp, yp)
    check_status(st, "max_pool" if is_max else "average_pool")


def global_pool(const float[:, :, ::1] x, float[:, ::1] y, bint is_max):
    cdef ck_status st
    cdef int64_t n = x.shape[0], sp = x.shape[1], c = x.shape[2]
    if y.shape[0] != n or y.shape[1] != c:
        raise ValueError("global pool: inconsistent array shapes passed to the C core")
    cdef const float *xp = &x[0, 0, 0] if n > 0 else NULL
    cdef float *yp = &y[0, 0] if n > 0 else NULL
    with nogil:
        if is_max:
            st = ck_f32_global_max_pool(n, sp, c, xp, yp)
        else:
            st = ck_f32_global_avg_pool(n, sp, c, xp, yp)
    check_status(st, "global_max_pool" if is_max else "global_average_pool")


def adaptive_pool_nd(const float[:, :, :, :, ::1] x, float[:, :, :, :, ::1] y, bint is_max):
    cdef ck_status st
    cdef int64_t in_size[3]
    cdef int64_t out_size[3]
    cdef int64_t n = x.shape[0], c = x.shape[4]
    if y.shape[0] != n or y.shape[4] != c:
        raise ValueError("adaptive pool: inconsistent array shapes passed to the C core")
    for d in range(3):
        in_size[d] = x.shape[1 + d]
        out_size[d] = y.shape[1 + d]
    cdef const float *xp = &x[0, 0, 0, 0, 0] if n > 0 else NULL
    cdef float *yp = &y[0, 0, 0, 0, 0] if n > 0 else NULL
    with nogil:
        if is_max:
            st = ck_f32_adaptive_max_pool_nd(n, c, in_size, out_size, xp, yp)
        else:
            st = ck_f32_adaptive_avg_pool_nd(n, c, in_size, out_size, xp, yp)
    check_status(st, "adaptive_max_pool" if is_max else "adaptive_average_pool")
