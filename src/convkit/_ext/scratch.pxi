# Work arrays on the C core's scratch blocks (csrc/gemm/scratch.c).
#
# A channels_first layer moves its input to channels-last, runs, and moves the result back: two
# arrays that live for one call. As NumPy arrays of a few MiB they went back to the OS at each
# free (glibc trims the top of the heap) and were page-faulted in again on the next call: 40% of
# a channels_first ResNet stem. The scratch cache keeps such blocks (bounded: 16 blocks, 64 MiB)
# for the next call, as the kernels' own scratch.
import numpy as np


cdef class _ScratchBlock:
    """Owns one scratch block; NumPy views of it keep it alive, and it goes back to the cache
    when the last view is gone."""
    cdef void *ptr
    cdef Py_ssize_t nbytes
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t strides[1]

    def __cinit__(self, Py_ssize_t nbytes):
        self.ptr = ck_scratch_alloc(<size_t>(nbytes if nbytes > 0 else 1))
        if self.ptr == NULL:
            raise MemoryError(f"could not allocate {nbytes} bytes of scratch")
        self.nbytes = nbytes

    def __dealloc__(self):
        ck_scratch_free(self.ptr)

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        self.shape[0] = self.nbytes
        self.strides[0] = 1
        buffer.buf = self.ptr
        buffer.obj = self
        buffer.len = self.nbytes
        buffer.readonly = 0
        buffer.itemsize = 1
        buffer.format = "B"
        buffer.ndim = 1
        buffer.shape = self.shape
        buffer.strides = self.strides
        buffer.suboffsets = NULL
        buffer.internal = NULL

    def __releasebuffer__(self, Py_buffer *buffer):
        pass


def scratch_empty(tuple shape):
    """An uninitialised C-contiguous float32 array of `shape` on a scratch block, for arrays that
    do not outlive a call. The block goes back to the cache only when no array uses it any more,
    so one that did escape would never be reused under its holder, only kept out of the cache."""
    cdef Py_ssize_t count = 1
    for d in shape:
        count *= <Py_ssize_t>d
    block = _ScratchBlock(count * 4)
    return np.frombuffer(block, dtype=np.float32, count=count).reshape(shape)
