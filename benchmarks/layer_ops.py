"""convkit's non-convolution layers and ops against PyTorch, side by side in one run: recurrent
layers, normalisation, softmax, merges, activations, global and 3D pooling, transposed, grouped and
depthwise convolutions. Medians of repeated calls, and PyTorch's time over convkit's (above 1:
convkit is faster). Outputs are compared first where the two compute the same thing.

    python benchmarks/layer_ops.py [--threads 1,2] [--repeat 50]

Speed is reported, never asserted. PyTorch is optional only in that this script needs it.
"""
import argparse
import time

import numpy as np

import convkit
from convkit import layers as L


def _median_ms(fn, repeat):
    for _ in range(max(3, repeat // 10)):
        fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3


def _cases(torch):
    F = torch.nn.functional
    r = np.random.default_rng(0)

    def nchw(a):
        return torch.from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, 1)))

    def nchw_diff(ours, theirs):
        return np.abs(np.moveaxis(ours, -1, 1) - theirs.numpy()).max()

    x4 = r.standard_normal((8, 56, 56, 64)).astype(np.float32)
    x4t = nchw(x4)
    seq = r.standard_normal((16, 100, 64)).astype(np.float32)
    seqt = torch.from_numpy(seq)
    cases = []

    lstm, tlstm = L.LSTM(128, return_sequences=True), torch.nn.LSTM(64, 128, batch_first=True)
    lstm(seq)
    cases.append(("LSTM 128 over 16x100x64", lambda: lstm(seq), lambda: tlstm(seqt), None))
    # Keras's mask (lengths 40-100, padding at the end) against PyTorch's packed sequences
    lengths = r.integers(40, 101, 16)
    keep = np.arange(100)[None, :] < lengths[:, None]
    lengths_t = torch.from_numpy(lengths)

    def torch_packed():
        packed = torch.nn.utils.rnn.pack_padded_sequence(seqt, lengths_t, batch_first=True, enforce_sorted=False)
        return torch.nn.utils.rnn.pad_packed_sequence(tlstm(packed)[0], batch_first=True, total_length=100)[0]

    cases.append(("LSTM 128 over 16x100x64, masked (torch: packed)", lambda: lstm(seq, mask=keep), torch_packed,
                  None))
    gru, tgru = L.GRU(128, return_sequences=True), torch.nn.GRU(64, 128, batch_first=True)
    gru(seq)
    cases.append(("GRU 128 over 16x100x64", lambda: gru(seq), lambda: tgru(seqt), None))

    ln, tln = L.LayerNormalization(epsilon=1e-5), torch.nn.LayerNorm(64, eps=1e-5)
    ln(x4)
    x4l = torch.from_numpy(x4)
    cases.append(("LayerNormalization 8x56x56x64", lambda: ln(x4), lambda: tln(x4l),
                  lambda a, b: np.abs(a - b.numpy()).max()))
    bn, tbn = L.BatchNormalization(epsilon=1e-3), torch.nn.BatchNorm2d(64, eps=1e-3).eval()
    bn(x4)
    cases.append(("BatchNormalization 8x56x56x64", lambda: bn(x4), lambda: tbn(x4t), None))
    gn = L.GroupNormalization(32, epsilon=1e-5)
    gn(x4)
    cases.append(("GroupNormalization 32 groups, 8x56x56x64", lambda: gn(x4),
                  lambda: torch.nn.functional.group_norm(x4t, 32, eps=1e-5), nchw_diff))

    xs = r.standard_normal((64, 1000)).astype(np.float32)
    xst = torch.from_numpy(xs)
    sm = L.Softmax()
    cases.append(("Softmax 64x1000", lambda: sm(xs), lambda: torch.softmax(xst, -1),
                  lambda a, b: np.abs(a - b.numpy()).max()))

    x2 = x4.copy()
    x2t = x4t.clone()
    add = L.Add()
    cases.append(("Add of two 8x56x56x64", lambda: add([x4, x2]), lambda: x4t + x2t, None))
    cases.append(("ReLU 8x56x56x64 (ops.activation)", lambda: convkit.ops.activation(x4, "relu"),
                  lambda: F.relu(x4t), None))

    g = r.standard_normal((1, 56, 56, 128)).astype(np.float32)
    gt = nchw(g)
    cases.append(("global average pool 1x56x56x128", lambda: convkit.ops.global_average_pool(g),
                  lambda: gt.mean((2, 3)), lambda a, b: np.abs(a - b.numpy()).max()))
    x5 = r.standard_normal((2, 16, 32, 32, 16)).astype(np.float32)
    x5t = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x5, -1, 1)))
    cases.append(("MaxPooling3D 2 on 2x16x32x32x16", lambda: convkit.ops.max_pool(x5, 2),
                  lambda: F.max_pool3d(x5t, 2), None))
    xq = r.standard_normal((8, 13, 13, 256)).astype(np.float32)  # AlexNet's last map; 13 -> 6 overlaps
    xqt = nchw(xq)
    cases.append(("adaptive average pool 8x13x13x256 -> 6x6", lambda: convkit.ops.adaptive_average_pool(xq, 6),
                  lambda: F.adaptive_avg_pool2d(xqt, 6), nchw_diff))
    cases.append(("adaptive max pool 8x13x13x256 -> 6x6", lambda: convkit.ops.adaptive_max_pool(xq, 6),
                  lambda: F.adaptive_max_pool2d(xqt, 6), nchw_diff))

    xd = r.standard_normal((8, 28, 28, 64)).astype(np.float32)
    xdt = nchw(xd)
    wd = (r.standard_normal((4, 4, 64, 64)) / 20).astype(np.float32)   # (k, k, filters, in)
    wdt = torch.from_numpy(np.ascontiguousarray(np.moveaxis(wd, (-1, -2), (0, 1))))
    cases.append(("transposed conv 8x28x28x64 4x4 s2 valid -> 64",
                  lambda: convkit.ops.conv_transpose(xd, wd, 2, "valid"),
                  lambda: F.conv_transpose2d(xdt, wdt, stride=2),
                  lambda a, b: np.abs(a - np.moveaxis(b.numpy(), 1, -1)).max()))

    xg = r.standard_normal((1, 28, 28, 256)).astype(np.float32)
    xgt = nchw(xg)
    wg = (r.standard_normal((3, 3, 8, 256)) / 10).astype(np.float32)
    wgt = torch.from_numpy(np.ascontiguousarray(np.transpose(wg, (3, 2, 0, 1))))
    cases.append(("grouped conv 28x28x256, 32 groups of 8",
                  lambda: convkit.ops.conv(xg, wg, 1, "same", groups=32),
                  lambda: F.conv2d(xgt, wgt, padding=1, groups=32),
                  lambda a, b: np.abs(a - np.moveaxis(b.numpy(), 1, -1)).max()))

    # depthwise layers: MobileNet's 3x3 at batch 8, EfficientNet's 5x5, ConvNeXt's 7x7 (PyTorch on a
    # channels-last tensor: its depthwise kernels on NCHW took twice as long)
    for batch, hw, ch, k in ((8, 56, 128, 3), (1, 28, 240, 5), (1, 56, 96, 7)):
        xw = r.standard_normal((batch, hw, hw, ch)).astype(np.float32)
        xwt = nchw(xw).contiguous(memory_format=torch.channels_last)  # PyTorch's faster layout here
        ww = (r.standard_normal((k, k, ch, 1)) / k).astype(np.float32)
        wwt = torch.from_numpy(np.ascontiguousarray(np.transpose(ww, (2, 3, 0, 1))))
        cases.append((f"depthwise {k}x{k} {batch}x{hw}x{hw}x{ch}",
                      lambda xw=xw, ww=ww: convkit.ops.depthwise_conv(xw, ww, 1, "same"),
                      lambda xwt=xwt, wwt=wwt, k=k, ch=ch: F.conv2d(xwt, wwt, padding=k // 2, groups=ch),
                      lambda a, b: np.abs(a - np.moveaxis(b.numpy(), 1, -1)).max()))

    # ConvNeXt's depthwise layer as Keras writes it: a Conv2D with groups == channels
    xc = r.standard_normal((1, 56, 56, 96)).astype(np.float32)
    xct = nchw(xc).contiguous(memory_format=torch.channels_last)
    wc = (r.standard_normal((7, 7, 1, 96)) / 7).astype(np.float32)
    wct = torch.from_numpy(np.ascontiguousarray(np.transpose(wc, (3, 2, 0, 1))))
    cases.append(("Conv2D 56x56x96 7x7 groups=96 (ConvNeXt)",
                  lambda: convkit.ops.conv(xc, wc, 1, "same", groups=96),
                  lambda: F.conv2d(xct, wct, padding=3, groups=96),
                  lambda a, b: np.abs(a - np.moveaxis(b.numpy(), 1, -1)).max()))
    # squeeze-and-excitation: a tensor times one value per channel
    xe = r.standard_normal((1, 112, 112, 96)).astype(np.float32)
    se = r.standard_normal((1, 1, 1, 96)).astype(np.float32)
    xet, set_ = torch.from_numpy(xe), torch.from_numpy(se)
    mul = L.Multiply()
    cases.append(("Multiply 112x112x96 by 1x1x1x96", lambda: mul([xe, se]), lambda: xet * set_,
                  lambda a, b: np.abs(a - b.numpy()).max()))

    # data_format='channels_first' layers on NCHW data, PyTorch's own layout: convkit moves the
    # input to channels-last and the result back around its kernels
    xs = r.standard_normal((1, 3, 224, 224)).astype(np.float32)
    stem = L.Conv2D(64, 7, strides=2, data_format="channels_first")  # 'valid': Keras's 'same' pads 2 / 3 here
    stem(xs)
    tstem = torch.nn.Conv2d(3, 64, 7, stride=2)
    with torch.no_grad():
        tstem.weight.copy_(torch.from_numpy(np.ascontiguousarray(np.transpose(stem.kernel.value, (3, 2, 0, 1)))))
        tstem.bias.copy_(torch.from_numpy(stem.bias.value))
    xst = torch.from_numpy(xs)
    cases.append(("Conv2D channels_first 1x3x224x224 7x7 s2 valid -> 64", lambda: stem(xs), lambda: tstem(xst),
                  lambda a, b: np.abs(a - b.numpy()).max()))
    xp = r.standard_normal((1, 64, 112, 112)).astype(np.float32)
    pool = L.MaxPooling2D(3, 2, padding="valid", data_format="channels_first")
    xpt = torch.from_numpy(xp)
    cases.append(("MaxPooling2D channels_first 1x64x112x112 3x3 s2", lambda: pool(xp),
                  lambda: F.max_pool2d(xpt, 3, 2), lambda a, b: np.abs(a - b.numpy()).max()))

    xa = r.standard_normal((1, 28, 28, 256)).astype(np.float32)
    xat = torch.from_numpy(xa)
    for name, fn in (("tanh", torch.tanh), ("gelu", F.gelu), ("silu", F.silu)):
        cases.append((f"{name} 28x28x256 (ops.activation)", lambda name=name: convkit.ops.activation(xa, name),
                      lambda fn=fn: fn(xat), lambda a, b: np.abs(a - b.numpy()).max()))
    return cases


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--repeat", type=int, default=50, help="timed calls per case (default 50)")
    p.add_argument("--only", default="", help="run only the cases whose name contains this text")
    args = p.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed; pip install torch")
        return 2
    print(f"convkit {convkit.__version__} ({convkit.cpu_info()['isa']}), torch {torch.__version__}")
    cases = [c for c in _cases(torch) if args.only.lower() in c[0].lower()]
    print("| op | threads | convkit ms | torch ms | torch / convkit |\n|---|---:|---:|---:|---:|")
    with torch.inference_mode():
        for n in [int(t) for t in args.threads.split(",") if t.strip()]:
            convkit.set_num_threads(n)
            torch.set_num_threads(n)
            for name, ours, theirs, diff in cases:
                if diff is not None:
                    err = diff(np.asarray(ours()), theirs())
                    if not err <= 1e-3:
                        print(f"| {name} | {n} | outputs differ (max {err:.3g}) | | |")
                        continue
                a, b = _median_ms(ours, args.repeat), _median_ms(theirs, args.repeat)
                print(f"| {name} | {n} | {a:.3f} | {b:.3f} | {b / a:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
