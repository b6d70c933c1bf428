"""The implementations a workload is run with, one object each.

Every implementation turns the same float32 data into the same answer in its own way:

  python-loops     plain Python loops over flat lists (tiny workloads only)
  numpy-naive      sliding windows (np.lib.stride_tricks.sliding_window_view) + einsum, no BLAS
  numpy-im2col     copy the windows into a matrix, one matmul (NumPy's BLAS); for GEMM just A @ B
  convkit-<alg>    convkit.ops with algorithm='auto', 'direct', 'gemm', 'winograd'
  onnxruntime      a one-node ONNX model (Conv/MatMul/MaxPool, NCHW) on the CPU provider
  torch            torch.nn.functional / torch.mm on the CPU

Inputs are laid out for each implementation outside the timed region (NHWC for convkit and
NumPy, NCHW contiguous for ONNX Runtime and PyTorch; PyTorch gets its input already padded where
Keras's 'same' or 'causal' padding is asymmetric, which it cannot express), and outputs are
turned back into channels-last only for the correctness check.

`prepare(workload, data)` returns a callable that computes once (the thing that is timed) and a
function that converts what it returned into a channels-last float array. A workload an
implementation cannot run raises `Skip` (with the reason) or `NotApplicable` (nothing to report).
Peers are imported lazily; a missing one is a `Skip`, never an error.
"""
import itertools
import os
from math import prod

import numpy as np

from convkit.bench.workloads import same_pads


class Skip(Exception):
    """This implementation cannot run this workload here (the message says why)."""


class NotApplicable(Skip):
    """The implementation has no meaning for this kind of workload; not reported."""


def make_data(w, seed=0):
    """Inputs and weights for a workload, uniform in [-1, 1), channels-last, convkit's layouts."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=w.input_shape).astype(np.float32)
    k = rng.uniform(-1, 1, size=w.kernel_shape).astype(np.float32) if w.kernel_shape else None
    return {"x": x, "k": k}


def grouped_kernel(w, k):
    """The kernel as a grouped convolution's (k..., cin/groups, cout): a depthwise kernel
    (k..., C, M) is the groups=C case with output channel c*M + m, which is a plain reshape."""
    if w.kind == "depthwise":
        return k.reshape(tuple(w.ksize) + (1, w.cin * w.multiplier))
    return k


def _nchw(a):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


def _nhwc(a):
    return np.ascontiguousarray(np.moveaxis(np.asarray(a), 1, -1))


def _oihw(kg):
    """(k..., cin/g, cout) -> (cout, cin/g, k...) as ONNX and PyTorch want."""
    r = kg.ndim - 2
    return np.ascontiguousarray(np.transpose(kg, (r + 1, r) + tuple(range(r))))


class Impl:
    name = "?"
    family = "?"
    description = ""
    peer_kinds = ()          # workload kinds for which this is a peer (the "fastest peer" column)
    threaded = True          # whether the thread count applies
    max_flops = None         # larger workloads are skipped (too slow to be worth timing)

    def is_peer(self, w):
        return w.kind in self.peer_kinds

    def version(self):
        return None

    def available(self):
        """None if usable, else why not."""
        return None

    def set_threads(self, n):
        pass

    def prepare(self, w, data):
        raise NotImplementedError

    def _check_size(self, w):
        if self.max_flops is not None:
            work = w.flops if w.flops else w.bytes
            if work > self.max_flops:
                raise Skip(f"too slow for this size ({work / 1e6:.1f} M > {self.max_flops / 1e6:.1f} M)")


# ---- plain Python ---------------------------------------------------------------------------------

class PythonLoops(Impl):
    name = "python-loops"
    family = "python"
    description = "plain Python loops over flat lists"
    threaded = False
    max_flops = 4e5

    def prepare(self, w, data):
        self._check_size(w)
        x = data["x"]
        if w.kind == "deconv":
            raise NotApplicable("no Python-loop transposed convolution")
        if w.kind == "gemm":
            a = x.tolist()
            b = data["k"].tolist()
            m, kk, n = w.m, w.cin, w.cout

            def run():
                out = [[0.0] * n for _ in range(m)]
                for i in range(m):
                    ai, oi = a[i], out[i]
                    for p in range(kk):
                        aip, bp = ai[p], b[p]
                        for j in range(n):
                            oi[j] += aip * bp[j]
                return out
            return run, lambda out: np.array(out, dtype=np.float64)

        xs = x.shape
        xf = x.ravel().tolist()
        r = w.rank
        cin = w.cin
        outsp = w.out_spatial
        pads = [p[0] for p in w.pads]
        ks, st, dl = w.ksize, w.strides, w.dilation
        xstr = [0] * (r + 2)   # element strides of the NHWC input
        acc = 1
        for i in range(r + 1, -1, -1):
            xstr[i] = acc
            acc *= xs[i]
        kpos = list(itertools.product(*[range(k) for k in ks]))
        opos = list(itertools.product(*[range(o) for o in outsp]))

        def window(n, o):
            """(flat input offset of channel 0, kernel position index) of each in-bounds tap."""
            taps = []
            for ki, kp in enumerate(kpos):
                off = n * xstr[0]
                for d in range(r):
                    i = o[d] * st[d] + kp[d] * dl[d] - pads[d]
                    if i < 0 or i >= xs[d + 1]:
                        break
                    off += i * xstr[d + 1]
                else:
                    taps.append((off, ki))
            return taps

        if w.kind == "maxpool":
            def run():
                out = []
                for n in range(w.batch):
                    for o in opos:
                        taps = window(n, o)
                        for c in range(cin):
                            out.append(max(xf[off + c] for off, _ in taps))
                return out
            return run, lambda out: np.array(out, dtype=np.float64).reshape(w.output_shape)

        kg = grouped_kernel(w, data["k"])
        cout = kg.shape[-1]
        cg = kg.shape[-2]
        fpg = cout // w.effective_groups
        wf = kg.reshape(len(kpos), cg, cout).tolist()

        def run():
            out = []
            for n in range(w.batch):
                for o in opos:
                    taps = window(n, o)
                    for f in range(cout):
                        c0 = (f // fpg) * cg
                        s = 0.0
                        for off, ki in taps:
                            wk = wf[ki]
                            for c in range(cg):
                                s += xf[off + c0 + c] * wk[c][f]
                        out.append(s)
            return out
        return run, lambda out: np.array(out, dtype=np.float64).reshape(w.output_shape)


# ---- NumPy ----------------------------------------------------------------------------------------

def _pad_input(w, x, value=0.0):
    pads = [(0, 0)] + list(w.pads) + [(0, 0)]
    if all(p == (0, 0) for p in pads):
        return x
    return np.pad(x, pads, constant_values=value)


def _windows(w, x, value=0.0):
    """(N, *out, C, *k) read-only strided view of the padded input: one window per output point."""
    xp = _pad_input(w, x, value)
    r = w.rank
    eff = [d * (k - 1) + 1 for k, d in zip(w.ksize, w.dilation)]
    v = np.lib.stride_tricks.sliding_window_view(xp, eff, axis=tuple(range(1, r + 1)))
    idx = ((slice(None),) + tuple(slice(None, None, s) for s in w.strides) + (slice(None),)
           + tuple(slice(None, None, d) for d in w.dilation))
    v = v[idx]
    return v[(slice(None),) + tuple(slice(0, o) for o in w.out_spatial)]


def _deconv_numpy(w, x, k, matmul):
    """Transposed convolution ('valid') as a product per tap scattered onto the strided output
    (col2im): y[n, i*s + t, :] += x[n, i, :] @ k[t].T, `matmul` doing the products."""
    y = np.zeros(w.output_shape, np.float32)
    n_in = w.spatial
    for t in np.ndindex(*w.ksize):
        sl = tuple(slice(q, q + s * (m - 1) + 1, s) for q, s, m in zip(t, w.strides, n_in))
        y[(slice(None),) + sl] += matmul(x, np.ascontiguousarray(k[t].T))
    return y


class NumpyNaive(Impl):
    name = "numpy-naive"
    family = "numpy"
    description = "sliding_window_view + einsum (no BLAS)"
    threaded = False
    max_flops = 3e8

    def prepare(self, w, data):
        self._check_size(w)
        x, k = data["x"], data["k"]
        if w.kind == "gemm":
            return (lambda: np.einsum("mk,kn->mn", x, k, optimize=False)), np.asarray
        if w.kind == "deconv":
            return (lambda: _deconv_numpy(w, x, k, lambda a, b: np.einsum("...c,cf->...f", a, b,
                                                                          optimize=False))), np.asarray
        if w.kind == "maxpool":
            r = w.rank
            axes = tuple(range(w.rank + 2, 2 * r + 2))
            return (lambda: _windows(w, x, -np.inf).max(axis=axes)), np.asarray
        r = w.rank
        g = w.effective_groups
        kg = grouped_kernel(w, k)
        cg, cout = kg.shape[-2], kg.shape[-1]
        k5 = kg.reshape(tuple(w.ksize) + (cg, g, cout // g))
        o, kl = "xyz"[:r], "ijk"[:r]
        spec = f"n{o}gc{kl},{kl}cgf->n{o}gf"

        def run():
            v = _windows(w, x)
            v = v.reshape(v.shape[:r + 1] + (g, cg) + v.shape[r + 2:])
            y = np.einsum(spec, v, k5, optimize=False)
            return y.reshape(y.shape[:r + 1] + (cout,))
        return run, np.asarray


class NumpyIm2col(Impl):
    name = "numpy-im2col"
    family = "numpy"
    description = "im2col copy + matmul (NumPy's BLAS); GEMM: A @ B"
    peer_kinds = ("gemm",)   # issue 4: SGEMM against NumPy's BLAS

    def __init__(self):
        self._blas = None

    def version(self):
        return np.__version__

    def set_threads(self, n):
        self._blas = blas_threads(n)

    def prepare(self, w, data):
        x, k = data["x"], data["k"]
        if w.kind == "gemm":
            return (lambda: x @ k), np.asarray
        if w.kind == "maxpool":
            raise NotApplicable("pooling has no matmul")
        if w.kind == "deconv":   # one matmul per tap, scattered (col2im)
            return (lambda: _deconv_numpy(w, x, k, np.matmul)), np.asarray
        r = w.rank
        g = w.effective_groups
        kg = grouped_kernel(w, k)
        cg, cout = kg.shape[-2], kg.shape[-1]
        kk = prod(w.ksize)
        fpg = cout // g
        n, outsp = w.batch, w.out_spatial
        rows = n * prod(outsp)
        wm = kg.reshape(kk * cg, cout)
        kpos = list(itertools.product(*[range(kq) for kq in w.ksize]))

        def cols():
            xp = _pad_input(w, x)
            c = np.empty((n,) + outsp + (kk, w.cin), np.float32)
            for i, kp in enumerate(kpos):
                sl = tuple(slice(q * d, q * d + s * (o - 1) + 1, s)
                           for q, d, s, o in zip(kp, w.dilation, w.strides, outsp))
                c[(slice(None),) + tuple(slice(None) for _ in outsp) + (i,)] = xp[(slice(None),) + sl]
            return c.reshape(rows, kk, g, cg)

        if g == 1:
            def run():
                return (cols().reshape(rows, kk * cg) @ wm).reshape(w.output_shape)
        elif cg == 1:   # depthwise: one multiply-add per tap, no matmul to speak of
            w3 = kg.reshape(kk, g, fpg)

            def run():
                c = cols()[..., 0]
                y = np.einsum("pkg,kgf->pgf", c, w3, optimize=True)
                return y.reshape(w.output_shape)
        else:
            wg = [np.ascontiguousarray(kg.reshape(kk, cg, g, fpg)[:, :, i, :].reshape(kk * cg, fpg))
                  for i in range(g)]

            def run():
                c = cols()
                y = np.empty((rows, g, fpg), np.float32)
                for i in range(g):
                    np.matmul(c[:, :, i, :].reshape(rows, kk * cg), wg[i], out=y[:, i, :])
                return y.reshape(w.output_shape)
        return run, np.asarray


_BLAS_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                 "openblas_set_num_threads64_", "openblas_set_num_threads", "MKL_Set_Num_Threads")
_blas_limiter = None


def blas_threads(n):
    """Best effort: make NumPy's BLAS use n threads. Returns how ('threadpoolctl', 'ctypes:<symbol>')
    or None if it could not (then BLAS uses its own default)."""
    global _blas_limiter
    try:
        import threadpoolctl
        _blas_limiter = threadpoolctl.threadpool_limits(limits=n, user_api="blas")
        return "threadpoolctl"
    except Exception:
        pass
    try:
        import ctypes
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and ".so" in line}
        for path in sorted(libs):
            if not os.path.exists(path):
                continue
            lib = ctypes.CDLL(path)
            for sym in _BLAS_SETTERS:
                fn = getattr(lib, sym, None)
                if fn is not None:
                    fn(ctypes.c_int(n))
                    return f"ctypes:{sym}"
    except Exception:
        pass
    return None


# ---- convkit --------------------------------------------------------------------------------------

class Convkit(Impl):
    family = "convkit"

    def __init__(self, algorithm):
        self.algorithm = algorithm
        self.name = f"convkit-{algorithm}"
        self.description = (f"convkit as its layers run it (kernel packed once, like the peers' "
                            f"initializers), algorithm={algorithm!r}")

    def version(self):
        import convkit
        return convkit.__version__

    def available(self):
        try:
            import convkit.ops  # noqa: F401
        except Exception as exc:   # the extension is not built
            return f"convkit is not importable: {exc}"
        return None

    def set_threads(self, n):
        import convkit
        convkit.set_num_threads(n)

    def prepare(self, w, data):
        from convkit import ops
        from convkit._prepared import PreparedConv, PreparedConvTranspose, PreparedDense, PreparedDepthwise
        x, k = data["x"], data["k"]
        alg = self.algorithm
        if w.kind == "gemm":
            if alg != "auto":
                raise NotApplicable("dense has no algorithm choice")
            dense = PreparedDense(k)
            fn = lambda: dense(x)  # noqa: E731
        elif w.kind == "maxpool":
            if alg != "auto":
                raise NotApplicable("pooling has no algorithm choice")
            fn = lambda: ops.max_pool(x, w.ksize, w.strides, w.padding)  # noqa: E731
        elif w.kind == "deconv":
            if alg != "auto":
                raise NotApplicable("the transposed convolution has no algorithm choice")
            deconv = PreparedConvTranspose(k, None, w.strides, "valid")
            fn = lambda: deconv(x)  # noqa: E731
        elif w.kind == "depthwise" and alg == "auto":
            dw = PreparedDepthwise(k, None, w.strides, w.padding)
            fn = lambda: dw(x)  # noqa: E731
        else:
            kg = grouped_kernel(w, k)
            try:
                layer = PreparedConv(kg, None, w.strides, w.padding, w.dilation, w.effective_groups,
                                     rank=kg.ndim - 2, algorithm=alg)
            except ValueError as exc:
                raise Skip(f"algorithm {alg!r} does not cover this case: {exc}") from None
            fn = lambda: layer(x)  # noqa: E731
        try:
            fn()
        except ValueError as exc:
            msg = str(exc)
            if "not available" in msg or "algorithm" in msg:
                raise Skip(f"algorithm {alg!r} not available in this build for this case")
            raise
        return fn, np.asarray


# ---- ONNX Runtime ---------------------------------------------------------------------------------

class OnnxRuntime(Impl):
    name = "onnxruntime"
    family = "onnxruntime"
    description = "ONNX Runtime CPU, one-node model (NCHW)"
    peer_kinds = ("conv", "depthwise", "gemm", "maxpool", "deconv")

    def __init__(self):
        self.threads = 1

    def version(self):
        try:
            import onnxruntime
            return onnxruntime.__version__
        except ImportError:
            return None

    def available(self):
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError as exc:
            return f"onnxruntime/onnx not installed ({exc.name}); pip install onnxruntime onnx"
        return None

    def set_threads(self, n):
        self.threads = n

    def _model(self, w, data):
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        x, k = data["x"], data["k"]
        if w.kind == "gemm":
            xin = x
            node = helper.make_node("MatMul", ["X", "W"], ["Y"])
            inits = [numpy_helper.from_array(np.ascontiguousarray(k), "W")]
            yshape = list(w.output_shape)
        else:
            xin = _nchw(x)
            pads = [p[0] for p in w.pads] + [p[1] for p in w.pads]
            if w.kind == "maxpool":
                node = helper.make_node("MaxPool", ["X"], ["Y"], kernel_shape=list(w.ksize),
                                        strides=list(w.strides), pads=pads)
                inits = []
            elif w.kind == "deconv":   # ONNX's ConvTranspose weight: (C, filters, k...)
                node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], kernel_shape=list(w.ksize),
                                        strides=list(w.strides))
                inits = [numpy_helper.from_array(np.ascontiguousarray(np.moveaxis(k, (-1, -2), (0, 1))), "W")]
            else:
                node = helper.make_node("Conv", ["X", "W"], ["Y"], kernel_shape=list(w.ksize),
                                        strides=list(w.strides), dilations=list(w.dilation), pads=pads,
                                        group=w.effective_groups)
                inits = [numpy_helper.from_array(_oihw(grouped_kernel(w, k)), "W")]
            ys = w.output_shape
            yshape = [ys[0], ys[-1]] + list(ys[1:-1])
        graph = helper.make_graph(
            [node], "convkit_bench",
            [helper.make_tensor_value_info("X", TensorProto.FLOAT, list(xin.shape))],
            [helper.make_tensor_value_info("Y", TensorProto.FLOAT, yshape)], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model, xin

    def prepare(self, w, data):
        import onnxruntime as ort
        model, xin = self._model(w, data)
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        feed = {"X": xin}

        def run():
            return sess.run(None, feed)[0]
        conv = np.asarray if w.kind == "gemm" else _nhwc
        return run, conv


# ---- PyTorch --------------------------------------------------------------------------------------

class Torch(Impl):
    name = "torch"
    family = "torch"
    description = "PyTorch CPU, torch.nn.functional (NCHW)"
    peer_kinds = ("conv", "depthwise", "gemm", "maxpool", "deconv")

    def version(self):
        try:
            import torch
            return torch.__version__
        except ImportError:
            return None

    def available(self):
        try:
            import torch  # noqa: F401
        except ImportError:
            return "torch not installed; pip install torch"
        return None

    def set_threads(self, n):
        import torch
        torch.set_num_threads(n)

    def prepare(self, w, data):
        import torch
        import torch.nn.functional as F
        x, k = data["x"], data["k"]
        if w.kind == "gemm":
            a, b = torch.from_numpy(x.copy()), torch.from_numpy(k.copy())

            def run():
                with torch.inference_mode():
                    return torch.mm(a, b)
            return run, lambda t: t.numpy()
        r = w.rank
        if w.kind == "deconv":   # torch's weight: (C, filters, k...)
            xt = torch.from_numpy(_nchw(x))
            wt = torch.from_numpy(np.ascontiguousarray(np.moveaxis(k, (-1, -2), (0, 1))))
            deconvf = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[r - 1]

            def run():
                with torch.inference_mode():
                    return deconvf(xt, wt, None, w.strides)
            return run, lambda t: _nhwc(t.numpy())
        sym = all(b == a for b, a in w.pads)
        xn = torch.from_numpy(_nchw(x))
        fill = float("-inf") if w.kind == "maxpool" else 0.0
        if sym:
            padding = tuple(b for b, _ in w.pads)
        else:   # asymmetric 'same'/'causal': padded once here, outside the timed region
            flat = []
            for b, a in reversed(w.pads):
                flat += [b, a]
            xn = F.pad(xn, flat, value=fill).contiguous()
            padding = 0
        if w.kind == "maxpool":
            pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[r - 1]
            if sym and any(p * 2 > kq for p, kq in zip(padding, w.ksize)):
                raise Skip("torch max_pool padding must be at most half the window")

            def run():
                with torch.inference_mode():
                    return pool(xn, w.ksize, w.strides, padding)
        else:
            convf = (F.conv1d, F.conv2d, F.conv3d)[r - 1]
            wt = torch.from_numpy(_oihw(grouped_kernel(w, k)))
            g = w.effective_groups

            def run():
                with torch.inference_mode():
                    return convf(xn, wt, None, w.strides, padding, w.dilation, g)
        return run, lambda t: _nhwc(t.numpy())


def all_impls(names=None):
    impls = [PythonLoops(), NumpyNaive(), NumpyIm2col(), Convkit("auto"), Convkit("direct"), Convkit("gemm"),
             Convkit("winograd"), OnnxRuntime(), Torch()]
    if names:
        wanted = [n.strip() for n in names.split(",") if n.strip()]
        impls = [i for i in impls if any(n == i.name or n == i.family or n in i.name for n in wanted)]
    return impls
