"""Sizes whose products overflow (or cannot be allocated) are rejected before allocation."""
import numpy as np
import pytest

from convkit import ops


def test_upsample_overflowing_output_rejected():
    x = np.ones((1, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match="upsample"):
        ops.upsample(x, (2**40, 2**40))


def test_zero_pad_overflowing_output_rejected():
    x = np.ones((1, 4, 1), np.float32)
    with pytest.raises(ValueError, match="zero_pad"):
        ops.zero_pad(x, (2**62, 2**62))


def test_conv_transpose_huge_stride_rejected():
    x = np.ones((1, 3, 3, 1), np.float32)
    w = np.ones((2, 2, 1, 1), np.float32)
    with pytest.raises((ValueError, MemoryError)):
        ops.conv_transpose(x, w, strides=(2**31, 2**31))


def test_unallocatable_output_raises_memory_error():
    x = np.ones((1, 8, 8, 1), np.float32)
    # 2**26 x 2**26 cells fit int64 but not in memory: numpy reports MemoryError, never a crash.
    with pytest.raises(MemoryError):
        ops.upsample(x, (2**23, 2**23))
