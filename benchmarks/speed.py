"""Speed and scale of CVAEOverSampler on this machine, side by side with ctgan's TVAE.

    python benchmarks/speed.py                 # everything (about 10 minutes on 2 cores)
    python benchmarks/speed.py --only small    # one part: small, tvae, peak, scale, gpu

Parts:
  small  median fit_resample seconds with default settings on KEEL data sets (<= 5,000 rows)
  tvae   100,000 x 20: vaeaug fit + sample(100,000) and seconds per epoch at TVAE's batch size
         and widths, against ctgan's TVAE (its epoch measured, its 300-epoch default projected)
  peak   training throughput at a large batch against the machine's dense float32 matmul rate
         (the faster of MKL's torch.mm and oneDNN's inner product)
  scale  seconds per epoch and peak memory at 10k, 100k and 1M rows x 50 columns, and
         sample(1,000,000)
  gpu    (CUDA only) samples/s in float32, TF32 and bfloat16 autocast against the GPU's
         matmul rates; a default fit on the GPU and the CPU; 1M-row fit and sample(1,000,000)
"""

from __future__ import annotations

import argparse
import contextlib
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


def seconds_per_call(call, reps: int) -> float:
    """Seconds per call of ``call``, over ``reps`` calls in a row."""
    return timed(lambda: [call() for _ in range(reps)])[0] / reps


def alternating_seconds(calls: dict, reps: int, rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each of ``calls``: ``rounds`` timings of ``reps`` calls each, the
    calls taken in turn, so that a busy moment of a shared machine slows all of them."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            times[name].append(seconds_per_call(call, reps))
    return times


def best_seconds(call, reps: int, tries: int = 5) -> float:
    """Best of ``tries`` timings of ``reps`` calls, in seconds per call (after one warm-up)."""
    call()
    return min(seconds_per_call(call, reps) for _ in range(tries))


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


def layer_shapes(d: int, hidden: tuple[int, ...], latent: int) -> list[tuple[int, int]]:
    """(fan-in, fan-out) of the CVAE's linear layers: encoder, mean/log-variance head,
    decoder, output."""
    enc, dec = [d, *hidden], [latent, *hidden[::-1], d]
    return ([*zip(enc[:-1], enc[1:]), (hidden[-1], 2 * latent)]
            + list(zip(dec[:-1], dec[1:])))


def model_flops_per_sample(d: int, hidden: tuple[int, ...], latent: int, n_classes: int) -> int:
    """Multiply-adds x 2 of the forward pass, x 3 for forward + backward."""
    return 2 * 3 * sum(a * b for a, b in layer_shapes(d, hidden, latent))


def matmul_rates(n: int = 2048, reps: int = 10, tries: int = 5) -> dict[str, float]:
    """Dense float32 n^3 matmul rates in GFLOP/s of the two libraries in this torch build:
    MKL (``torch.mm``, which the model's products use) and oneDNN (its fp32 inner product,
    ``torch.ops.mkldnn._linear_pointwise``, where the build has it). Each is the best of
    ``tries`` timings of ``reps`` products (the best, so that a busy moment on a shared
    machine does not flatter the fraction). On this project's AMD EPYC machine oneDNN's
    products are the faster, 175-216 GFLOP/s against MKL's 95-169 in alternation."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    calls = {"MKL": lambda: torch.mm(a, b)}
    if torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise"):
        b_t = b.t().contiguous()  # the inner product multiplies by the transpose
        calls["oneDNN"] = lambda: torch.ops.mkldnn._linear_pointwise(a, b_t, None, "none",
                                                                     [], "")
    return {name: 2 * n**3 / best_seconds(call, reps, tries) / 1e9
            for name, call in calls.items()}


def matmul_gflops(n: int = 2048, reps: int = 10, tries: int = 5) -> float:
    """The machine's dense float32 matmul rate: the faster library's (:func:`matmul_rates`)."""
    return max(matmul_rates(n, reps, tries).values())


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


def part_peak(n: int = 200_000, d: int = 50, batch: int = 8192, repeats: int = 5) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=d, random_state=0)
    results, timings = [], []
    for hidden in [(64, 64), (512, 512)]:
        def make(epochs: int, hidden=hidden) -> CVAEOverSampler:
            return CVAEOverSampler(batch_size=batch, hidden_dims=hidden, epochs=epochs,
                                   balance_classes=False, random_state=0)

        latent = make(1).fit(X, y).latent_dim  # the process's first fit pays one-off costs
        # Each epoch timing is paired with a matmul timing just before it: the machine is
        # shared, and a busy moment slows both.
        pairs = [(matmul_rates(tries=3),
                  n / epoch_seconds(make, X, y, repeats=1, warm_up=False)[0])
                 for _ in range(repeats)]
        timings += [m for m, _ in pairs]
        # each epoch against the faster library's timing just before it
        results.append((hidden, [(max(m.values()), r) for m, r in pairs],
                        model_flops_per_sample(d, hidden, latent, 2)))
    # The headline fraction is taken of the best matmul rate seen in the whole part, of
    # either library, so that a slow moment for the matmul cannot flatter it; the paired
    # fractions are printed too.
    peak = max(max(m.values()) for m in timings)
    for library in timings[0]:
        print(f"matmul, {library} (2048^3 float32, best of 3, before each epoch timing): "
              f"{', '.join(f'{m[library]:.1f}' for m in timings)} GFLOP/s")
    print(f"-> {peak:.1f} GFLOP/s used (the best of either library)")
    for hidden, pairs, flops in results:
        rates = sorted(r for _, r in pairs)
        rate = statistics.median(rates)  # this machine is shared
        paired = sorted(r * flops / 1e9 / p for p, r in pairs)
        print(f"hidden={hidden} batch={batch}: {rate:,.0f} samples/s (median of "
              f"{', '.join(f'{r:,.0f}' for r in rates)}) x {flops:,} FLOP = "
              f"{rate * flops / 1e9:.1f} GFLOP/s = {rate * flops / 1e9 / peak:.1%} of the "
              f"matmul peak (each epoch against its own matmul timing: "
              f"{', '.join(f'{f:.1%}' for f in paired)}; median {statistics.median(paired):.1%})")


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


def cuda_matmul_tflops(dtype: torch.dtype, n: int = 8192, reps: int = 20) -> float:
    """Dense matmul rate of the GPU at ``dtype`` (float32 with TF32 as torch's setting says):
    the median of ``reps`` timed products of fresh random operands after warm-ups."""
    a, b = (torch.randn(n, n, device="cuda", dtype=dtype) for _ in range(2))
    for _ in range(3):
        a @ b
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        a @ b
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return 2 * n**3 / statistics.median(times) / 1e12


# Epochs of the longer timed fit per layer width in part_gpu: enough that training, about a
# second of it, not the fit's set-up, makes the difference between the two fits.
GPU_EPOCHS = {64: 120, 512: 40, 2048: 6}


def part_gpu(n: int = 200_000, d: int = 50, n_scale: int = 1_000_000) -> None:
    """Throughput on a CUDA GPU in float32, TF32 and bfloat16 autocast, against the GPU's own
    matmul rates; a default fit_resample; the 1M-row epoch and sample(1,000,000)."""
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return
    from sklearn.datasets import make_classification

    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}")
    small_X, small_y = make_classification(n_samples=1000, n_features=10, weights=[0.9],
                                           random_state=0)
    CVAEOverSampler(epochs=1, random_state=0).fit(small_X, small_y)  # warm-up
    for device in ("auto", "cpu"):
        secs, fitted = timed(lambda device=device: CVAEOverSampler(
            device=device, random_state=0).fit(small_X, small_y))
        print(f"defaults, 1,000 x 10, device={device!r} -> {fitted.device_}: "
              f"fit {secs:.2f} s ({len(fitted.history_)} epochs of batch 64)")
    torch.backends.cuda.matmul.allow_tf32 = False
    peaks = {"float32": cuda_matmul_tflops(torch.float32)}
    torch.backends.cuda.matmul.allow_tf32 = True
    peaks["tf32"] = cuda_matmul_tflops(torch.float32)
    peaks["bf16 autocast"] = cuda_matmul_tflops(torch.bfloat16)
    torch.backends.cuda.matmul.allow_tf32 = False
    print("matmul 8192^3, median of 20: " + ", ".join(f"{k} {v:.1f} TFLOP/s"
                                                     for k, v in peaks.items()), flush=True)
    X, y = make_classification(n_samples=n, n_features=d, random_state=0)
    X = X.astype(np.float32)
    rows = []
    for width, batch in [(64, 8192), (64, 65536), (512, 65536), (2048, 65536)]:
        def make(epochs: int, width=width, batch=batch) -> CVAEOverSampler:
            return CVAEOverSampler(batch_size=batch, hidden_dims=(width, width), epochs=epochs,
                                   balance_classes=False, device="cuda", random_state=0)

        flops = model_flops_per_sample(d, (width, width), make(1).latent_dim, 2)
        for mode, peak in peaks.items():
            torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
            context = (torch.autocast("cuda", dtype=torch.bfloat16)
                       if mode.startswith("bf16") else contextlib.nullcontext())
            with context:
                # each fit ends by reading its loss back, so the GPU has finished its work;
                # the warm-up fit pays for kernels, cuBLAS handles and the caching allocator.
                # A 64-wide epoch of 200,000 rows takes milliseconds, less than a fit's set-up
                # varies, so it runs for many more epochs: with 12, one run's difference of
                # fits came out negative (-49,958,343 samples/s on an H100).
                secs = statistics.median(epoch_seconds(
                    make, X, y, repeats=3, few=2, more=GPU_EPOCHS[width]))
            rate = n / secs if secs > 0 else float("nan")  # nan: below the timer's noise
            tflops = rate * flops / 1e12
            rows.append({"hidden": f"({width}, {width})", "batch": batch, "precision": mode,
                         "samples/s": f"{rate:,.0f}", "TFLOP/s": tflops,
                         "of matmul peak": f"{tflops / peak:.1%}",
                         # over the peak or not positive: the timing, not the model, is off
                         "plausible": 0 < tflops <= peak})
            print(rows[-1], flush=True)
    torch.backends.cuda.matmul.allow_tf32 = False
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.2f}".format))
    X, y = make_classification(n_samples=n_scale, n_features=d, random_state=0)
    torch.cuda.reset_peak_memory_stats()
    secs, sampler = timed(CVAEOverSampler(batch_size=4096, epochs=2, device="cuda",
                                          random_state=0).fit, X, y)
    sample_s, (X_new, _) = timed(sampler.sample, n_scale)
    print(f"{n_scale:,} x {d} on the GPU: fit of 2 epochs (batch 4096, float32) {secs:.2f} s; "
          f"sample({n_scale:,}) {sample_s:.2f} s, all finite: "
          f"{bool(np.isfinite(np.asarray(X_new)).all())}; peak GPU memory "
          f"{torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["small", "tvae", "peak", "scale", "gpu"])
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    parts = {"small": part_small, "tvae": part_tvae, "peak": part_peak, "scale": part_scale,
             "gpu": part_gpu}
    for name, part in parts.items():
        if a.only in (None, name):
            print(f"\n== {name}")
            part()
    print(f"\npeak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
