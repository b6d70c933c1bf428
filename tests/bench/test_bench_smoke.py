"""The benchmark suite works: it runs, checks outputs, writes JSON. Nothing here times anything
that is asserted; speed is never a test."""
import json
import math

import numpy as np
import pytest

from convkit.bench import impls, limits, runner, workloads
from convkit.bench.__main__ import main

TINY = "tiny/conv2d-same"


def test_main_quick_writes_json(tmp_path, capsys):
    rc = main(["--quick", "--filter", TINY, "--out", str(tmp_path), "--threads", "1", "--budget", "0",
               "--repeat", "1", "--no-progress", "--no-limits", "--no-networks"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "ISA path" in out and "convkit-auto" in out
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["machine"]["isa"]
    assert list(data["workloads"]) == [TINY]
    rows = {r["impl"]: r for r in data["results"]}
    assert rows["convkit-auto"]["status"] == "ref"
    assert rows["convkit-auto"]["median_ms"] > 0 and rows["convkit-auto"]["gflops"] > 0
    assert all(r["status"] in ("ref", "ok") for r in data["results"]), data["results"]


def test_main_list_and_bad_set(capsys):
    assert main(["--list", "--set", "issue4"]) == 0
    assert "sgemm-1024" in capsys.readouterr().out
    assert main(["--set", "no-such-set", "--no-limits"]) == 2


@pytest.mark.parametrize("impl", impls.all_impls(), ids=lambda i: i.name)
def test_every_implementation_matches_the_reference(impl):
    """Every implementation that is installed agrees with a float64 oracle on every quick workload
    it can run (this is the check the bench applies before timing)."""
    why = impl.available()
    if why:
        pytest.skip(why)
    impl.set_threads(1)
    ran = 0
    for w in workloads.select("quick"):
        data = impls.make_data(w)
        try:
            fn, conv = impl.prepare(w, data)
        except impls.Skip:
            continue
        y = conv(fn())
        assert np.asarray(y).shape == w.output_shape, (impl.name, w.name)
        err = runner.max_rel_error(y, _oracle(w, data))
        assert err <= 1e-4, f"{impl.name} on {w.name}: {err}"
        ran += 1
    if impl.name in ("convkit-auto", "numpy-naive", "numpy-im2col", "python-loops", "onnxruntime", "torch"):
        assert ran > 0


def _oracle(w, data):
    """float64 direct loops over the kernel taps (independent of every implementation)."""
    x = data["x"].astype(np.float64)
    xp = np.pad(x, [(0, 0)] + list(w.pads) + [(0, 0)],
                constant_values=-np.inf if w.kind == "maxpool" else 0.0)
    if w.kind == "gemm":
        return x @ data["k"].astype(np.float64)
    if w.kind == "deconv":   # the scatter definition, pixel by pixel
        k = data["k"].astype(np.float64)
        y = np.zeros(w.output_shape)
        for i in np.ndindex(*w.spatial):
            for t in np.ndindex(*w.ksize):
                o = tuple(a * s + b for a, s, b in zip(i, w.strides, t))
                y[(slice(None),) + o] += x[(slice(None),) + i] @ k[t].T
        return y
    out = w.out_spatial
    taps = np.ndindex(*w.ksize)
    if w.kind == "maxpool":
        y = np.full(w.output_shape, -np.inf)
        for t in taps:
            sl = tuple(slice(q * d, q * d + s * (o - 1) + 1, s) for q, d, s, o in zip(t, w.dilation, w.strides, out))
            y = np.maximum(y, xp[(slice(None),) + sl])
        return y
    kg = impls.grouped_kernel(w, data["k"]).astype(np.float64)
    g = w.effective_groups
    cg, cout = kg.shape[-2], kg.shape[-1]
    fpg = cout // g
    y = np.zeros(w.output_shape)
    for t in taps:
        sl = tuple(slice(q * d, q * d + s * (o - 1) + 1, s) for q, d, s, o in zip(t, w.dilation, w.strides, out))
        win = xp[(slice(None),) + sl]
        for gi in range(g):
            y[..., gi * fpg:(gi + 1) * fpg] += win[..., gi * cg:(gi + 1) * cg] @ kg[t][:, gi * fpg:(gi + 1) * fpg]
    return y


class _Wrong(impls.Impl):
    name = "wrong"
    family = "test"

    def prepare(self, w, data):
        ref, _ = impls.Convkit("auto").prepare(w, data)
        return (lambda: ref() * 1.01), np.asarray


class _Missing(impls.Impl):
    name = "missing-peer"
    family = "test"

    def available(self):
        return "not installed"


def test_mismatch_is_marked_and_missing_peer_is_a_note():
    w = workloads.get(TINY)
    rows, notes = runner.run([w], [impls.Convkit("auto"), _Wrong(), _Missing()], [1], budget_s=0.0,
                             min_repeats=1, progress=False, log=lambda m: None, pause_s=0)
    by = {r["impl"]: r for r in rows}
    assert by["convkit-auto"]["status"] == "ref"
    assert by["wrong"]["status"] == "MISMATCH"
    assert "missing-peer" not in by
    assert any("MISMATCH" in n for n in notes)
    assert any("missing-peer skipped" in n for n in notes)


def test_workload_counts():
    assert workloads.get("sgemm-1024").flops == 2 * 1024 ** 3
    w = workloads.get("3x3-56x56x64-64")
    assert w.output_shape == (1, 56, 56, 64) and w.flops == 2 * 56 * 56 * 64 * 9 * 64
    assert workloads.get("s2-56x56x64-128").output_shape == (1, 28, 28, 128)
    assert len(workloads.select("issue4")) == 10
    # every conv layer of the networks: FLOPs as published (ResNet-18 ~1.8 GMAC convs, ResNet-50 ~3.9,
    # VGG-16 ~15.3 GMAC, MobileNetV2 ~0.3 GMAC)
    def gmac(s):
        return sum(w.macs * w.count for w in workloads.select(s)) / 1e9
    assert 1.7 < gmac("resnet18") < 1.9
    assert 3.8 < gmac("resnet50") < 3.95
    assert 15.0 < gmac("vgg16") < 15.6
    assert 0.28 < gmac("mobilenetv2") < 0.32
    assert sum(w.count for w in workloads.select("vgg16")) == 13
    assert sum(w.count for w in workloads.select("resnet18")) == 20
    assert sum(w.count for w in workloads.select("resnet50")) == 53   # 1 + 16 blocks x 3 + 4 projections
    names = {w.name for w in workloads.select("full")}
    assert {w.name for w in workloads.select("default")} <= names


def test_roofline():
    lim = {"fma_gflops": {1: 100.0}, "memcpy_gbps": {1: 20.0}}
    assert limits.roofline(lim, 1, 2e9, 1e6) == (100.0, "GFLOP/s", "fma")
    rate, unit, bound = limits.roofline(lim, 1, 1e6, 1e6)
    assert bound == "mem" and math.isclose(rate, 20.0)
    assert limits.roofline(lim, 1, 0, 1e6) == (20.0, "GB/s", "mem")


def test_deconv_workload_shapes():
    w = workloads.get("deconv/unet-up")
    assert w.output_shape == (1, 128, 128, 64) and w.kernel_shape == (2, 2, 64, 128)
    assert w.flops == 2 * 64 * 64 * 4 * 128 * 64
