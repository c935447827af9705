"""Speed and scale of CVAEOverSampler on this machine, side by side with ctgan's TVAE.

    python benchmarks/speed.py                 # everything (about 10 minutes on 2 cores)
    python benchmarks/speed.py --only small    # one part: small, tvae, peak, scale

Parts:
  small  median fit_resample seconds with default settings on KEEL data sets (<= 5,000 rows)
  tvae   100,000 x 20: vaeaug fit + sample(100,000) and seconds per epoch at TVAE's batch size
         and widths, against ctgan's TVAE (its epoch measured, its 300-epoch default projected)
  peak   training throughput at a large batch against the machine's dense float32 matmul rate
  scale  seconds per epoch and peak memory at 10k, 100k and 1M rows x 50 columns, and
         sample(1,000,000)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import StandardScaler

from vaeaug import CVAEOverSampler

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from keel import load  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def part_small(n_sets: int = 20) -> pd.DataFrame:
    """Median fit_resample time with defaults over the first KEEL dev sets up to 5,000 rows."""
    names = json.loads((HERE / "dev_split.json").read_text())
    rows = []
    for name in names:
        if len(rows) >= n_sets:
            break
        X, y = load(name)  # as the KEEL benchmark loads them: one-hot, scaled, NaN -> 0
        if len(X) > 5000:
            continue
        X = np.nan_to_num(StandardScaler().fit_transform(X))
        secs, _ = timed(CVAEOverSampler(random_state=0).fit_resample, X, y)
        rows.append({"dataset": name, "rows": len(X), "columns": X.shape[1], "seconds": secs})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(f"median fit_resample: {table.seconds.median():.3f} s over {len(table)} data sets")
    return table


def wide_sampler(**kw) -> CVAEOverSampler:
    """vaeaug with TVAE's defaults: batch 500, widths (128, 128), latent 128."""
    return CVAEOverSampler(batch_size=500, hidden_dims=(128, 128), latent_dim=128,
                           random_state=0, **kw)


def part_tvae(n: int = 100_000, d: int = 20) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=d, weights=[0.9], random_state=0)
    fit_s, sampler = timed(CVAEOverSampler(random_state=0).fit, X, y)
    sample_s, _ = timed(sampler.sample, n)
    print(f"vaeaug defaults   {n}x{d}: fit {fit_s:.2f} s ({len(sampler.history_)} epochs), "
          f"sample({n}) {sample_s:.2f} s, total {fit_s + sample_s:.2f} s")
    flops = model_flops_per_sample(d, (128, 128), 128, 2)
    peak = matmul_gflops()
    try:
        from ctgan import TVAE
    except ImportError:
        print("ctgan is not installed: pip install 'vaeaug[bench]' for the TVAE comparison")
        return
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(d)]).assign(y=y.astype(str))
    torch.manual_seed(0)
    # TVAE's per-column Bayesian-GMM transformer takes most of a fit and varies by +-10 s from
    # run to run, more than a few epochs take: time it once, then let the timed fits reuse it.
    import ctgan.synthesizers.tvae as tvae_module

    real = tvae_module.DataTransformer
    transformer = real()
    transform_s, _ = timed(lambda: transformer.fit(frame, ["y"]))
    encode_s, encoded = timed(transformer.transform, frame)

    class Prefitted(real):
        def fit(self, *args, **kwargs):
            self.__dict__.update(transformer.__dict__)

        def transform(self, data):
            return encoded

    def tvae_fit(epochs: int) -> tuple[float, TVAE]:
        tvae = TVAE(epochs=epochs)
        return timed(lambda: tvae.fit(frame, discrete_columns=["y"]) or tvae)

    tvae_module.DataTransformer = Prefitted
    try:
        tvae_fit(1)  # warm-ups: each library's first fit in a process pays one-off costs
        wide_sampler(epochs=1).fit(X, y)
        # Side by side: the two libraries' epochs are timed in alternation, five times, so a
        # busy moment on this shared machine slows both rather than one of them.
        pairs = []
        for _ in range(5):
            vae = epoch_seconds(wide_sampler, X, y, repeats=1, warm_up=False)[0]
            one, _ = tvae_fit(1)
            four, tvae = tvae_fit(4)
            pairs.append((vae, (four - one) / 3))
    finally:
        tvae_module.DataTransformer = real
    vae_epoch = statistics.median(v for v, _ in pairs)
    tvae_epoch = statistics.median(t for _, t in pairs)
    print(f"vaeaug at TVAE's sizes: {vae_epoch:.2f} s per epoch = {n * flops / vae_epoch / 1e9:.1f}"
          f" GFLOP/s, {n * flops / vae_epoch / 1e9 / peak:.0%} of the matmul peak "
          f"({peak:.0f} GFLOP/s)")
    print("per-epoch seconds in alternation (vaeaug / TVAE = speed-up): " + ", ".join(
        f"{v:.2f} / {t:.2f} = {t / v:.1f}x" for v, t in pairs))
    one_epoch_fit = one + transform_s + encode_s  # what a real 1-epoch fit costs
    tvae_sample_s, _ = timed(tvae.sample, n)
    width = tvae.transformer.output_dimensions  # its mode-specific encoding of the columns
    tvae_flops = model_flops_per_sample(width, (128, 128), 128, 2)  # its widths, its inputs
    print(f"TVAE encodes the {d} columns as {width} numbers: {tvae_flops:,} FLOP per sample "
          f"(vaeaug at its sizes: {flops:,}); {n * tvae_flops / tvae_epoch / 1e9:.1f} GFLOP/s")
    projected = one_epoch_fit + 299 * tvae_epoch + tvae_sample_s  # TVAE's default: 300 epochs
    print(f"TVAE: fit with 1 epoch {one_epoch_fit:.1f} s (mostly its per-column GMM transformer), "
          f"{tvae_epoch:.2f} s per further epoch, sample({n}) {tvae_sample_s:.2f} s; "
          f"300 default epochs projected to {projected:.0f} s")
    ratios = sorted(t / v for v, t in pairs)
    print(f"per-epoch speed-up {statistics.median(ratios):.1f}x (median of five; "
          f"{ratios[0]:.1f}-{ratios[-1]:.1f}x) at equal batch and widths; "
          f"end-to-end speed-up {projected / (fit_s + sample_s):.0f}x (defaults against "
          "defaults)")


def model_flops_per_sample(d: int, hidden: tuple[int, ...], latent: int, n_classes: int) -> int:
    """Multiply-adds x 2 of the forward pass, x 3 for forward + backward."""
    sizes_enc = [d, *hidden]
    macs = sum(a * b for a, b in zip(sizes_enc[:-1], sizes_enc[1:])) + hidden[-1] * 2 * latent
    sizes_dec = [latent, *hidden[::-1], d]
    macs += sum(a * b for a, b in zip(sizes_dec[:-1], sizes_dec[1:]))
    return 2 * 3 * macs


def matmul_gflops(n: int = 2048, reps: int = 10, tries: int = 5) -> float:
    """The machine's dense float32 matmul rate: best of ``tries`` timings of ``reps`` products
    (the best, so that a busy moment on a shared machine does not flatter the fraction)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(timed(lambda: [torch.mm(a, b) for _ in range(reps)])[0] for _ in range(tries))
    return 2 * n**3 * reps / best / 1e9


def epoch_seconds(make, X, y, repeats: int = 3, few: int = 1, more: int = 4,
                  warm_up: bool = True) -> list[float]:
    """Seconds per epoch of training alone, measured ``repeats`` times (sorted): fits of
    ``few`` and ``more`` epochs, differenced, so set-up and column encoding cancel out."""
    if warm_up:  # the process's first fit pays one-off costs
        make(epochs=few).fit(X, y)
    per_epoch = []
    for _ in range(repeats):
        short, _ = timed(make(epochs=few).fit, X, y)
        long, _ = timed(make(epochs=more).fit, X, y)
        per_epoch.append((long - short) / (more - few))
    return sorted(per_epoch)


def part_peak(n: int = 200_000, d: int = 50, batch: int = 8192) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=d, random_state=0)
    peaks = [matmul_gflops()]
    results = []
    for hidden in [(64, 64), (512, 512)]:
        def make(epochs: int, hidden=hidden) -> CVAEOverSampler:
            return CVAEOverSampler(batch_size=batch, hidden_dims=hidden, epochs=epochs,
                                   balance_classes=False, random_state=0)

        rates = sorted(n / secs for secs in epoch_seconds(make, X, y))
        results.append((hidden, rates, model_flops_per_sample(d, hidden, make(1).latent_dim, 2)))
        peaks.append(matmul_gflops())
    # The fraction is taken of the best matmul rate seen in the whole part (measured before
    # and after each model), so that a slow moment for the matmul cannot flatter it.
    peak = max(peaks)
    print(f"matmul peak (2048^3 float32, best of 5, at {len(peaks)} moments): "
          f"{', '.join(f'{p:.1f}' for p in peaks)} GFLOP/s -> {peak:.1f} used")
    for hidden, rates, flops in results:
        rate = statistics.median(rates)  # this machine is shared
        print(f"hidden={hidden} batch={batch}: {rate:,.0f} samples/s (median of "
              f"{', '.join(f'{r:,.0f}' for r in rates)}) x {flops:,} FLOP = "
              f"{rate * flops / 1e9:.1f} GFLOP/s = {rate * flops / 1e9 / peak:.1%} of the "
              "matmul peak")


def part_scale(d: int = 50) -> None:
    rng = np.random.default_rng(0)
    # warm-up: a process's first fit pays one-off costs that would land on the 10k row
    CVAEOverSampler(batch_size=4096, epochs=1, random_state=0).fit(
        rng.normal(size=(5000, d)).astype(np.float32), np.arange(5000) % 2)
    for n in (10_000, 100_000, 1_000_000):
        X = rng.normal(size=(n, d)).astype(np.float32)
        y = (rng.random(n) < 0.1).astype(int)
        secs, sampler = timed(CVAEOverSampler(batch_size=4096, epochs=2, random_state=0).fit,
                              X, y)
        line = f"{n:>9,} x {d}: {secs / 2:.2f} s per epoch (batch 4096)"
        if n == 1_000_000:
            sample_s, _ = timed(sampler.sample, n)
            line += f"; sample({n:,}) {sample_s:.2f} s"
        print(line + f"; peak RSS so far {peak_rss_mb():,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["small", "tvae", "peak", "scale"])
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    parts = {"small": part_small, "tvae": part_tvae, "peak": part_peak, "scale": part_scale}
    for name, part in parts.items():
        if a.only in (None, name):
            print(f"\n== {name}")
            part()
    print(f"\npeak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
