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


def activation_copy(const float[::1] x, float[::1] y, int act_kind, float act_alpha):
    """y = act(x) in one pass; x and y are distinct arrays of the same length."""
    cdef ck_status st
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    cdef int64_t n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"activation_copy: x has {n} values, y {y.shape[0]}")
    if n == 0:
        return
    with nogil:
        st = ck_f32_activation_copy(n, &x[0], &y[0], act)
    check_status(st, "activation")


def rnn_sequence(int cell, const float[:, :, ::1] xproj, const float[:, ::1] rkernel, object rbias,
                 int act_kind, float act_alpha, int rec_kind, float rec_alpha, float[:, ::1] h, object c,
                 object seq, object mask=None, bint zero_masked=False):
    """The recurrence of SimpleRNN (cell 0), LSTM (1) or GRU reset_after (2) over all steps:
    h (and c) hold the initial state and get the final one; seq (n, steps, units) or None gets
    every step's output; mask (n, steps) uint8 or None: 0 marks a masked step (Keras's mask).
    See ck_f32_rnn_sequence."""
    cdef int64_t n = xproj.shape[0], steps = xproj.shape[1], units = h.shape[1]
    cdef int64_t gates = 4 if cell == 1 else (3 if cell == 2 else 1)
    cdef const float[::1] rb
    cdef float[:, ::1] cm
    cdef float[:, :, ::1] sm
    cdef const float *rbp = NULL
    cdef float *cp = NULL
    cdef float *sp = NULL
    cdef const uint8_t[:, ::1] mm
    cdef const uint8_t *mp = NULL
    cdef ck_activation act = make_activation(act_kind, act_alpha)
    cdef ck_activation rec = make_activation(rec_kind, rec_alpha)
    cdef ck_status st
    if (h.shape[0] != n or xproj.shape[2] != gates * units or rkernel.shape[0] != units
            or rkernel.shape[1] != gates * units):
        raise ValueError("rnn_sequence: inconsistent array shapes passed to the C core")
    if rbias is not None:
        rb = rbias
        if rb.shape[0] != gates * units:
            raise ValueError("rnn_sequence: recurrent bias length differs from the kernel's columns")
        rbp = &rb[0]
    if c is not None:
        cm = c
        if cm.shape[0] != n or cm.shape[1] != units:
            raise ValueError("rnn_sequence: cell state shape differs from the hidden state's")
        if n > 0:
            cp = &cm[0, 0]
    if seq is not None:
        sm = seq
        if sm.shape[0] != n or sm.shape[1] != steps or sm.shape[2] != units:
            raise ValueError("rnn_sequence: sequence output has the wrong shape")
        if n > 0 and steps > 0:
            sp = &sm[0, 0, 0]
    if mask is not None:
        mm = mask
        if mm.shape[0] != n or mm.shape[1] != steps:
            raise ValueError("rnn_sequence: the mask's shape differs from (batch, steps)")
        if n > 0 and steps > 0:
            mp = &mm[0, 0]
    if n == 0 or steps == 0:
        return
    with nogil:
        st = ck_f32_rnn_sequence(cell, n, steps, units, &xproj[0, 0, 0], &rkernel[0, 0], rbp, act, rec,
                                 &h[0, 0], cp, sp, mp, zero_masked)
    check_status(st, "recurrent layer")


cdef class PackedDense:
    """A Dense kernel (K, N) and bias packed once for the dispatch path in use (ck_f32_gemm_pack).
    `run` computes exactly what gemm does with the same arguments; it repacks first if the
    dispatch path changed since."""
    cdef int64_t K, N
    cdef object _w_keep, _b_keep
    cdef bytearray packed
    cdef const float *wp
    cdef const float *bp
    cdef ck_activation act

    def __init__(self, object kernel, object bias, int act_kind, float act_alpha):
        cdef const float[:, ::1] w = kernel
        cdef const float[::1] b
        self.K = w.shape[0]
        self.N = w.shape[1]
        if self.N < 1:
            raise ValueError("dense: the kernel needs at least one column")
        self._w_keep = kernel
        self.wp = &w[0, 0] if self.K > 0 else NULL
        self.bp = NULL
        self._b_keep = bias
        if bias is not None:
            b = bias
            if b.shape[0] != self.N:
                raise ValueError("dense: bias length differs from the number of columns")
            self.bp = &b[0]
        self.act = make_activation(act_kind, act_alpha)
        self.repack()

    def repack(self):
        cdef size_t n = 0
        cdef ck_status st = ck_f32_gemm_pack_size(self.K, self.N, &n)
        check_status(st, "dense")
        self.packed = bytearray(n)
        cdef unsigned char[::1] buf = self.packed
        with nogil:
            st = ck_f32_gemm_pack(self.K, self.N, self.wp, self.N, self.bp, &buf[0], n)
        check_status(st, "dense")

    @property
    def is_current(self):
        cdef unsigned char[::1] buf = self.packed
        return bool(ck_packed_is_current(&buf[0], buf.shape[0]))

    @property
    def nbytes(self):
        return len(self.packed)

    def run(self, const float[:, ::1] a, float[:, ::1] c):
        """c = act(a @ kernel + bias); a: (M, K), c: (M, N)."""
        cdef int64_t M = a.shape[0]
        cdef ck_status st
        cdef unsigned char[::1] buf = self.packed
        cdef const float *ap = NULL
        cdef float *cp = NULL
        if not ck_packed_is_current(&buf[0], buf.shape[0]):
            self.repack()
            buf = self.packed
        if a.shape[1] != self.K or c.shape[0] != M or c.shape[1] != self.N:
            raise ValueError("dense: inconsistent array shapes passed to the C core")
        if M > 0 and self.K > 0:
            ap = &a[0, 0]
        if M > 0:
            cp = &c[0, 0]
        with nogil:
            st = ck_f32_gemm_packed(M, self.N, self.K, ap, self.K if self.K > 0 else 1, self.wp, self.N, self.bp,
                                    &buf[0], buf.shape[0], self.act, cp, self.N)
        check_status(st, "dense")
