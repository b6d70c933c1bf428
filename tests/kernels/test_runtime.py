"""Runtime controls: cpu_info, ISA selection and thread count (results independent of threads)."""
import numpy as np
import pytest

import convkit
import reference as ref


def test_cpu_info_keys():
    info = convkit.cpu_info()
    for key in ("vendor", "brand", "features", "isa", "num_threads", "openmp"):
        assert key in info, key
    assert isinstance(info["features"], dict)
    assert info["isa"] in ("ref", "avx2", "avx512")
    assert info["isa"] in convkit.available_isas()
    assert isinstance(info["num_threads"], int) and info["num_threads"] >= 1
    assert isinstance(info["openmp"], bool)


def test_available_isas_starts_with_ref():
    isas = convkit.available_isas()
    assert isas[0] == "ref"
    assert set(isas) <= {"ref", "avx2", "avx512"}


def test_isa_fixture_selects_the_path(isa):
    assert convkit.cpu_info()["isa"] == isa


def test_set_isa_rejects_unknown_name():
    with pytest.raises(ValueError, match="name"):
        convkit._set_isa("sse9")


def test_set_isa_auto_picks_the_best():
    before = convkit.cpu_info()["isa"]
    try:
        convkit._set_isa("auto")
        assert convkit.cpu_info()["isa"] == convkit.available_isas()[-1]
    finally:
        convkit._set_isa(before)


@pytest.fixture
def restore_threads():
    before = convkit.get_num_threads()
    yield
    convkit.set_num_threads(before)


def test_set_get_num_threads(restore_threads):
    convkit.set_num_threads(1)
    assert convkit.get_num_threads() == 1
    assert convkit.cpu_info()["num_threads"] == 1
    convkit.set_num_threads(2)
    if convkit.cpu_info()["openmp"]:
        assert convkit.get_num_threads() == 2
    else:
        assert convkit.get_num_threads() >= 1


@pytest.mark.parametrize("bad", [1.5, "2", True])
def test_set_num_threads_rejects_non_int(restore_threads, bad):
    with pytest.raises(TypeError, match="n"):
        convkit.set_num_threads(bad)


def _all_ops(x2d, x1d, rng):
    w = rng.standard_normal((3, 3, x2d.shape[-1], 16)).astype(np.float32)
    dw = rng.standard_normal((3, 3, x2d.shape[-1], 2)).astype(np.float32)
    wt = rng.standard_normal((3, 3, 5, x2d.shape[-1])).astype(np.float32)
    w1 = rng.standard_normal((5, x1d.shape[-1], 7)).astype(np.float32)
    dk = rng.standard_normal((x2d.shape[-1], 9)).astype(np.float32)
    return [
        convkit.ops.conv(x2d, w, 1, "same", bias=np.ones(16, np.float32), activation="relu"),
        convkit.ops.conv(x2d, w, 2, "valid"),
        convkit.ops.conv(x1d, w1, 1, "causal", dilation_rate=2),
        convkit.ops.depthwise_conv(x2d, dw, 1, "same"),
        convkit.ops.conv_transpose(x2d, wt, 2, "same"),
        convkit.ops.max_pool(x2d, 3, 2, "same"),
        convkit.ops.average_pool(x2d, 3, 2, "same"),
        convkit.ops.global_average_pool(x2d),
        convkit.ops.upsample(x2d, 2, "bilinear"),
        convkit.ops.dense(x2d, dk),
    ]


def test_results_identical_with_one_or_two_threads(isa, rng, restore_threads):
    x2d = rng.standard_normal((3, 13, 11, 6)).astype(np.float32)
    x1d = rng.standard_normal((3, 17, 5)).astype(np.float32)
    convkit.set_num_threads(1)
    one = _all_ops(x2d, x1d, np.random.default_rng(3))
    convkit.set_num_threads(2)
    two = _all_ops(x2d, x1d, np.random.default_rng(3))
    for a, b in zip(one, two):
        # The static partition never splits a reduction, so results match to the bit.
        np.testing.assert_array_equal(a, b)


def test_gemm_conv_with_a_narrow_last_column_block_is_identical_for_any_thread_count(
    isa, rng, nan_filled_outputs, same_at_thread_counts
):
    # 1536-long reductions make the weight panels large enough that a column block holds only a
    # few of them, and 17 output panels (AVX-512: 32 columns each; AVX2: 16) leave a narrow last
    # block: the split by cost then cuts ranges inside a block. Whoever computes a tile, each
    # output is the same sum, and none is left unwritten (outputs start as NaN).
    x = rng.standard_normal((2, 41, 512)).astype(np.float32)
    w = (rng.standard_normal((3, 512, 544)) / 40).astype(np.float32)
    b = rng.standard_normal(544).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.conv(x, w, 2, "valid", bias=b, algorithm="gemm"), (1, 2, 3, 5))
    expected = ref.conv(x.astype(np.float64), w.astype(np.float64), 2, "valid", bias=b.astype(np.float64))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("spatial, cin, cout, groups, k, strides, act", [
    ((13, 11), 256, 256, 32, 3, 1, "relu6"),  # ResNeXt-like: 8-channel groups (12x8 kernel), padding taps
    ((9, 7), 64, 64, 4, 3, 2, None),          # 16-channel groups, stride 2
    ((7, 8), 24, 32, 8, 3, 1, "gelu"),        # 3 input and 4 output channels per group
    ((5, 6), 64, 32, 8, 3, 1, None),          # 8 input (the 12x8 kernel's unrolled k) and 4 output
    ((25,), 48, 96, 6, 5, 1, None),           # 1D, 16-channel groups
])
def test_grouped_gemm_conv_matches_oracle_packed_and_any_thread_count(isa, rng, nan_filled_outputs,
                                                                      same_at_thread_counts, spatial, cin, cout,
                                                                      groups, k, strides, act):
    # Groups narrower than the kernel's tile take the narrow kernel; when all groups' weights fit
    # L2 the units run groups innermost and move one tile's indirection from group to group.
    # Outputs start as NaN, so a group left unwritten fails; a layer (weights packed once) must
    # give the bits of the per-call op, at every thread count.
    rank = len(spatial)
    x = rng.standard_normal((2, *spatial, cin)).astype(np.float32)
    w = (rng.standard_normal((*(k,) * rank, cin // groups, cout)) / 4).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    got = same_at_thread_counts(lambda: convkit.ops.conv(x, w, strides, "same", bias=b, groups=groups,
                                                         algorithm="gemm", activation=act))
    layer = (convkit.layers.Conv1D if rank == 1 else convkit.layers.Conv2D)(
        cout, k, strides=strides, padding="same", groups=groups, algorithm="gemm", activation=act)
    layer(x)
    layer.set_weights([w, b])
    np.testing.assert_array_equal(layer(x), got)
    expected = ref.conv(x.astype(np.float64), w.astype(np.float64), strides, "same", groups=groups,
                        bias=b.astype(np.float64), activation_fn=act)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
