"""Results as a text table, JSON and (with matplotlib) a PNG chart."""
import json
import math
import os

PLOT_PEERS = ("onnxruntime", "torch", "numpy-im2col")
CONVKIT = "convkit-auto"


def _fmt_ms(ms):
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 1:
        return f"{ms:.2f}"
    if ms >= 0.01:
        return f"{ms:.3f}"
    return f"{ms:.4f}"


def _rate(r):
    if r.get("gflops") is not None:
        return f"{r['gflops']:.1f} GF/s"
    if r.get("gbps") is not None:
        return f"{r['gbps']:.1f} GB/s"
    return "-"


def table(rows, thread_counts):
    """Plain-text table, one block per thread count."""
    lines = []
    hdr = ("workload", "shape", "implementation", "median ms", "rate", "% limit", "vs peer", "check")
    for n in thread_counts:
        sel = [r for r in rows if _row_in_block(r, n, thread_counts)]
        if not sel:
            continue
        body = []
        last = None
        for r in sel:
            wl = r["workload"] if r["workload"] != last else ""
            sh = r["shape"] if r["workload"] != last else ""
            last = r["workload"]
            if "median_ms" in r:
                pct = f"{r['pct_limit']:.0f}% {r.get('bound', '')}" if r.get("pct_limit") is not None else "-"
                vs = f"{r['vs_fastest_peer']:.2f}x" if r.get("vs_fastest_peer") is not None else "-"
                body.append((wl, sh, r["impl"], _fmt_ms(r["median_ms"]), _rate(r), pct, vs,
                             r.get("status", "")))
            else:
                body.append((wl, sh, r["impl"], "-", "-", "-", "-", r.get("status", "")))
        widths = [max(len(str(x[i])) for x in body + [hdr]) for i in range(len(hdr))]
        lines.append(f"\n== {n} thread{'s' if n != 1 else ''} ==")
        fmt = "  ".join("{:<%d}" % wd if i < 3 or i == 7 else "{:>%d}" % wd for i, wd in enumerate(widths))
        lines.append(fmt.format(*hdr))
        lines.append("  ".join("-" * wd for wd in widths))
        for b in body:
            lines.append(fmt.format(*b))
    return "\n".join(lines)


def _row_in_block(r, n, thread_counts):
    if r["family"] in ("python",) or r["impl"] == "numpy-naive":
        return n == thread_counts[0]
    return r["threads"] == n


def summary(rows, thread_counts):
    """convkit-auto against the fastest peer: geometric mean and the worst case, per thread count."""
    lines = []
    for n in thread_counts:
        ratios = [(r["vs_fastest_peer"], r["workload"]) for r in rows
                  if r["impl"] == CONVKIT and r["threads"] == n and r.get("vs_fastest_peer")]
        if not ratios:
            continue
        gm = math.exp(sum(math.log(x) for x, _ in ratios) / len(ratios))
        worst = min(ratios)
        wins = sum(1 for x, _ in ratios if x >= 1.0)
        lines.append(f"{n} thread(s): convkit-auto / fastest peer: geomean {gm:.2f}x over {len(ratios)} workloads, "
                     f"{wins} at >= 1.0x, slowest {worst[0]:.2f}x ({worst[1]})")
    return "\n".join(lines)


def write_json(path, payload):
    def clean(o):
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {str(k): clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        return o
    with open(path, "w") as f:
        json.dump(clean(payload), f, indent=1)


def plot(path, rows, thread_counts, title=""):
    """convkit-auto's speed relative to each peer, per workload, one panel per thread count.
    Returns the path written, or a note (str starting with 'note:') when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "note: matplotlib not installed; no chart (pip install matplotlib)"
    panels = []
    for n in thread_counts:
        ck = {r["workload"]: r["median_ms"] for r in rows
              if r["impl"] == CONVKIT and r["threads"] == n and "median_ms" in r}
        names = list(ck)
        series = {}
        for p in PLOT_PEERS:
            vals = []
            for wl in names:
                m = [r["median_ms"] for r in rows if r["impl"] == p and r["threads"] == n and r["workload"] == wl
                     and "median_ms" in r and r.get("status") != "MISMATCH"]
                vals.append(m[0] / ck[wl] if m else float("nan"))
            if any(v == v for v in vals):
                series[p] = vals
        if names and series:
            panels.append((n, names, series))
    if not panels:
        return "note: no convkit results to chart"
    height = max(3.0, 0.28 * max(len(p[1]) * max(len(p[2]), 1) for p in panels) / 1.6 + 1.5)
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), height), squeeze=False)
    colors = {"onnxruntime": "#1f77b4", "torch": "#d62728", "numpy-im2col": "#7f7f7f"}
    for ax, (n, names, series) in zip(axes[0], panels):
        k = len(series)
        bh = 0.8 / k
        allv = []
        for j, (p, vals) in enumerate(series.items()):
            ys = [i + (j - (k - 1) / 2) * bh for i in range(len(names))]
            # bars grow from 1.0 (parity): right = convkit faster, left = slower
            ax.barh(ys, [v - 1.0 if v == v else 0 for v in vals], left=1.0, height=bh, label=f"vs {p}",
                    color=colors.get(p))
            allv.extend(v for v in vals if v == v and v > 0)
        ax.axvline(1.0, color="black", lw=1)
        ax.set_xscale("log")
        lo, hi = min(allv + [0.5]), max(allv + [2.0])
        ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo / 1.5 <= t <= hi * 1.5]
        ax.set_xlim(lo / 1.3, hi * 1.3)
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}x" for t in ticks])
        ax.minorticks_off()
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("convkit speed / peer speed (>1: convkit faster)")
        ax.set_title(f"{n} thread{'s' if n != 1 else ''}")
        ax.legend(fontsize=7, loc="best")
        ax.grid(axis="x", which="both", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def ensure_dir(d):
    os.makedirs(d, exist_ok=True)
    return d


def markdown(rows, thread_counts, impls=None):
    """A Markdown table (for the README): one row per workload, median ms per implementation and
    convkit-auto's speed relative to the fastest peer."""
    impls = impls or ["convkit-auto", "onnxruntime", "torch", "numpy-im2col"]
    out = []
    for n in thread_counts:
        sel = [r for r in rows if r["threads"] == n and "median_ms" in r]
        names = list(dict.fromkeys(r["workload"] for r in sel))
        if not names:
            continue
        out.append(f"\n**{n} thread{'s' if n != 1 else ''}** (median ms; GFLOP/s of convkit-auto; "
                   "convkit-auto speed / fastest peer)\n")
        out.append("| workload | shape | " + " | ".join(impls) + " | convkit GFLOP/s | vs fastest peer |")
        out.append("|---|---|" + "---:|" * (len(impls) + 2))
        for wl in names:
            by = {r["impl"]: r for r in sel if r["workload"] == wl}
            cells = [(_fmt_ms(by[i]["median_ms"]) + (" (!)" if by[i].get("status") == "MISMATCH" else ""))
                     if i in by else "-" for i in impls]
            ck = by.get("convkit-auto", {})
            rate = _rate(ck) if ck else "-"
            vs = f"{ck['vs_fastest_peer']:.2f}x" if ck.get("vs_fastest_peer") is not None else "-"
            shape = next(iter(by.values()))["shape"]
            out.append(f"| {wl} | {shape} | " + " | ".join(cells) + f" | {rate} | {vs} |")
    return "\n".join(out)
