"""ck_f32_rnn_sequence, the recurrent layers' time loop in C, against the float64 oracle: every
cell, with and without Keras's masks (masked steps keep the state; their output is zeros or the
previous output), on edge sizes, every ISA path and any thread count."""
import numpy as np
import pytest

from convkit import activations, ops
import reference as ref

_CELLS = {"simple": (0, 1), "lstm": (1, 4), "gru": (2, 3)}


def _case(rng, cell, n, steps, units):
    gates = _CELLS[cell][1]
    xproj = rng.standard_normal((n, steps, gates * units)).astype(np.float32)
    rkernel = (rng.standard_normal((units, gates * units)) / np.sqrt(units)).astype(np.float32)
    rbias = rng.standard_normal(gates * units).astype(np.float32) if cell == "gru" else None
    h = rng.standard_normal((n, units)).astype(np.float32)
    c = rng.standard_normal((n, units)).astype(np.float32) if cell == "lstm" else None
    return xproj, rkernel, rbias, h, c


def _run(cell, xproj, rkernel, rbias, h, c, mask, zero_masked):
    states = [h.copy()] + ([] if c is None else [c.copy()])
    seq = np.full(xproj.shape[:2] + (h.shape[1],), np.nan, np.float32)
    ops._rnn_sequence(_CELLS[cell][0], xproj, rkernel, rbias, activations.get("tanh"), activations.get("sigmoid"),
                      states, seq, None if mask is None else np.ascontiguousarray(mask, np.uint8), zero_masked)
    return seq, states


@pytest.mark.parametrize("cell", sorted(_CELLS))
@pytest.mark.parametrize("n, steps, units", [(1, 1, 1), (2, 3, 5), (3, 7, 16), (7, 4, 17), (5, 2, 31)])
@pytest.mark.parametrize("masked", ["none", "random", "zero_masked"])
def test_the_time_loop_matches_the_oracle(isa, rng, assert_close, cell, n, steps, units, masked):
    xproj, rkernel, rbias, h, c = _case(rng, cell, n, steps, units)
    mask = None
    if masked != "none":
        mask = rng.random((n, steps)) > 0.4
        mask[0, 0] = False  # a masked first step: zeros out, the initial state kept
        if n > 2:
            mask[-1] = False  # a row with every step masked
    zero_masked = masked == "zero_masked"
    inputs = [a.copy() for a in (xproj, rkernel, h) if a is not None]
    seq, states = _run(cell, xproj, rkernel, rbias, h, c, mask, zero_masked)
    want_seq, want_h, want_c = ref.rnn_sequence(cell, xproj, rkernel, rbias, h, c, mask, zero_masked)
    assert_close(seq, want_seq, rtol=2e-5)
    assert_close(states[0], want_h, rtol=2e-5)
    if c is not None:
        assert_close(states[1], want_c, rtol=2e-5)
    if mask is not None and n > 2:
        np.testing.assert_array_equal(states[0][-1], h[-1])  # an all-masked row keeps its state bit for bit
        np.testing.assert_array_equal(seq[-1], 0)
    for before, after in zip(inputs, (xproj, rkernel, h)):
        np.testing.assert_array_equal(before, after)  # inputs untouched


def test_masked_time_loops_are_identical_for_any_thread_count(rng, same_at_thread_counts):
    xproj, rkernel, _, h, c = _case(rng, "lstm", 9, 6, 12)
    mask = rng.random((9, 6)) > 0.3
    same_at_thread_counts(lambda: np.concatenate(
        [a.ravel() for a in _run("lstm", xproj, rkernel, None, h, c, mask, False)[0:1]]
        + [s.ravel() for s in _run("lstm", xproj, rkernel, None, h, c, mask, False)[1]]))


def test_a_mask_of_the_wrong_shape_is_refused(rng):
    xproj, rkernel, _, h, _ = _case(rng, "simple", 2, 3, 4)
    with pytest.raises(ValueError, match="mask's shape"):
        _run("simple", xproj, rkernel, None, h, None, np.ones((2, 4), bool), False)


@pytest.mark.parametrize("cell", sorted(_CELLS))
@pytest.mark.parametrize("n, units", [(2, 3), (5, 16), (13, 17)])
def test_a_padded_row_has_the_bits_of_its_unpadded_sequence(isa, rng, cell, n, units):
    # The loop runs each step's h @ U over the live rows only (a lone live row with a masked
    # partner). Every row must still get the bits of a plain GEMM over the batch: a right-padded
    # row of length L equals the unmasked loop over its first L steps, here in a batch of two
    # copies of it (a batch of one row takes the GEMM's one-row kernel).
    steps = 9
    xproj, rkernel, rbias, h, c = _case(rng, cell, n, steps, units)
    lengths = rng.integers(0, steps + 1, n)
    lengths[0], lengths[-1] = steps, 1  # one full row, one lone step
    mask = np.arange(steps)[None, :] < lengths[:, None]
    seq, states = _run(cell, xproj, rkernel, rbias, h, c, mask, True)
    for b, length in enumerate(lengths):
        pair = slice(b, b + 1), slice(b, b + 1)
        row_x = np.concatenate([xproj[pair[0], :length]] * 2)
        row_h = np.concatenate([h[pair[0]]] * 2)
        row_c = None if c is None else np.concatenate([c[pair[0]]] * 2)
        want_seq, want_states = _run(cell, row_x, rkernel, rbias, row_h, row_c, None, True)
        np.testing.assert_array_equal(seq[b, :length], want_seq[0])
        np.testing.assert_array_equal(seq[b, length:], 0)
        for got, want in zip(states, want_states):
            np.testing.assert_array_equal(got[b], want[0])
