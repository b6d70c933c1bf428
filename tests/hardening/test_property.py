"""Property-based check: random shapes and arguments against tests/reference.py, on every path.

hypothesis draws rank, sizes, channels, groups, strides or dilation, padding, activation and the
data format; convkit must agree with the NumPy oracle or refuse with a ValueError exactly when
Keras's rules say the arguments are invalid (an output size <= 0). Bounded: a fixed number of
examples with a per-example deadline, derandomised so CI is repeatable."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convkit  # noqa: E402
import reference as ref  # noqa: E402
from convkit import ops  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=2000, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ACTIVATIONS = [None, "relu", "sigmoid", "gelu", "leaky_relu", "tanh"]


@st.composite
def conv_cases(draw):
    rank = draw(st.integers(1, 3))
    max_size = {1: 19, 2: 11, 3: 6}[rank]
    spatial = tuple(draw(st.integers(1, max_size)) for _ in range(rank))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 5))
    cout = groups * draw(st.integers(1, 6))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    if draw(st.booleans()):
        strides, dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank)), (1,) * rank
    else:
        strides, dilation = (1,) * rank, tuple(draw(st.integers(1, 3)) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 else [])))
    return dict(
        batch=draw(st.integers(0, 3)), spatial=spatial, cin=cin, cout=cout, groups=groups, kernel=kernel,
        strides=strides, dilation=dilation, padding=padding, activation=draw(st.sampled_from(ACTIVATIONS)),
        bias=draw(st.booleans()), channels_first=draw(st.booleans()),
        algorithm=draw(st.sampled_from(["auto", "direct", "gemm"])), seed=draw(st.integers(0, 2**31)))


def _valid_output(case):
    for n, k, s, d in zip(case["spatial"], case["kernel"], case["strides"], case["dilation"]):
        if case["padding"] == "valid" and n < (k - 1) * d + 1:
            return False
    return True


@pytest.mark.parametrize("isa_name", convkit.available_isas())
@SETTINGS
@given(case=conv_cases())
def test_conv_matches_oracle(isa_name, case):
    convkit._set_isa(isa_name)
    try:
        rng = np.random.default_rng(case["seed"])
        x = rng.standard_normal((case["batch"],) + case["spatial"] + (case["cin"],)).astype(np.float32)
        w = rng.standard_normal(case["kernel"] + (case["cin"] // case["groups"], case["cout"])).astype(np.float32)
        b = rng.standard_normal(case["cout"]).astype(np.float32) if case["bias"] else None
        xin = np.moveaxis(x, -1, 1) if case["channels_first"] else x
        fmt = "channels_first" if case["channels_first"] else "channels_last"
        args = (xin, w, case["strides"], case["padding"], fmt, case["dilation"])
        if not _valid_output(case):
            with pytest.raises(ValueError, match="output size"):
                ops.conv(*args, bias=b, activation=case["activation"], algorithm=case["algorithm"])
            return
        got = ops.conv(*args, bias=b, activation=case["activation"], algorithm=case["algorithm"])
        if case["channels_first"]:
            got = np.moveaxis(got, 1, -1)
        want = ref.conv(x, w, case["strides"], case["padding"], case["dilation"], case["groups"], b,
                        case["activation"])
        assert got.shape == want.shape
        scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
        assert float(np.abs(got - want).max(initial=0.0)) <= 1e-5 * scale * max(1, np.prod(case["kernel"]) ** 0.5)
    finally:
        convkit._set_isa("auto")


@st.composite
def pool_cases(draw):
    rank = draw(st.integers(1, 3))
    spatial = tuple(draw(st.integers(1, {1: 17, 2: 9, 3: 5}[rank])) for _ in range(rank))
    pool = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * rank)))
    return dict(batch=draw(st.integers(0, 2)), spatial=spatial, c=draw(st.integers(1, 9)), pool=pool,
                strides=strides, padding=draw(st.sampled_from(["valid", "same"])), is_max=draw(st.booleans()),
                seed=draw(st.integers(0, 2**31)))


@SETTINGS
@given(case=pool_cases())
def test_pool_matches_oracle(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"],) + case["spatial"] + (case["c"],)).astype(np.float32)
    fn, oracle = (ops.max_pool, ref.max_pool) if case["is_max"] else (ops.average_pool, ref.average_pool)
    fits = case["padding"] == "same" or all(n >= p for n, p in zip(case["spatial"], case["pool"]))
    if not fits:
        with pytest.raises(ValueError, match="output size"):
            fn(x, case["pool"], case["strides"], case["padding"])
        return
    got = fn(x, case["pool"], case["strides"], case["padding"])
    want = oracle(x, case["pool"], case["strides"], case["padding"])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(rank=st.integers(1, 3), data=st.data())
def test_adaptive_pool_matches_oracle(rank, data):
    # Any input size to any output size, smaller or larger, on every route (regular grid or not).
    spatial = tuple(data.draw(st.integers(1, {1: 17, 2: 9, 3: 5}[rank])) for _ in range(rank))
    output = tuple(data.draw(st.integers(1, {1: 19, 2: 10, 3: 6}[rank])) for _ in range(rank))
    is_max = data.draw(st.booleans())
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    x = rng.standard_normal((data.draw(st.integers(0, 2)),) + spatial + (data.draw(st.integers(1, 9)),))
    x = x.astype(np.float32)
    fn = ops.adaptive_max_pool if is_max else ops.adaptive_average_pool
    got = fn(x, output)
    want = ref.adaptive_pool(x, output, "max" if is_max else "mean")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
