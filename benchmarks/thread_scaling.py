"""Thread scaling of convkit's convolution against PyTorch and ONNX Runtime on this machine.

    python benchmarks/thread_scaling.py [--threads 1,2,4,8,16] [--repeat 20]

Prints GFLOP/s (of medians) per thread count for a few layers: convkit as a Conv2D layer
(algorithm 'auto', filters packed once when the layer is built, as the peers' sessions do)
beside the peers that are installed, and convkit's speed-up over its own single-thread run.
"""
import argparse
import statistics
import time

import numpy as np

import convkit
from convkit import ops

LAYERS = [  # name, (N, H, W, C), (k, filters), stride
    ("56x56x64 3x3 ->64", (1, 56, 56, 64), (3, 64), 1),
    ("28x28x256 1x1 ->128", (1, 28, 28, 256), (1, 128), 1),
    ("14x14x256 3x3 ->256", (1, 14, 14, 256), (3, 256), 1),
]


def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def torch_runner(x, w, stride, threads):
    import torch
    torch.set_num_threads(threads)
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    wt = torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))
    pad = w.shape[0] // 2

    def run():
        with torch.no_grad():
            return torch.nn.functional.conv2d(xt, wt, stride=stride, padding=pad)
    return run, lambda: run().numpy().transpose(0, 2, 3, 1)


def ort_runner(x, w, stride, threads):
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    k = w.shape[0]
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[k, k], strides=[stride, stride],
                            pads=[k // 2] * 4)
    xs = list(x.transpose(0, 3, 1, 2).shape)
    graph = helper.make_graph([node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, xs)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.ascontiguousarray(w.transpose(3, 2, 0, 1)), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    xn = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    run = lambda: sess.run(None, {"x": xn})  # noqa: E731
    return run, lambda: run()[0].transpose(0, 2, 3, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2,4,8,16")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    info = convkit.cpu_info()
    print(f"# {info['brand']} | isa={info['isa']} | cores={info['cpu_count']}")
    print(f"{'layer':22s} {'impl':10s} " + " ".join(f"{t:>9d}T" for t in counts) + "   (GFLOP/s; convkit speed-up vs 1T)")
    rng = np.random.default_rng(0)
    for name, xs, (k, f), stride in LAYERS:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal((k, k, xs[3], f)).astype(np.float32)
        ref = ops.conv(x, w, stride, "same")
        flops = 2.0 * ref.size * k * k * xs[3]
        layer = convkit.layers.Conv2D(f, k, strides=stride, padding="same", use_bias=False)
        layer.build(xs)
        layer.set_weights([w])
        if not np.array_equal(np.asarray(layer(x)), ref):
            print(f"!! the layer differs from ops.conv on {name}")
        rows = {}
        for t in counts:
            convkit.set_num_threads(t)
            rows.setdefault("convkit", []).append(median_ms(lambda: layer(x), args.repeat))
            for peer, make in (("torch", torch_runner), ("onnxrt", ort_runner)):
                try:
                    run, out = make(x, w, stride, t)
                except ImportError:
                    continue
                if not np.allclose(out(), ref, rtol=1e-3, atol=1e-3 * np.abs(ref).max()):
                    print(f"!! {peer} output differs from convkit on {name}")
                rows.setdefault(peer, []).append(median_ms(run, args.repeat))
        convkit.set_num_threads(0)
        for impl, ms in rows.items():
            gf = " ".join(f"{flops / m / 1e6:10.1f}" for m in ms)
            extra = f"   x{ms[0] / ms[-1]:.1f} at {counts[-1]}T" if impl == "convkit" else ""
            print(f"{name:22s} {impl:10s} {gf}{extra}")


if __name__ == "__main__":
    main()
