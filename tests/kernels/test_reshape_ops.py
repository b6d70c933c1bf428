"""zero_pad, crop and upsample (nearest any rank, bilinear 2D) vs the oracle."""
import numpy as np
import pytest

import convkit
import reference as ref

# Every output starts as NaN, so an element a kernel forgets to write fails the comparison.
pytestmark = pytest.mark.usefixtures("nan_filled_outputs")

PAD_CASES = [
    (1, (5,), 2),
    (1, (7,), (1, 3)),            # 1D: one (before, after) pair
    (1, (1,), ((0, 2),)),
    (2, (5, 6), 1),
    (2, (7, 5), (2, 0)),          # one symmetric value per dim
    (2, (1, 1), ((1, 2), (3, 0))),
    (3, (2, 3, 4), 1),
    (3, (3, 2, 5), ((0, 1), (2, 0), (1, 1))),
    (3, (2, 2, 2), (0, 1, 2)),
]


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank,spatial,padding", PAD_CASES, ids=[str(c) for c in PAD_CASES])
def test_zero_pad(isa, rng, rank, spatial, padding, fmt, assert_close):
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    expected = ref.zero_pad(x, padding)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = convkit.ops.zero_pad(xin, padding, fmt)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected, rtol=0)


CROP_CASES = [
    (1, (7,), 2),
    (1, (8,), (0, 3)),
    (2, (5, 6), 1),
    (2, (7, 5), (2, 0)),
    (2, (6, 7), ((1, 2), (3, 0))),
    (3, (4, 5, 6), 1),
    (3, (5, 4, 3), ((0, 1), (2, 1), (0, 0))),
]


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank,spatial,cropping", CROP_CASES, ids=[str(c) for c in CROP_CASES])
def test_crop(isa, rng, rank, spatial, cropping, fmt, assert_close):
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    expected = ref.crop(x, cropping)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = convkit.ops.crop(xin, cropping, fmt)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected, rtol=0)


def test_crop_undoes_zero_pad(isa, rng):
    x = rng.standard_normal((2, 5, 6, 4)).astype(np.float32)
    pads = ((1, 2), (3, 0))
    np.testing.assert_array_equal(convkit.ops.crop(convkit.ops.zero_pad(x, pads), pads), x)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank,spatial,size", [
    (1, (5,), 2), (1, (1,), 3), (2, (5, 7), 2), (2, (3, 2), (1, 3)), (3, (2, 3, 2), (2, 1, 3)),
])
def test_upsample_nearest(isa, rng, rank, spatial, size, fmt, assert_close):
    x = rng.standard_normal((2, *spatial, 5)).astype(np.float32)
    expected = ref.upsample_nearest(x, size)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = convkit.ops.upsample(xin, size, "nearest", fmt)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected, rtol=0)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("spatial,size", [((5, 7), 2), ((3, 4), (2, 3)), ((1, 3), (3, 2)), ((6, 5), (1, 1)),
                                          ((4, 4), 4)])
def test_upsample_bilinear(isa, rng, spatial, size, fmt, assert_close):
    x = rng.standard_normal((2, *spatial, 3)).astype(np.float32)
    expected = ref.upsample_bilinear(x, size)
    xin = ref.to_channels_first(x).copy() if fmt == "channels_first" else x
    got = convkit.ops.upsample(xin, size, "bilinear", fmt)
    if fmt == "channels_first":
        expected = ref.to_channels_first(expected)
    assert_close(got, expected)


def test_upsample_bilinear_known_values(isa):
    # [0, 4] doubled with the half-pixel rule: sources -0.25->0, 0.25, 0.75, 1.25->1.
    x = np.array([0.0, 4.0], np.float32).reshape(1, 1, 2, 1)
    got = convkit.ops.upsample(x, (1, 2), "bilinear")
    np.testing.assert_allclose(got.ravel(), [0.0, 1.0, 3.0, 4.0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("size_in, size_out", [((37, 5), (2011, 3)), ((4000, 2), (4097, 7)), ((333, 97), (1999, 61)),
                                               ((1000, 6), (3, 1))])
def test_bilinear_resize_source_coordinates_are_torchs(rng, size_in, size_out):
    # Keras's torch backend resizes with torch, which places each output cell in float32 with one
    # fused multiply-add; the kernel does too, so long axes (where a double coordinate was off by
    # up to 4e-4 at 4000 -> 4097) agree to rounding.
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((1, *size_in, 2)).astype(np.float32)
    got = convkit.ops._resize_bilinear(x, size_out)
    want = torch.nn.functional.interpolate(torch.from_numpy(np.moveaxis(x, -1, 1).copy()), size=size_out,
                                           mode="bilinear", align_corners=False).numpy()
    np.testing.assert_allclose(got, np.moveaxis(want, 1, -1), rtol=0, atol=2e-6)
