"""Slow, obviously-right NumPy oracles for convkit's ops.

Written from the math and Keras's documented semantics, independently of the C code.
Everything is channels-last (batch, spatial..., channels), any spatial rank 1/2/3, and
computed in float64. Callers compare convkit's float32 results against these.
"""

import math

import numpy as np

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# --------------------------------------------------------------------------- helpers

def as_tuple(value, rank):
    """An int or a sequence -> tuple of `rank` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    value = tuple(int(v) for v in value)
    assert len(value) == rank, (value, rank)
    return value


def effective_kernel(k, d):
    return (k - 1) * d + 1


def same_pads(n, k, s, d):
    """Keras/TF 'same': total = max((ceil(n/s)-1)*s + k_eff - n, 0); odd extra at the end."""
    total = max((-(-n // s) - 1) * s + effective_kernel(k, d) - n, 0)
    return total // 2, total - total // 2


def conv_pads(n, k, s, d, padding):
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return same_pads(n, k, s, d)
    if padding == "causal":
        return effective_kernel(k, d) - 1, 0
    raise ValueError(padding)


def _f64(x):
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------------- activations

def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # same as 1 / (1 + exp(-x)), no overflow


def _softplus(x):
    return np.logaddexp(0.0, x)


def _relu6(x):
    return np.minimum(np.maximum(x, 0.0), 6.0)


def _hard_sigmoid(x):
    return _relu6(x + 3.0) / 6.0


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": _relu6,
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": _elu,
    "selu": lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA),
    "sigmoid": _sigmoid,
    "hard_sigmoid": _hard_sigmoid,
    "tanh": np.tanh,
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "gelu_approximate": lambda x: 0.5 * x * (
        1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))),
    "exponential": np.exp,
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "hard_swish": lambda x: x * _hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "softmax": _softmax,
    "log_softmax": _log_softmax,
}

# Activations that act element by element (fusable into a conv epilogue).
ELEMENTWISE_ACTIVATIONS = [name for name in ACTIVATIONS if name not in ("softmax", "log_softmax")]


def activation(x, name):
    """Apply the Keras activation called `name` (None means linear)."""
    x = _f64(x)
    if name is None:
        return x
    return ACTIVATIONS[name](x)


def _epilogue(y, bias, activation_fn):
    if bias is not None:
        y = y + _f64(bias)
    return activation(y, activation_fn)


# --------------------------------------------------------------------------- convolution

def conv(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1, bias=None,
         activation_fn=None):
    """Keras conv, channels-last. kernel: (k..., in_channels // groups, filters)."""
    x = _f64(x)
    kernel = _f64(kernel)
    rank = x.ndim - 2
    assert kernel.ndim == rank + 2
    s = as_tuple(strides, rank)
    d = as_tuple(dilation_rate, rank)
    ks = kernel.shape[:rank]
    cin, cout = x.shape[-1], kernel.shape[-1]
    assert cin == kernel.shape[-2] * groups and cout % groups == 0
    if padding == "causal":
        assert rank == 1
    pads = [conv_pads(x.shape[1 + i], ks[i], s[i], d[i], padding) for i in range(rank)]
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_len = [(xp.shape[1 + i] - effective_kernel(ks[i], d[i])) // s[i] + 1 for i in range(rank)]
    assert all(n > 0 for n in out_len), out_len
    cin_g, cout_g = cin // groups, cout // groups
    y = np.zeros((x.shape[0], *out_len, cout))
    for offset in np.ndindex(*ks):
        index = [slice(None)]
        for i in range(rank):
            start = offset[i] * d[i]
            index.append(slice(start, start + (out_len[i] - 1) * s[i] + 1, s[i]))
        patch = xp[tuple(index)]  # (N, out..., cin)
        w = kernel[offset]  # (cin_g, cout)
        for g in range(groups):
            y[..., g * cout_g:(g + 1) * cout_g] += np.einsum(
                "...c,cf->...f", patch[..., g * cin_g:(g + 1) * cin_g],
                w[:, g * cout_g:(g + 1) * cout_g])
    return _epilogue(y, bias, activation_fn)


def depthwise_conv(x, kernel, strides=1, padding="valid", dilation_rate=1, bias=None,
                   activation_fn=None):
    """kernel (k..., C, mult); output channel c*mult + m."""
    kernel = _f64(kernel)
    rank = kernel.ndim - 2
    c, mult = kernel.shape[-2], kernel.shape[-1]
    # A depthwise conv is a grouped conv with groups = C, one input channel per group.
    grouped = kernel.reshape(kernel.shape[:rank] + (1, c * mult))
    return conv(x, grouped, strides, padding, dilation_rate, groups=c, bias=bias,
                activation_fn=activation_fn)


def separable_conv(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   dilation_rate=1, bias=None, activation_fn=None):
    """Depthwise step (no bias), then a 1x1 pointwise conv, then bias and activation."""
    y = depthwise_conv(x, depthwise_kernel, strides, padding, dilation_rate)
    return conv(y, pointwise_kernel, bias=bias, activation_fn=activation_fn)


def conv_transpose_output_length(n, k, s, d, padding, output_padding):
    ke = effective_kernel(k, d)
    if output_padding is None:
        return n * s + max(ke - s, 0) if padding == "valid" else n * s
    pad = ke // 2 if padding == "same" else 0
    return (n - 1) * s + ke - 2 * pad + output_padding


def conv_transpose_crop(k, s, d, padding, output_padding):
    """How many cells of the full scatter buffer Keras drops at the start."""
    ke = effective_kernel(k, d)
    if padding == "valid":
        return 0
    if output_padding is None:
        pad_len = s + ke - 2
    else:
        pad_len = ke + ke % 2 - 2 + output_padding
    left_pad = min(pad_len // 2 + pad_len % 2, ke - 1)
    return ke - 1 - left_pad


def conv_transpose(x, kernel, strides=1, padding="valid", output_padding=None,
                   dilation_rate=1, bias=None, activation_fn=None, groups=1):
    """Keras ConvTranspose, channels-last. kernel: (k..., filters // groups, in_channels).

    Scatter form: out[i*s + j*d, g*fg + f] += x[i, c] * kernel[j, f, c] for c in group g, into a
    full buffer of length (n-1)*s + k_eff, then crop/extend to Keras's output length.
    """
    x = _f64(x)
    kernel = _f64(kernel)
    rank = x.ndim - 2
    s = as_tuple(strides, rank)
    d = as_tuple(dilation_rate, rank)
    op = (None,) * rank if output_padding is None else as_tuple(output_padding, rank)
    ks = kernel.shape[:rank]
    n = x.shape[1:-1]
    assert x.shape[-1] == kernel.shape[-1]
    full_len = [(n[i] - 1) * s[i] + effective_kernel(ks[i], d[i]) for i in range(rank)]
    cin, fg = x.shape[-1], kernel.shape[-2]
    assert cin % groups == 0
    cg = cin // groups
    full = np.zeros((x.shape[0], *full_len, fg * groups))
    for offset in np.ndindex(*ks):
        index = [slice(None)]
        for i in range(rank):
            start = offset[i] * d[i]
            index.append(slice(start, start + (n[i] - 1) * s[i] + 1, s[i]))
        for g in range(groups):
            full[tuple(index) + (slice(g * fg, (g + 1) * fg),)] += np.einsum(
                "...c,fc->...f", x[..., g * cg:(g + 1) * cg], kernel[offset][:, g * cg:(g + 1) * cg])
    out_len = [conv_transpose_output_length(n[i], ks[i], s[i], d[i], padding, op[i])
               for i in range(rank)]
    y = np.zeros((x.shape[0], *out_len, fg * groups))
    src = [slice(None)]
    dst = [slice(None)]
    for i in range(rank):
        start = conv_transpose_crop(ks[i], s[i], d[i], padding, op[i])
        stop = min(start + out_len[i], full_len[i])
        src.append(slice(start, stop))
        dst.append(slice(0, max(stop - start, 0)))
    src.append(slice(None))
    dst.append(slice(None))
    y[tuple(dst)] = full[tuple(src)]
    return _epilogue(y, bias, activation_fn)


# --------------------------------------------------------------------------- pooling

def _pool(x, pool_size, strides, padding, reduce):
    x = _f64(x)
    rank = x.ndim - 2
    p = as_tuple(pool_size, rank)
    s = p if strides is None else as_tuple(strides, rank)
    n = x.shape[1:-1]
    if padding == "valid":
        out_len = [(n[i] - p[i]) // s[i] + 1 for i in range(rank)]
        before = [0] * rank
    else:
        out_len = [-(-n[i] // s[i]) for i in range(rank)]
        before = [same_pads(n[i], p[i], s[i], 1)[0] for i in range(rank)]
    assert all(v > 0 for v in out_len), out_len
    y = np.empty((x.shape[0], *out_len, x.shape[-1]))
    for o in np.ndindex(*out_len):
        window = [slice(None)]
        for i in range(rank):
            lo = o[i] * s[i] - before[i]
            window.append(slice(max(lo, 0), min(lo + p[i], n[i])))
        block = x[tuple(window)]
        cells = block.reshape(x.shape[0], int(np.prod(block.shape[1:-1])), x.shape[-1])
        y[(slice(None),) + o] = reduce(cells)
    return y


def max_pool(x, pool_size, strides=None, padding="valid"):
    return _pool(x, pool_size, strides, padding, lambda c: c.max(axis=1))


def average_pool(x, pool_size, strides=None, padding="valid"):
    """'same' windows are clipped to the input; the mean counts only the cells inside."""
    return _pool(x, pool_size, strides, padding, lambda c: c.mean(axis=1))


def global_max_pool(x, keepdims=False):
    x = _f64(x)
    return x.max(axis=tuple(range(1, x.ndim - 1)), keepdims=keepdims)


def global_average_pool(x, keepdims=False):
    x = _f64(x)
    return x.mean(axis=tuple(range(1, x.ndim - 1)), keepdims=keepdims)



def adaptive_pool(x, output_size, reduce):
    """Adaptive pooling (PyTorch's rule, which Keras 3 follows): along a dim of length n pooled to
    m cells, cell i reduces the input cells [floor(i*n/m), ceil((i+1)*n/m)). reduce: 'max' | 'mean'."""
    x = _f64(x)
    rank = x.ndim - 2
    out = as_tuple(output_size, rank)
    n = x.shape[1:-1]
    y = np.empty((x.shape[0], *out, x.shape[-1]))
    for o in np.ndindex(*out):
        window = [slice(None)]
        for i in range(rank):
            window.append(slice(math.floor(o[i] * n[i] / out[i]), math.ceil((o[i] + 1) * n[i] / out[i])))
        block = x[tuple(window)]
        cells = block.reshape(x.shape[0], int(np.prod(block.shape[1:-1])), x.shape[-1])
        y[(slice(None),) + o] = cells.max(axis=1) if reduce == "max" else cells.mean(axis=1)
    return y


def channel_moments(x):
    """x (batch, outer, channels, inner) -> (2, batch, channels): the sums of x and of its float32
    squares (as Keras squares float32 values) over the outer and inner positions, in float64."""
    squares = np.square(x).astype(np.float64)
    return np.stack([_f64(x).sum(axis=(1, 3)), squares.sum(axis=(1, 3))])

# --------------------------------------------------------------------------- reshaping

def _pairs(value, rank):
    """int | (a, b, ...) one per dim | ((before, after), ...) -> list of (before, after)."""
    if isinstance(value, (int, np.integer)):
        return [(int(value), int(value))] * rank
    value = list(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return [(int(value[0]), int(value[1]))]
    assert len(value) == rank
    out = []
    for v in value:
        if isinstance(v, (int, np.integer)):
            out.append((int(v), int(v)))
        else:
            a, b = v
            out.append((int(a), int(b)))
    return out


def zero_pad(x, padding):
    x = _f64(x)
    rank = x.ndim - 2
    return np.pad(x, [(0, 0)] + _pairs(padding, rank) + [(0, 0)])


def crop(x, cropping):
    x = _f64(x)
    rank = x.ndim - 2
    index = [slice(None)]
    for i, (a, b) in enumerate(_pairs(cropping, rank)):
        index.append(slice(a, x.shape[1 + i] - b))
    return x[tuple(index)]


def upsample_nearest(x, size):
    x = _f64(x)
    rank = x.ndim - 2
    for i, r in enumerate(as_tuple(size, rank)):
        x = np.repeat(x, r, axis=1 + i)
    return x


def _linear_weights(n_in, n_out):
    """Half-pixel rule: src = (dst + 0.5) * n_in / n_out - 0.5, clamped to [0, n_in - 1]."""
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = (o + 0.5) * n_in / n_out - 0.5
        src = min(max(src, 0.0), n_in - 1.0)
        lo = int(math.floor(src))
        hi = min(lo + 1, n_in - 1)
        frac = src - lo
        w[o, lo] += 1.0 - frac
        w[o, hi] += frac
    return w


def upsample_bilinear(x, size):
    """2D only: (N, H, W, C) -> (N, H*sh, W*sw, C), separable linear interpolation."""
    x = _f64(x)
    assert x.ndim == 4
    sh, sw = as_tuple(size, 2)
    h, w = x.shape[1], x.shape[2]
    wh = _linear_weights(h, h * sh)
    ww = _linear_weights(w, w * sw)
    return np.einsum("ah,bw,nhwc->nabc", wh, ww, x)


def upsample(x, size, interpolation="nearest"):
    if interpolation == "nearest":
        return upsample_nearest(x, size)
    if interpolation == "bilinear":
        return upsample_bilinear(x, size)
    raise ValueError(interpolation)


# --------------------------------------------------------------------------- dense

def dense(x, kernel, bias=None, activation_fn=None):
    y = np.einsum("...i,io->...o", _f64(x), _f64(kernel))
    return _epilogue(y, bias, activation_fn)


# --------------------------------------------------------------------------- layout

def to_channels_first(x):
    x = np.asarray(x)
    return np.moveaxis(x, -1, 1)


def to_channels_last(x):
    x = np.asarray(x)
    return np.moveaxis(x, 1, -1)


# --------------------------------------------------------------------------- recurrence

def rnn_sequence(cell, xproj, rkernel, rbias, h, c, mask=None, zero_masked=False, act="tanh", rec_act="sigmoid"):
    """The time loop of SimpleRNN / LSTM / GRU (reset after) in float64, Keras's way: xproj
    (n, steps, G*units) the input projections, rkernel (units, G*units), rbias the GRU's
    recurrent bias or None, h (and c) the initial state. mask (n, steps), False where a step is
    masked: the state stays, the output is zeros (zero_masked) or the previous output (zeros
    before the first). Returns (every step's output, final h, final c)."""
    x, u = _f64(xproj), _f64(rkernel)
    h = _f64(h).copy()
    c = None if c is None else _f64(c).copy()
    n, steps, _ = x.shape
    units = h.shape[1]
    seq = np.zeros((n, steps, units))
    for t in range(steps):
        z = h @ u + (0 if rbias is None else _f64(rbias))
        if cell == "simple":
            new_h, new_c = activation(x[:, t] + z, act), c
        elif cell == "lstm":
            g = x[:, t] + z
            i, f = activation(g[:, :units], rec_act), activation(g[:, units:2 * units], rec_act)
            cand, o = activation(g[:, 2 * units:3 * units], act), activation(g[:, 3 * units:], rec_act)
            new_c = f * c + i * cand
            new_h = o * activation(new_c, act)
        else:
            zg = activation(x[:, t, :units] + z[:, :units], rec_act)
            r = activation(x[:, t, units:2 * units] + z[:, units:2 * units], rec_act)
            cand = activation(x[:, t, 2 * units:] + r * z[:, 2 * units:], act)
            new_h, new_c = zg * h + (1 - zg) * cand, c
        keep = np.ones((n, 1), bool) if mask is None else np.asarray(mask, bool)[:, t, None]
        h = np.where(keep, new_h, h)
        if c is not None:
            c = np.where(keep, new_c, c)
        previous = seq[:, t - 1] if t > 0 and not zero_masked else 0.0
        seq[:, t] = np.where(keep, h, previous)
    return seq, h, c
