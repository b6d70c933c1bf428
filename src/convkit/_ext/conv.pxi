# Convolution family. Arrays arrive as 5-D channels-last views (N, D, H, W, C) with kernels as
# (KD, KH, KW, in, out); the Python floor has validated everything and allocated y.

def conv_nd(const float[:, :, :, :, ::1] x, const float[:, :, :, :, ::1] w, object bias,
            float[:, :, :, :, ::1] y, tuple stride, tuple dilation, tuple pad_before,
            int64_t groups, int act_kind, float act_alpha, int algorithm):
    cdef ck_conv_shape s
    cdef const float[::1] b
    cdef const float *bp = NULL
    cdef ck_status st
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    s.batch = x.shape[0]
    s.in_size[0] = x.shape[1]; s.in_size[1] = x.shape[2]; s.in_size[2] = x.shape[3]
    s.out_size[0] = y.shape[1]; s.out_size[1] = y.shape[2]; s.out_size[2] = y.shape[3]
    s.kernel_size[0] = w.shape[0]; s.kernel_size[1] = w.shape[1]; s.kernel_size[2] = w.shape[2]
    fill3(s.stride, stride)
    fill3(s.dilation, dilation)
    fill3(s.pad_before, pad_before)
    s.in_channels = x.shape[4]
    s.out_channels = y.shape[4]
    s.groups = groups
    if y.shape[0] != x.shape[0] or w.shape[4] != y.shape[4] or w.shape[3] * groups != x.shape[4]:
        raise ValueError("conv: inconsistent array shapes passed to the C core")
    if bias is not None:
        b = bias
        if b.shape[0] != s.out_channels:
            raise ValueError("conv: bias length differs from the number of filters")
        bp = &b[0]
    with nogil:
        st = ck_f32_conv_nd(&s, &x[0, 0, 0, 0, 0] if s.batch > 0 else NULL, &w[0, 0, 0, 0, 0], bp, act,
                            algorithm, &y[0, 0, 0, 0, 0] if s.batch > 0 else NULL)
    check_status(st, "conv")


def depthwise_conv_nd(const float[:, :, :, :, ::1] x, const float[:, :, :, :, ::1] w, object bias,
                      float[:, :, :, :, ::1] y, tuple stride, tuple dilation, tuple pad_before,
                      int act_kind, float act_alpha):
    """w: (KD, KH, KW, C, multiplier); y has C * multiplier channels."""
    cdef ck_conv_shape s
    cdef const float[::1] b
    cdef const float *bp = NULL
    cdef ck_status st
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    s.batch = x.shape[0]
    s.in_size[0] = x.shape[1]; s.in_size[1] = x.shape[2]; s.in_size[2] = x.shape[3]
    s.out_size[0] = y.shape[1]; s.out_size[1] = y.shape[2]; s.out_size[2] = y.shape[3]
    s.kernel_size[0] = w.shape[0]; s.kernel_size[1] = w.shape[1]; s.kernel_size[2] = w.shape[2]
    fill3(s.stride, stride)
    fill3(s.dilation, dilation)
    fill3(s.pad_before, pad_before)
    s.in_channels = x.shape[4]
    s.out_channels = y.shape[4]
    s.groups = 1
    if y.shape[0] != x.shape[0] or w.shape[3] != x.shape[4] or w.shape[3] * w.shape[4] != y.shape[4]:
        raise ValueError("depthwise_conv: inconsistent array shapes passed to the C core")
    if bias is not None:
        b = bias
        if b.shape[0] != s.out_channels:
            raise ValueError("depthwise_conv: bias length differs from channels * depth_multiplier")
        bp = &b[0]
    with nogil:
        st = ck_f32_depthwise_conv_nd(&s, &x[0, 0, 0, 0, 0] if s.batch > 0 else NULL, &w[0, 0, 0, 0, 0], bp,
                                      act, &y[0, 0, 0, 0, 0] if s.batch > 0 else NULL)
    check_status(st, "depthwise_conv")


def conv_transpose_nd(const float[:, :, :, :, ::1] x, const float[:, :, :, :, ::1] w, object bias,
                      float[:, :, :, :, ::1] y, tuple stride, tuple dilation, tuple crop_before,
                      int64_t groups, int act_kind, float act_alpha):
    """w: (KD, KH, KW, out / groups, in) as Keras's ConvTranspose kernel."""
    cdef ck_conv_shape s
    cdef const float[::1] b
    cdef const float *bp = NULL
    cdef ck_status st
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    s.batch = x.shape[0]
    s.in_size[0] = x.shape[1]; s.in_size[1] = x.shape[2]; s.in_size[2] = x.shape[3]
    s.out_size[0] = y.shape[1]; s.out_size[1] = y.shape[2]; s.out_size[2] = y.shape[3]
    s.kernel_size[0] = w.shape[0]; s.kernel_size[1] = w.shape[1]; s.kernel_size[2] = w.shape[2]
    fill3(s.stride, stride)
    fill3(s.dilation, dilation)
    fill3(s.pad_before, crop_before)
    s.in_channels = x.shape[4]
    s.out_channels = y.shape[4]
    s.groups = groups
    if y.shape[0] != x.shape[0] or w.shape[4] != x.shape[4] or w.shape[3] * groups != y.shape[4]:
        raise ValueError("conv_transpose: inconsistent array shapes passed to the C core")
    if bias is not None:
        b = bias
        if b.shape[0] != s.out_channels:
            raise ValueError("conv_transpose: bias length differs from the number of filters")
        bp = &b[0]
    with nogil:
        st = ck_f32_conv_transpose_nd(&s, &x[0, 0, 0, 0, 0] if s.batch > 0 else NULL, &w[0, 0, 0, 0, 0], bp,
                                      act, &y[0, 0, 0, 0, 0] if s.batch > 0 else NULL)
    check_status(st, "conv_transpose")


# ---- weights packed once ------------------------------------------------------------------------

cdef class PackedConv:
    """A convolution kernel (5-D (KD, KH, KW, in / groups, filters)) and bias packed once for the
    dispatch path in use (ck_f32_conv_pack), owning the packed bytes. `run` computes exactly what
    conv_nd does with the same arguments; it repacks first if the dispatch path changed since."""
    cdef ck_conv_shape s
    cdef object _w_keep, _b_keep
    cdef bytearray packed
    cdef bytearray winograd  # filters transformed for Winograd, or empty where never used
    cdef const float *wp
    cdef const float *bp
    cdef ck_activation act
    cdef int algorithm

    def __init__(self, object kernel, object bias, tuple stride, tuple dilation,
                 int64_t groups, int act_kind, float act_alpha, int algorithm):
        cdef const float[:, :, :, :, ::1] w = kernel
        cdef const float[::1] b
        self._w_keep = kernel  # keeps the arrays behind wp / bp alive
        self._b_keep = bias
        self.s.batch = 0
        self.s.kernel_size[0] = w.shape[0]; self.s.kernel_size[1] = w.shape[1]; self.s.kernel_size[2] = w.shape[2]
        fill3(self.s.stride, stride)
        fill3(self.s.dilation, dilation)
        self.s.in_channels = w.shape[3] * groups
        self.s.out_channels = w.shape[4]
        self.s.groups = groups
        self.wp = &w[0, 0, 0, 0, 0]
        self.bp = NULL
        if bias is not None:
            b = bias
            if b.shape[0] != self.s.out_channels:
                raise ValueError("conv: bias length differs from the number of filters")
            self.bp = &b[0]
        self.act = make_activation(act_kind, act_alpha)
        self.algorithm = algorithm
        self.repack()

    def repack(self):
        """(Re)pack the kernel for the dispatch path in use."""
        cdef size_t n = 0
        cdef ck_status st = ck_f32_conv_pack_size(&self.s, &n)
        check_status(st, "conv")
        self.packed = bytearray(n)
        cdef unsigned char[::1] buf = self.packed
        with nogil:
            st = ck_f32_conv_pack(&self.s, self.wp, self.bp, &buf[0], n)
        check_status(st, "conv")
        st = ck_f32_conv_pack_winograd_size(&self.s, self.algorithm, &n)
        check_status(st, "conv")
        self.winograd = bytearray(n)
        if n == 0:
            return
        buf = self.winograd
        with nogil:
            st = ck_f32_conv_pack_winograd(&self.s, self.wp, &buf[0], n)
        check_status(st, "conv")

    @property
    def is_current(self):
        """True when the packed weights were made for the dispatch path in use."""
        cdef unsigned char[::1] buf = self.packed
        return bool(ck_packed_is_current(&buf[0], buf.shape[0]))

    @property
    def nbytes(self):
        return len(self.packed) + len(self.winograd)

    def run(self, const float[:, :, :, :, ::1] x, float[:, :, :, :, ::1] y, tuple pad_before):
        """y = conv(x) with the packed kernel; x and y are 5-D channels-last, y's shape the
        output geometry the caller computed (pad_before as in conv_nd)."""
        cdef ck_conv_shape s = self.s
        cdef ck_status st
        cdef unsigned char[::1] buf = self.packed
        cdef unsigned char[::1] wbuf
        cdef const void *wino = NULL
        cdef size_t wino_bytes = 0
        if not ck_packed_is_current(&buf[0], buf.shape[0]):
            self.repack()
            buf = self.packed
        if len(self.winograd) > 0:
            wbuf = self.winograd
            wino = &wbuf[0]
            wino_bytes = wbuf.shape[0]
        s.batch = x.shape[0]
        s.in_size[0] = x.shape[1]; s.in_size[1] = x.shape[2]; s.in_size[2] = x.shape[3]
        s.out_size[0] = y.shape[1]; s.out_size[1] = y.shape[2]; s.out_size[2] = y.shape[3]
        fill3(s.pad_before, pad_before)
        if y.shape[0] != x.shape[0] or x.shape[4] != s.in_channels or y.shape[4] != s.out_channels:
            raise ValueError("conv: inconsistent array shapes passed to the C core")
        with nogil:
            st = ck_f32_conv_nd_packed(&s, &x[0, 0, 0, 0, 0] if s.batch > 0 else NULL, self.wp, self.bp,
                                       &buf[0], buf.shape[0], wino, wino_bytes, self.act, self.algorithm,
                                       &y[0, 0, 0, 0, 0] if s.batch > 0 else NULL)
        check_status(st, "conv")
