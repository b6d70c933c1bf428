# GEMM (Dense, 1x1 convolution) and in-place activations.

def gemm(const float[:, ::1] a, const float[:, ::1] b, object bias, float[:, ::1] c,
         int act_kind, float act_alpha):
    """c = act(a @ b + bias); a: (M, K), b: (K, N), c: (M, N)."""
    cdef int64_t M = a.shape[0], K = a.shape[1], N = b.shape[1]
    cdef const float[::1] bv
    cdef const float *bp = NULL
    cdef const float *ap = NULL
    cdef const float *bmat = NULL
    cdef float *cp = NULL
    cdef ck_status st
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    if b.shape[0] != K or c.shape[0] != M or c.shape[1] != N:
        raise ValueError("gemm: inconsistent array shapes passed to the C core")
    if bias is not None:
        bv = bias
        if bv.shape[0] != N:
            raise ValueError("gemm: bias length differs from the number of columns")
        if N > 0:
            bp = &bv[0]
    if M > 0 and K > 0:
        ap = &a[0, 0]
    if K > 0 and N > 0:
        bmat = &b[0, 0]
    if M > 0 and N > 0:
        cp = &c[0, 0]
    with nogil:
        st = ck_f32_gemm(M, N, K, ap, K if K > 0 else 1, bmat, N, bp, act, cp, N)
    check_status(st, "dense")


def activation_inplace(float[::1] x, int act_kind, float act_alpha):
    cdef ck_status st
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    cdef int64_t n = x.shape[0]
    if n == 0:
        return
    with nogil:
        st = ck_f32_activation(n, &x[0], act)
    check_status(st, "activation")
