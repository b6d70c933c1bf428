# Zero padding, cropping and upsampling on (N, D, H, W, C) blocks.

def zero_pad_nd(const float[:, :, :, :, ::1] x, float[:, :, :, :, ::1] y, tuple before, tuple after):
    cdef int64_t ins[3]
    cdef int64_t b[3]
    cdef int64_t a[3]
    cdef ck_status st
    ins[0] = x.shape[1]; ins[1] = x.shape[2]; ins[2] = x.shape[3]
    fill3(b, before)
    fill3(a, after)
    for d in range(3):
        if y.shape[d + 1] != ins[d] + b[d] + a[d]:
            raise ValueError("zero_pad: inconsistent array shapes passed to the C core")
    if y.shape[0] != x.shape[0] or y.shape[4] != x.shape[4]:
        raise ValueError("zero_pad: inconsistent array shapes passed to the C core")
    cdef int64_t n = x.shape[0], c = x.shape[4]
    cdef const float *xp = &x[0, 0, 0, 0, 0] if n > 0 else NULL
    cdef float *yp = &y[0, 0, 0, 0, 0] if n > 0 else NULL
    with nogil:
        st = ck_f32_zero_pad_nd(n, c, ins, b, a, xp, yp)
    check_status(st, "zero_pad")


def crop_nd(const float[:, :, :, :, ::1] x, float[:, :, :, :, ::1] y, tuple before):
    cdef int64_t ins[3]
    cdef int64_t b[3]
    cdef int64_t outs[3]
    cdef ck_status st
    ins[0] = x.shape[1]; ins[1] = x.shape[2]; ins[2] = x.shape[3]
    outs[0] = y.shape[1]; outs[1] = y.shape[2]; outs[2] = y.shape[3]
    fill3(b, before)
    if y.shape[0] != x.shape[0] or y.shape[4] != x.shape[4]:
        raise ValueError("crop: inconsistent array shapes passed to the C core")
    cdef int64_t n = x.shape[0], c = x.shape[4]
    cdef const float *xp = &x[0, 0, 0, 0, 0] if n > 0 else NULL
    cdef float *yp = &y[0, 0, 0, 0, 0] if n > 0 else NULL
    with nogil:
        st = ck_f32_crop_nd(n, c, ins, b, outs, xp, yp)
    check_status(st, "crop")


def upsample_nearest_nd(const float[:, :, :, :, ::1] x, float[:, :, :, :, ::1] y, tuple factor):
    cdef int64_t ins[3]
    cdef int64_t f[3]
    cdef ck_status st
    ins[0] = x.shape[1]; ins[1] = x.shape[2]; ins[2] = x.shape[3]
    fill3(f, factor)
    for d in range(3):
        if y.shape[d + 1] != ins[d] * f[d]:
            raise ValueError("upsample: inconsistent array shapes passed to the C core")
    if y.shape[0] != x.shape[0] or y.shape[4] != x.shape[4]:
        raise ValueError("upsample: inconsistent array shapes passed to the C core")
    cdef int64_t n = x.shape[0], c = x.shape[4]
    cdef const float *xp = &x[0, 0, 0, 0, 0] if n > 0 else NULL
    cdef float *yp = &y[0, 0, 0, 0, 0] if n > 0 else NULL
    with nogil:
        st = ck_f32_upsample_nearest_nd(n, c, ins, f, xp, yp)
    check_status(st, "upsample")


def resize_bilinear_2d(const float[:, :, :, ::1] x, float[:, :, :, ::1] y):
    cdef ck_status st
    cdef int64_t n = x.shape[0], c = x.shape[3]
    if y.shape[0] != n or y.shape[3] != c:
        raise ValueError("upsample: inconsistent array shapes passed to the C core")
    cdef int64_t ih = x.shape[1], iw = x.shape[2], oh = y.shape[1], ow = y.shape[2]
    cdef const float *xp = &x[0, 0, 0, 0] if n > 0 else NULL
    cdef float *yp = &y[0, 0, 0, 0] if n > 0 else NULL
    with nogil:
        st = ck_f32_resize_bilinear_2d(n, c, ih, iw, oh, ow, xp, yp)
    check_status(st, "upsample")


def transpose_batched(const float[:, :, ::1] x, float[:, :, ::1] y):
    """y[b] = x[b].T for (batch, rows, cols) x and (batch, cols, rows) y, not overlapping."""
    cdef ck_status st
    cdef int64_t n = x.shape[0], r = x.shape[1], c = x.shape[2]
    if y.shape[0] != n or y.shape[1] != c or y.shape[2] != r:
        raise ValueError("transpose: inconsistent array shapes passed to the C core")
    cdef const float *xp = &x[0, 0, 0] if n * r * c > 0 else NULL
    cdef float *yp = &y[0, 0, 0] if n * r * c > 0 else NULL
    with nogil:
        st = ck_f32_transpose_batched(n, r, c, xp, yp)
    check_status(st, "transpose")
