"""The named benchmark workloads.

A workload is one operation on fixed shapes: a convolution (1D/2D/3D, grouped or depthwise), a
matrix product, or a pooling window. Each knows its FLOP count (2 x multiply-adds) and the bytes
it must at least move (inputs, weights and outputs once), so a result reads both as GFLOP/s and as
a fraction of the machine's limit.

Sets (a workload can be in several):
  quick    tiny shapes, seconds in all: the CI smoke run and the unit test
  issue4   the speed goals of issue 4
  default  issue4 plus a representative slice of every other set (a few minutes on 2 cores)
  vgg16, resnet18, mobilenetv2   every convolution layer of the network at batch 1 on 224x224,
           deduplicated by shape (`count` says how many layers share it)
  audio, text, video             1D and 3D sets
  full     everything

This module needs nothing but the standard library, so workloads can be listed anywhere.
"""
from dataclasses import dataclass, field
from math import prod

__all__ = ["Workload", "WORKLOADS", "SETS", "get", "select", "same_pads", "output_shape"]


def _tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def same_pads(length, k, stride, dilation, padding):
    """Zeros (before, after) of one spatial dimension, Keras's rule: 'same' puts the odd extra
    zero at the end, 'causal' pads dilation*(k-1) at the start."""
    eff = dilation * (k - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return eff - 1, 0
    out = -(-length // stride)
    total = max((out - 1) * stride + eff - length, 0)
    return total // 2, total - total // 2


def output_shape(spatial, ksize, strides, dilation, padding):
    out = []
    for n, k, s, d in zip(spatial, ksize, strides, dilation):
        b, a = same_pads(n, k, s, d, padding)
        out.append((n + b + a - (d * (k - 1) + 1)) // s + 1)
    return tuple(out)


@dataclass(frozen=True)
class Workload:
    """One benchmark case.

    kind: 'conv' (rank 1/2/3, `groups` for grouped), 'depthwise' (groups == in channels, kernel
    (k..., C, multiplier)), 'gemm' (M x K @ K x N), 'maxpool', 'deconv' (transposed convolution,
    'valid' padding, kernel (k..., filters, C) as Keras's ConvTranspose). Activations are
    channels-last: (batch, *spatial, channels).
    """
    name: str
    kind: str
    batch: int = 1
    spatial: tuple = ()
    cin: int = 0
    cout: int = 0            # filters (conv), multiplier*cin (depthwise), N (gemm)
    ksize: tuple = ()
    strides: tuple = ()
    padding: str = "valid"
    dilation: tuple = ()
    groups: int = 1
    m: int = 0               # gemm only: rows of A
    count: int = 1           # how many layers of the source network share this shape
    sets: tuple = ()
    note: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    # ---- derived ----
    @property
    def rank(self):
        return len(self.spatial)

    @property
    def multiplier(self):
        return self.cout // self.cin if self.kind == "depthwise" else 1

    @property
    def out_spatial(self):
        if self.kind in ("gemm",):
            return ()
        if self.kind == "deconv":   # 'valid': every input pixel's whole kernel footprint
            return tuple((n - 1) * s + d * (k - 1) + 1
                         for n, k, s, d in zip(self.spatial, self.ksize, self.strides, self.dilation))
        return output_shape(self.spatial, self.ksize, self.strides, self.dilation, self.padding)

    @property
    def pads(self):
        return tuple(same_pads(n, k, s, d, self.padding)
                     for n, k, s, d in zip(self.spatial, self.ksize, self.strides, self.dilation))

    @property
    def input_shape(self):
        if self.kind == "gemm":
            return (self.m, self.cin)
        return (self.batch,) + tuple(self.spatial) + (self.cin,)

    @property
    def kernel_shape(self):
        """convkit's kernel layout: conv (k..., cin/groups, cout); depthwise (k..., cin, mult);
        gemm (K, N); maxpool has none."""
        if self.kind == "gemm":
            return (self.cin, self.cout)
        if self.kind == "depthwise":
            return tuple(self.ksize) + (self.cin, self.multiplier)
        if self.kind == "conv":
            return tuple(self.ksize) + (self.cin // self.groups, self.cout)
        if self.kind == "deconv":
            return tuple(self.ksize) + (self.cout, self.cin)
        return ()

    @property
    def output_shape(self):
        if self.kind == "gemm":
            return (self.m, self.cout)
        c = self.cin if self.kind == "maxpool" else self.cout
        return (self.batch,) + self.out_spatial + (c,)

    @property
    def effective_groups(self):
        return self.cin if self.kind == "depthwise" else self.groups

    @property
    def macs(self):
        if self.kind == "gemm":
            return self.m * self.cin * self.cout
        if self.kind == "maxpool":
            return 0
        if self.kind == "deconv":   # each input pixel, each tap: cin x cout
            return prod(self.input_shape[:-1]) * prod(self.ksize) * self.cin * self.cout
        return prod(self.output_shape) * prod(self.ksize) * (self.cin // self.effective_groups)

    @property
    def flops(self):
        """2 x multiply-adds (0 for pooling, which is measured in bytes)."""
        return 2 * self.macs

    @property
    def bytes(self):
        """The least memory traffic: inputs, weights and outputs, each once, float32."""
        return 4 * (prod(self.input_shape) + prod(self.kernel_shape or (0,)) + prod(self.output_shape))

    @property
    def memory_bound(self):
        """Measured in GB/s rather than GFLOP/s."""
        return self.kind == "maxpool"

    @property
    def shape_str(self):
        if self.kind == "gemm":
            return f"{self.m}x{self.cin} @ {self.cin}x{self.cout}"
        sp = "x".join(map(str, self.spatial))
        k = "x".join(map(str, self.ksize))
        s = "" if all(v == 1 for v in self.strides) else " s" + "x".join(map(str, self.strides))
        d = "" if all(v == 1 for v in self.dilation) else " d" + "x".join(map(str, self.dilation))
        g = ""
        if self.kind == "depthwise":
            g = " dw"
        elif self.kind == "deconv":
            g = " transposed"
        elif self.groups != 1:
            g = f" g{self.groups}"
        pad = "" if self.padding == "valid" else " " + self.padding
        if self.kind == "maxpool":
            return f"{self.batch},{sp}x{self.cin} maxpool {k}{s}{pad}"
        return f"{self.batch},{sp}x{self.cin} {k}{s}{d}{g}{pad} ->{self.cout}"

    def describe(self):
        d = {
            "name": self.name, "kind": self.kind, "shape": self.shape_str, "input_shape": list(self.input_shape),
            "kernel_shape": list(self.kernel_shape), "output_shape": list(self.output_shape),
            "flops": self.flops, "bytes": self.bytes, "count": self.count, "sets": list(self.sets),
        }
        if self.kind not in ("gemm",):
            d.update(strides=list(self.strides), dilation=list(self.dilation), padding=self.padding,
                     groups=self.effective_groups)
        if self.note:
            d["note"] = self.note
        return d


def conv(name, batch, spatial, cin, cout, k, strides=1, padding="same", dilation=1, groups=1, sets=(), count=1,
         note=""):
    spatial = tuple(spatial)
    r = len(spatial)
    return Workload(name=name, kind="conv", batch=batch, spatial=spatial, cin=cin, cout=cout, ksize=_tup(k, r),
                    strides=_tup(strides, r), padding=padding, dilation=_tup(dilation, r), groups=groups,
                    sets=tuple(sets), count=count, note=note)


def depthwise(name, batch, spatial, channels, k, strides=1, padding="same", multiplier=1, sets=(), count=1, note=""):
    spatial = tuple(spatial)
    r = len(spatial)
    return Workload(name=name, kind="depthwise", batch=batch, spatial=spatial, cin=channels,
                    cout=channels * multiplier, ksize=_tup(k, r), strides=_tup(strides, r), padding=padding,
                    dilation=(1,) * r, groups=channels, sets=tuple(sets), count=count, note=note)


def gemm(name, m, k, n, sets=(), note=""):
    return Workload(name=name, kind="gemm", m=m, cin=k, cout=n, sets=tuple(sets), note=note)


def deconv(name, batch, spatial, cin, cout, k, strides=1, sets=(), note=""):
    """A transposed convolution ('valid': the output is (n - 1) * stride + k along each dim)."""
    spatial = tuple(spatial)
    r = len(spatial)
    return Workload(name=name, kind="deconv", batch=batch, spatial=spatial, cin=cin, cout=cout, ksize=_tup(k, r),
                    strides=_tup(strides, r), padding="valid", dilation=(1,) * r, sets=tuple(sets), note=note)


def maxpool(name, batch, spatial, channels, k, strides=None, padding="valid", sets=(), note=""):
    spatial = tuple(spatial)
    r = len(spatial)
    k = _tup(k, r)
    return Workload(name=name, kind="maxpool", batch=batch, spatial=spatial, cin=channels, cout=channels, ksize=k,
                    strides=_tup(strides, r) if strides is not None else k, padding=padding,
                    dilation=(1,) * r, sets=tuple(sets), note=note)


# ---- the speed goals of issue 4 ------------------------------------------------------------------

def _issue4():
    s = ("issue4", "default")
    return [
        gemm("sgemm-1024", 1024, 1024, 1024, sets=s, note="goal: >= NumPy's BLAS, >= 90% of FMA peak"),
        conv("pw-28x28x256-128", 1, (28, 28), 256, 128, 1, sets=s),
        conv("s2-56x56x64-128", 1, (56, 56), 64, 128, 3, strides=2, sets=s),
        conv("rgb-224x224x3-64", 1, (224, 224), 3, 64, 3, sets=s),
        conv("b32-32x32x3-32", 32, (32, 32), 3, 32, 3, sets=s),
        conv("conv1d-1000x128-k5-128", 1, (1000,), 128, 128, 5, sets=s),
        conv("conv3d-8x56x56x16-32", 1, (8, 56, 56), 16, 32, 3, sets=s),
        conv("3x3-56x56x64-64", 1, (56, 56), 64, 64, 3, sets=s, note="goal >= 0.95 before Winograd"),
        conv("3x3-14x14x256-256", 1, (14, 14), 256, 256, 3, sets=s, note="goal >= 0.95 before Winograd"),
        conv("call-8x8x1-1", 1, (8, 8), 1, 1, 3, padding="valid", sets=s,
             note="the cost of one layer call: goal <= 15 us"),
    ]


# ---- networks at batch 1 on 224x224, every conv layer, deduplicated by shape ---------------------

def _dedup(net, layers, default_names):
    """layers: (layer name, workload factory kwargs); same shape -> one workload with a count."""
    seen = {}
    order = []
    for lname, kw in layers:
        key = tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in kw.items()))
        if key in seen:
            seen[key][2] += 1
        else:
            seen[key] = [lname, kw, 1]
            order.append(key)
    out = []
    for key in order:
        lname, kw, count = seen[key]
        kw = dict(kw)
        kind = kw.pop("kind")
        sets = (net, "default") if lname in default_names else (net,)
        name = f"{net}/{lname}"
        if kind == "dw":
            out.append(depthwise(name, 1, sets=sets, count=count, **kw))
        else:
            out.append(conv(name, 1, sets=sets, count=count, **kw))
    return out


def _vgg16():
    cfg = [(224, 3, 64), (224, 64, 64), (112, 64, 128), (112, 128, 128), (56, 128, 256), (56, 256, 256),
           (56, 256, 256), (28, 256, 512), (28, 512, 512), (28, 512, 512), (14, 512, 512), (14, 512, 512),
           (14, 512, 512)]
    names = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3", "conv4_1", "conv4_2",
             "conv4_3", "conv5_1", "conv5_2", "conv5_3"]
    layers = [(n, dict(kind="conv", spatial=(h, h), cin=ci, cout=co, k=3)) for n, (h, ci, co) in zip(names, cfg)]
    return _dedup("vgg16", layers, {"conv3_2", "conv5_1"})


def _resnet18():
    layers = [("conv1", dict(kind="conv", spatial=(224, 224), cin=3, cout=64, k=7, strides=2))]
    h, c = 56, 64
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if (block == 0 and stage > 1) else 1
            ho = -(-h // stride)
            p = f"layer{stage}.{block}"
            layers.append((p + ".conv1", dict(kind="conv", spatial=(h, h), cin=c, cout=width, k=3, strides=stride)))
            layers.append((p + ".conv2", dict(kind="conv", spatial=(ho, ho), cin=width, cout=width, k=3)))
            if stride != 1 or c != width:
                layers.append((p + ".downsample", dict(kind="conv", spatial=(h, h), cin=c, cout=width, k=1,
                                                       strides=stride)))
            h, c = ho, width
    return _dedup("resnet18", layers, {"conv1", "layer3.0.downsample", "layer4.0.conv2"})


def _resnet50():
    # keras.applications.ResNet50 (v1): a stage's first block has its stride on the first 1x1 and a
    # 1x1 projection shortcut. Its 1024- and 2048-channel 1x1 layers read pixels exactly 4 or 8 KiB
    # apart, where the AVX-512 path takes an 8-row tile (ck_igemm_use_aliased in
    # csrc/conv/f32-conv-igemm.c).
    layers = [("conv1", dict(kind="conv", spatial=(224, 224), cin=3, cout=64, k=7, strides=2))]
    h, c = 56, 64
    for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3)), start=2):
        for block in range(blocks):
            stride = 2 if (block == 0 and stage > 2) else 1
            ho = -(-h // stride)
            p = f"conv{stage}_block{block + 1}"
            layers.append((p + "_1", dict(kind="conv", spatial=(h, h), cin=c, cout=width, k=1, strides=stride)))
            layers.append((p + "_2", dict(kind="conv", spatial=(ho, ho), cin=width, cout=width, k=3)))
            layers.append((p + "_3", dict(kind="conv", spatial=(ho, ho), cin=width, cout=4 * width, k=1)))
            if block == 0:
                layers.append((p + "_0", dict(kind="conv", spatial=(h, h), cin=c, cout=4 * width, k=1,
                                              strides=stride)))
            h, c = ho, 4 * width
    return _dedup("resnet50", layers, set())


def _mobilenetv2():
    layers = [("conv1", dict(kind="conv", spatial=(224, 224), cin=3, cout=32, k=3, strides=2))]
    h, c = 112, 32
    i = 0
    for t, width, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                           (6, 160, 3, 2), (6, 320, 1, 1)):
        for j in range(n):
            stride = s if j == 0 else 1
            hid = c * t
            p = f"block{i}"
            if t != 1:
                layers.append((p + ".expand", dict(kind="conv", spatial=(h, h), cin=c, cout=hid, k=1)))
            layers.append((p + ".dw", dict(kind="dw", spatial=(h, h), channels=hid, k=3, strides=stride)))
            h = -(-h // stride)
            layers.append((p + ".project", dict(kind="conv", spatial=(h, h), cin=hid, cout=width, k=1)))
            c = width
            i += 1
    layers.append(("conv_last", dict(kind="conv", spatial=(h, h), cin=c, cout=1280, k=1)))
    return _dedup("mobilenetv2", layers, {"block1.dw", "block1.expand", "block13.dw"})


def _audio_text_video():
    return [
        # 1D, audio: a wav2vec-style feature encoder front and a dilated causal TCN block
        conv("audio/wav2vec-c0", 1, (16000,), 1, 512, 10, strides=5, padding="valid", sets=("audio",)),
        conv("audio/wav2vec-c1", 1, (3199,), 512, 512, 3, strides=2, padding="valid", sets=("audio", "default")),
        conv("audio/tcn-d4-causal", 1, (4000,), 64, 64, 3, padding="causal", dilation=4, sets=("audio", "default")),
        depthwise("audio/dw-k9", 1, (4000,), 128, 9, sets=("audio",)),
        # 1D, text: sentence CNN on word vectors, character CNN
        conv("text/wordcnn-b32", 32, (64,), 300, 100, 3, padding="valid", sets=("text",)),
        conv("text/charcnn-b8", 8, (1014,), 70, 256, 7, padding="valid", sets=("text", "default")),
        # 3D, video: C3D first layer, (2+1)D factorised pairs, a pointwise 3D layer, a late 3x3x3
        conv("video/c3d-conv1", 1, (16, 112, 112), 3, 64, 3, sets=("video",)),
        conv("video/r21d-spatial", 1, (8, 56, 56), 64, 64, (1, 3, 3), sets=("video", "default")),
        conv("video/r21d-temporal", 1, (8, 56, 56), 64, 64, (3, 1, 1), sets=("video",)),
        conv("video/i3d-1x1x1", 1, (8, 28, 28), 192, 64, 1, sets=("video",)),
        conv("video/c3d-conv5", 1, (2, 7, 7), 512, 512, 3, sets=("video",)),
    ]


def _misc():
    return [
        maxpool("pool/resnet-maxpool", 1, (112, 112), 64, 3, strides=2, padding="same", sets=("pool", "default")),
        gemm("gemm/resnet-fc-b1", 1, 512, 1000, sets=("gemm",), note="batch 1 dense: memory bound"),
        gemm("gemm/fc-b32", 32, 2048, 1000, sets=("gemm",)),
        conv("grouped/resnext-g32", 1, (28, 28), 256, 256, 3, groups=32, sets=("grouped",)),
        # transposed convolutions: a U-Net decoder's 2x upsampling, a DCGAN generator layer, a
        # 1D audio decoder
        deconv("deconv/unet-up", 1, (64, 64), 128, 64, 2, strides=2, sets=("deconv", "default")),
        deconv("deconv/dcgan-b16", 16, (8, 8), 512, 256, 4, strides=2, sets=("deconv", "default")),
        deconv("deconv/audio-up", 1, (2000,), 128, 64, 8, strides=4, sets=("deconv",)),
    ]


def _quick():
    s = ("quick",)
    return [
        conv("tiny/call-8x8x1", 1, (8, 8), 1, 1, 3, padding="valid", sets=s),
        conv("tiny/conv2d-same", 2, (12, 12), 4, 8, 3, sets=s),
        conv("tiny/conv2d-s2-odd", 1, (13, 11), 6, 5, 3, strides=2, sets=s),
        conv("tiny/conv2d-d2-g2", 1, (10, 10), 4, 6, 3, padding="valid", dilation=2, groups=2, sets=s),
        conv("tiny/conv1d-causal", 1, (40,), 8, 16, 5, padding="causal", dilation=2, sets=s),
        conv("tiny/conv3d", 1, (4, 8, 8), 3, 8, 3, sets=s),
        depthwise("tiny/depthwise", 1, (12, 12), 8, 3, strides=2, multiplier=2, sets=s),
        gemm("tiny/gemm-64", 64, 64, 64, sets=s),
        maxpool("tiny/maxpool", 1, (12, 12), 4, 3, strides=2, padding="same", sets=s),
        conv("tiny/pointwise", 1, (16, 16), 32, 32, 1, sets=s),
        deconv("tiny/deconv", 2, (5, 6), 6, 4, 3, strides=2, sets=s),
    ]


def _all():
    ws = _quick() + _issue4() + _vgg16() + _resnet18() + _resnet50() + _mobilenetv2() + _audio_text_video() + _misc()
    names = [w.name for w in ws]
    assert len(names) == len(set(names)), "workload names must be unique"
    return ws


WORKLOADS = {w.name: w for w in _all()}
SETS = sorted({s for w in WORKLOADS.values() for s in w.sets} | {"full"})


def get(name):
    return WORKLOADS[name]


def select(set_name="default", filter=None):
    """Workloads of a set ('quick', 'default', 'full', a network...), then keep those whose name
    contains one of the comma-separated substrings in `filter` (any set when a filter is given
    and set_name is None)."""
    if set_name in (None, "full"):
        ws = list(WORKLOADS.values())
    else:
        if set_name not in SETS:
            raise ValueError(f"unknown workload set {set_name!r}; known: {SETS}")
        ws = [w for w in WORKLOADS.values() if set_name in w.sets]
    if filter:
        parts = [p.strip() for p in filter.split(",") if p.strip()]
        ws = [w for w in ws if any(p in w.name for p in parts)]
    return ws
