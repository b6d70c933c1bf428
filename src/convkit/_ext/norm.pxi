# Normalisations over rows (LayerNormalization, BatchNormalization at inference, softmax) and
# element-wise merges.
from cpython.mem cimport PyMem_Malloc, PyMem_Free


def layer_norm(const float[:, ::1] x, object gamma, object beta, float epsilon, bint rms, float[:, ::1] y):
    """y = LayerNormalization of each row of x (gamma, beta: (n,) float32 or None)."""
    cdef int64_t rows = x.shape[0], n = x.shape[1]
    cdef const float[::1] g
    cdef const float[::1] b
    cdef const float *gp = NULL
    cdef const float *bp = NULL
    cdef ck_status st
    if y.shape[0] != rows or y.shape[1] != n:
        raise ValueError("layer_norm: output shape differs from the input's")
    if gamma is not None:
        g = gamma
        if g.shape[0] != n:
            raise ValueError("layer_norm: gamma length differs from the row length")
        gp = &g[0]
    if beta is not None:
        b = beta
        if b.shape[0] != n:
            raise ValueError("layer_norm: beta length differs from the row length")
        bp = &b[0]
    if rows == 0:
        return
    with nogil:
        st = ck_f32_layer_norm(rows, n, &x[0, 0], gp, bp, epsilon, rms, &y[0, 0])
    check_status(st, "layer_norm")


def channel_affine(const float[:, :, ::1] x, const float[::1] scale, object shift, float[:, :, ::1] y):
    """y = x * scale[c] + shift[c] with x viewed as (outer, channels, inner); shift None (with
    inner 1): y = x * scale[c]."""
    cdef int64_t outer = x.shape[0], channels = x.shape[1], inner = x.shape[2]
    cdef ck_status st
    cdef const float[::1] b
    cdef const float *bp = NULL
    if y.shape[0] != outer or y.shape[1] != channels or y.shape[2] != inner:
        raise ValueError("channel_affine: output shape differs from the input's")
    if scale.shape[0] != channels:
        raise ValueError("channel_affine: scale needs one value per channel")
    if shift is not None:
        b = shift
        if b.shape[0] != channels:
            raise ValueError("channel_affine: shift needs one value per channel")
        bp = &b[0]
    elif inner != 1:
        raise ValueError("channel_affine: a scale alone needs channels last (inner 1)")
    if outer == 0:
        return
    with nogil:
        st = ck_f32_channel_affine(outer, channels, inner, &x[0, 0, 0], &scale[0], bp, &y[0, 0, 0])
    check_status(st, "channel_affine")



def channel_moments(const float[:, :, :, ::1] x, double[:, ::1] sums, double[:, ::1] sumsq):
    """sums[n, c], sumsq[n, c] = sum of x[n, :, c, :] and of its float32 squares, in double, with x
    viewed as (batch, outer, channels, inner)."""
    cdef int64_t batch = x.shape[0], outer = x.shape[1], channels = x.shape[2], inner = x.shape[3]
    cdef ck_status st
    if sums.shape[0] != batch or sums.shape[1] != channels or sumsq.shape[0] != batch or sumsq.shape[1] != channels:
        raise ValueError("channel_moments: sums must be (batch, channels)")
    if batch == 0:
        return
    with nogil:
        st = ck_f32_channel_moments(batch, outer, channels, inner, &x[0, 0, 0, 0], &sums[0, 0], &sumsq[0, 0])
    check_status(st, "channel_moments")

def softmax_rows(const float[:, ::1] x, bint log_softmax, float[:, ::1] y):
    """Softmax (or log-softmax) of each row."""
    cdef int64_t rows = x.shape[0], n = x.shape[1]
    cdef ck_status st
    if y.shape[0] != rows or y.shape[1] != n:
        raise ValueError("softmax: output shape differs from the input's")
    if rows == 0:
        return
    with nogil:
        st = ck_f32_softmax(rows, n, &x[0, 0], log_softmax, &y[0, 0])
    check_status(st, "softmax")


def merge(int op, list arrays, int act_kind, float act_alpha, float[::1] out):
    """out = act(a0 op a1 op ...) for same-length flat float32 arrays (ck_f32_merge)."""
    cdef Py_ssize_t k = len(arrays), j
    cdef int64_t n = out.shape[0]
    cdef const float[::1] view
    cdef const float **ptrs
    cdef ck_status st
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    cdef list keep = []
    if k < 1:
        raise ValueError("merge: no inputs")
    ptrs = <const float **>PyMem_Malloc(k * sizeof(float *))
    if ptrs == NULL:
        raise MemoryError()
    try:
        for j in range(k):
            view = arrays[j]
            if view.shape[0] != n:
                raise ValueError("merge: inputs of different lengths passed to the C core")
            keep.append(view)
            ptrs[j] = &view[0] if n > 0 else NULL
        if n == 0:
            return
        with nogil:
            st = ck_f32_merge(op, k, ptrs, n, act, &out[0])
        check_status(st, "merge")
    finally:
        PyMem_Free(ptrs)
