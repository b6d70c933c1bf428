"""Whole networks: predict time of a ResNet-18-style and a MobileNetV2-style model built from
convkit layers, against the same network in PyTorch with the same weights.

Each network is written once, as calls on a `Recorder` that draws the weights (in Keras layouts,
from a seeded generator) and records a small graph. The graph is then built twice: as a convkit
functional Model (convkit.models.Input/Model + convkit.layers, weights given with set_weights)
and as a torch.nn.Module running the same ops with the same weights (channels-first, 'same'
padding made explicit with F.pad where it is asymmetric, as a Keras-to-PyTorch port must do).
Outputs are compared before anything is timed.
"""
import sys
import time

import numpy as np

from convkit.bench.timing import measure
from convkit.bench.workloads import same_pads

NETWORK_TOL = 1e-3   # ~20 layers of float32 with different summation orders


class Recorder:
    """Network description: each method appends a node and returns its id; channels are tracked."""

    def __init__(self, input_shape, seed=0):
        self.rng = np.random.default_rng(seed)
        self.nodes = [{"op": "input", "inputs": [], "shape": tuple(input_shape)}]
        self.ch = [input_shape[-1]]
        self.hw = [tuple(input_shape[:-1])]

    def _add(self, op, inputs, ch, hw, **kw):
        self.nodes.append(dict(op=op, inputs=list(inputs), **kw))
        self.ch.append(ch)
        self.hw.append(hw)
        return len(self.nodes) - 1

    def _f32(self, a):
        return np.asarray(a, dtype=np.float32)

    def conv(self, x, filters, k, stride=1, use_bias=False):
        cin = self.ch[x]
        w = self._f32(self.rng.standard_normal((k, k, cin, filters)) * np.sqrt(2.0 / (k * k * cin)))
        weights = [w] + ([self._f32(self.rng.uniform(-0.1, 0.1, filters))] if use_bias else [])
        hw = tuple(-(-n // stride) for n in self.hw[x])
        return self._add("conv", [x], filters, hw, k=k, stride=stride, weights=weights)

    def dwconv(self, x, k, stride=1):
        c = self.ch[x]
        w = self._f32(self.rng.standard_normal((k, k, c, 1)) * np.sqrt(2.0 / (k * k)))
        hw = tuple(-(-n // stride) for n in self.hw[x])
        return self._add("dwconv", [x], c, hw, k=k, stride=stride, weights=[w])

    def bn(self, x):
        c = self.ch[x]
        r = self.rng
        weights = [self._f32(r.uniform(0.5, 1.5, c)), self._f32(r.uniform(-0.1, 0.1, c)),
                   self._f32(r.uniform(-0.1, 0.1, c)), self._f32(r.uniform(0.5, 1.5, c))]
        return self._add("bn", [x], c, self.hw[x], eps=1e-3, weights=weights)

    def relu(self, x, max_value=None):
        return self._add("relu", [x], self.ch[x], self.hw[x], max_value=max_value)

    def add(self, a, b):
        return self._add("add", [a, b], self.ch[a], self.hw[a])

    def maxpool(self, x, k, stride):
        hw = tuple(-(-n // stride) for n in self.hw[x])
        return self._add("maxpool", [x], self.ch[x], hw, k=k, stride=stride)

    def gap(self, x):
        return self._add("gap", [x], self.ch[x], ())

    def dense(self, x, units):
        cin = self.ch[x]
        w = self._f32(self.rng.standard_normal((cin, units)) * np.sqrt(1.0 / cin))
        return self._add("dense", [x], units, (), weights=[w, self._f32(self.rng.uniform(-0.1, 0.1, units))])


def resnet18(size=224, classes=1000):
    """ResNet-18 (basic blocks, 'same' padding, projection shortcut on downsampling)."""
    r = Recorder((size, size, 3))
    x = r.relu(r.bn(r.conv(0, 64, 7, 2)))
    x = r.maxpool(x, 3, 2)
    for stage, width in enumerate((64, 128, 256, 512)):
        for block in range(2):
            stride = 2 if (block == 0 and stage > 0) else 1
            y = r.relu(r.bn(r.conv(x, width, 3, stride)))
            y = r.bn(r.conv(y, width, 3))
            if stride != 1 or r.ch[x] != width:
                x = r.bn(r.conv(x, width, 1, stride))
            x = r.relu(r.add(y, x))
    return r, r.dense(r.gap(x), classes)


def mobilenetv2(size=224, classes=1000):
    """MobileNetV2, width 1.0: inverted residual blocks with ReLU6 and linear bottlenecks."""
    r = Recorder((size, size, 3))
    x = r.relu(r.bn(r.conv(0, 32, 3, 2)), 6.0)
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            stride = s if i == 0 else 1
            y = x
            if t != 1:
                y = r.relu(r.bn(r.conv(y, r.ch[x] * t, 1)), 6.0)
            y = r.relu(r.bn(r.dwconv(y, 3, stride)), 6.0)
            y = r.bn(r.conv(y, c, 1))
            x = r.add(y, x) if (stride == 1 and r.ch[x] == c) else y
    x = r.relu(r.bn(r.conv(x, 1280, 1)), 6.0)
    return r, r.dense(r.gap(x), classes)


NETWORKS = {"resnet18": resnet18, "mobilenetv2": mobilenetv2}


# ---- the two builds -------------------------------------------------------------------------------

def _layer(rec, i):
    """The convkit layer for node i (Keras names and arguments)."""
    from convkit import layers as L
    nd = rec.nodes[i]
    op = nd["op"]
    if op == "conv":
        return L.Conv2D(rec.ch[i], nd["k"], strides=nd["stride"], padding="same", use_bias=len(nd["weights"]) > 1)
    if op == "dwconv":
        return L.DepthwiseConv2D(nd["k"], strides=nd["stride"], padding="same", use_bias=False)
    if op == "bn":
        return L.BatchNormalization(epsilon=nd["eps"])
    if op == "relu":
        return L.ReLU(max_value=nd["max_value"])
    if op == "add":
        return L.Add()
    if op == "maxpool":
        return L.MaxPooling2D(nd["k"], strides=nd["stride"], padding="same")
    if op == "gap":
        return L.GlobalAveragePooling2D()
    if op == "dense":
        return L.Dense(rec.ch[i])
    raise ValueError(op)


def to_convkit(rec, out_id):
    """A convkit functional Model (convkit.models.Input / Model) with the recorded weights."""
    from convkit.models import Input, Model
    vals = {0: Input(shape=rec.nodes[0]["shape"])}
    for i, nd in enumerate(rec.nodes[1:], start=1):
        layer = _layer(rec, i)
        ins = [vals[j] for j in nd["inputs"]]
        vals[i] = layer(ins if nd["op"] == "add" else ins[0])
        if "weights" in nd:
            layer.set_weights(nd["weights"])
    return Model(vals[0], vals[out_id])


class EagerLayers:
    """The same network as convkit layers called one by one on arrays; used while convkit.models
    is not available. Has `.predict(x)` like a model."""

    def __init__(self, rec, out_id):
        self.rec, self.out_id = rec, out_id
        self.layers = {}
        for i, nd in enumerate(rec.nodes[1:], start=1):
            layer = _layer(rec, i)
            if "weights" in nd:
                src = nd["inputs"][0]
                layer.build((None,) + tuple(rec.hw[src]) + (rec.ch[src],))
                layer.set_weights(nd["weights"])
            self.layers[i] = layer

    def predict(self, x):
        vals = {0: x}
        for i, nd in enumerate(self.rec.nodes[1:], start=1):
            ins = [vals[j] for j in nd["inputs"]]
            vals[i] = self.layers[i](ins if nd["op"] == "add" else ins[0])
        return np.asarray(vals[self.out_id])


def to_torch(rec, out_id):
    import torch
    import torch.nn.functional as F

    prepared = []
    for i, nd in enumerate(rec.nodes):
        op = nd["op"]
        p = {}
        if op in ("conv", "dwconv"):
            w = nd["weights"][0]
            if op == "dwconv":   # (k, k, C, 1) -> (C, 1, k, k)
                p["w"] = torch.from_numpy(np.ascontiguousarray(np.transpose(w, (2, 3, 0, 1))))
                p["groups"] = w.shape[2]
            else:                # (k, k, cin, cout) -> (cout, cin, k, k)
                p["w"] = torch.from_numpy(np.ascontiguousarray(np.transpose(w, (3, 2, 0, 1))))
                p["groups"] = 1
            p["b"] = torch.from_numpy(nd["weights"][1]) if len(nd["weights"]) > 1 else None
            p["pads"] = [same_pads(n, nd["k"], nd["stride"], 1, "same") for n in rec.hw[nd["inputs"][0]]]
        elif op == "maxpool":
            p["pads"] = [same_pads(n, nd["k"], nd["stride"], 1, "same") for n in rec.hw[nd["inputs"][0]]]
        elif op == "bn":
            p.update({k: torch.from_numpy(v) for k, v in zip(("g", "b", "m", "v"), nd["weights"])})
        elif op == "dense":
            p["w"] = torch.from_numpy(np.ascontiguousarray(nd["weights"][0].T))
            p["b"] = torch.from_numpy(nd["weights"][1])
        prepared.append(p)

    def padded(x, pads, value=0.0):
        if all(b == a for b, a in pads):
            return x, tuple(b for b, _ in pads)
        flat = []
        for b, a in reversed(pads):
            flat += [b, a]
        return F.pad(x, flat, value=value), 0

    class Net(torch.nn.Module):
        def forward(self, x):
            vals = {0: x}
            for i, nd in enumerate(rec.nodes[1:], start=1):
                op, p = nd["op"], prepared[i]
                a = vals[nd["inputs"][0]]
                if op in ("conv", "dwconv"):
                    a, pad = padded(a, p["pads"])
                    y = F.conv2d(a, p["w"], p["b"], nd["stride"], pad, 1, p["groups"])
                elif op == "bn":
                    y = F.batch_norm(a, p["m"], p["v"], p["g"], p["b"], False, 0.0, nd["eps"])
                elif op == "relu":
                    y = F.relu(a) if nd["max_value"] is None else F.hardtanh(a, 0.0, nd["max_value"])
                elif op == "add":
                    y = a + vals[nd["inputs"][1]]
                elif op == "maxpool":
                    a, pad = padded(a, p["pads"], float("-inf"))
                    y = F.max_pool2d(a, nd["k"], nd["stride"], pad)
                elif op == "gap":
                    y = a.mean(dim=(2, 3))
                elif op == "dense":
                    y = F.linear(a, p["w"], p["b"])
                vals[i] = y
            return vals[out_id]

    return Net().eval()


def _predict_fn(model, x):
    import inspect
    try:
        params = inspect.signature(model.predict).parameters
    except (TypeError, ValueError):
        params = {}
    kw = {}
    if "batch_size" in params:
        kw["batch_size"] = len(x)
    if "verbose" in params:
        kw["verbose"] = 0
    return lambda: model.predict(x, **kw)


def run(threads, quick=False, budget_s=1.0, tol=NETWORK_TOL, progress=True, batches=None, size=None,
        names=None, log=None):
    """Returns (results, notes): one result per (network, batch, threads, implementation)."""
    log = log or (lambda m: print(m, file=sys.stderr))
    notes = []
    try:
        import convkit
        import convkit.layers  # noqa: F401
    except ImportError as exc:
        msg = f"whole-network benchmarks need convkit.models ({exc})"
        print("note: " + msg)
        return [], [msg]
    try:
        import convkit.models  # noqa: F401
        have_models = True
    except ImportError as exc:
        have_models = False
        msg = (f"whole-network benchmarks need convkit.models ({exc}); timing the same convkit layers "
               "called one by one instead (impl 'convkit-eager')")
        print("note: " + msg)
        notes.append(msg)
    try:
        import torch
    except ImportError:
        torch = None
        notes.append("torch not installed: whole networks timed for convkit only")
    batches = batches or ((1, 2) if quick else (1, 32))
    size = size or (64 if quick else 224)
    results = []
    for name in names or NETWORKS:
        rec, out_id = NETWORKS[name](size)
        try:
            ck_model = to_convkit(rec, out_id) if have_models else EagerLayers(rec, out_id)
        except Exception as exc:
            msg = f"{name}: building the convkit model failed: {type(exc).__name__}: {exc}"
            notes.append(msg)
            log("note: " + msg)
            continue
        tnet = to_torch(rec, out_id) if torch is not None else None
        flops = _network_flops(rec)
        for b in batches:
            x = np.random.default_rng(1).uniform(-1, 1, (b, size, size, 3)).astype(np.float32)
            xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))) if tnet is not None else None
            for n in threads:
                if progress:
                    log(f"[network] {name} batch {b} {n} thread(s)")
                convkit.set_num_threads(n)
                fn = _predict_fn(ck_model, x)
                try:
                    t0 = time.perf_counter()
                    ref = np.asarray(fn())
                    first = time.perf_counter() - t0
                except Exception as exc:
                    msg = f"{name}: convkit predict failed: {type(exc).__name__}: {exc}"
                    notes.append(msg)
                    log("note: " + msg)
                    break
                base = dict(network=name, batch=b, size=size, threads=n, flops=flops * b)
                t = measure(fn, budget_s=budget_s, min_repeats=2, warmup=1, first_call_s=first)
                results.append(dict(base, impl="convkit" if have_models else "convkit-eager", status="ref",
                                    **t.to_dict()))
                if tnet is not None:
                    torch.set_num_threads(n)

                    def tfn():
                        with torch.inference_mode():
                            return tnet(xt)
                    t0 = time.perf_counter()
                    yt = tfn().numpy()
                    first = time.perf_counter() - t0
                    err = float(np.max(np.abs(yt - ref)) / max(np.max(np.abs(ref)), 1e-30))
                    status = "ok" if err <= tol else "MISMATCH"
                    if status == "MISMATCH":
                        msg = f"!!! MISMATCH: torch {name} batch {b} differs from convkit: {err:.3g} > {tol:g}"
                        notes.append(msg)
                        log(msg)
                    t2 = measure(tfn, budget_s=budget_s, min_repeats=2, warmup=1, first_call_s=first)
                    results.append(dict(base, impl="torch", status=status, max_rel_err=err, **t2.to_dict()))
                    results[-2]["vs_torch"] = t2.median_ms / t.median_ms
                    results[-1]["vs_torch"] = 1.0
                time.sleep(0.02)
    return results, notes


def _network_flops(rec):
    f = 0
    for i, nd in enumerate(rec.nodes):
        if nd["op"] == "conv":
            cin = rec.ch[nd["inputs"][0]]
            f += 2 * int(np.prod(rec.hw[i])) * rec.ch[i] * nd["k"] ** 2 * cin
        elif nd["op"] == "dwconv":
            f += 2 * int(np.prod(rec.hw[i])) * rec.ch[i] * nd["k"] ** 2
        elif nd["op"] == "dense":
            f += 2 * rec.ch[nd["inputs"][0]] * rec.ch[i]
    return f


def table(results):
    if not results:
        return ""
    lines = ["\n== whole networks (predict) ==",
             f"{'network':12s} {'batch':>5s} {'thr':>3s} {'impl':13s} {'median ms':>10s} {'GFLOP/s':>8s} "
             f"{'convkit/torch':>13s}  check"]
    for r in results:
        gf = r["flops"] / (r["median_ms"] / 1e3) / 1e9
        vs = f"{r['vs_torch']:.2f}x" if r.get("vs_torch") is not None and r["impl"].startswith("convkit") else ""
        lines.append(f"{r['network']:12s} {r['batch']:5d} {r['threads']:3d} {r['impl']:13s} {r['median_ms']:10.1f} "
                     f"{gf:8.1f} {vs:>13s}  {r['status']}")
    return "\n".join(lines)
