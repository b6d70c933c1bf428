# cython: language_level=3
"""convkit._ext._core: the Cython glue over the C core.

Typed memoryviews in (C-contiguous float32, prepared by the Python floor), `with nogil` around
every C call, C status codes turned into Python exceptions. One module, one dispatch table; the
op families live in the included .pxi files.
"""
from libc.stdint cimport int64_t, uint8_t
from convkit._ext._ck cimport *

include "status.pxi"
include "runtime.pxi"
include "conv.pxi"
include "gemm.pxi"
include "pool.pxi"
include "reshape.pxi"
include "norm.pxi"
include "scratch.pxi"
