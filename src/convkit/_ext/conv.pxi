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
