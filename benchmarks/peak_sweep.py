"""Where a large-batch CPU step's time goes: throughput by batch size, and the products'
share of the step.

    python benchmarks/peak_sweep.py                      # batches 512 ... 16384, widths 64
    python benchmarks/peak_sweep.py --width 512 --batches 8192

The same data and model as ``speed.py --only peak`` (200,000 rows x 50 columns, two
classes, two hidden layers each side). For each batch size: samples/s of three epoch
timings (``speed.epoch_seconds``) and their fraction of the machine's dense float32 matmul
rate (``speed.matmul_gflops``, timed once at the start). Then one 2-epoch fit at batch
8,192 (``--profile-batch``) under ``torch.profiler``: the self time of the matrix products
(``mm``, ``addmm``, ``addmm_``) against the whole step's, and the rate the products alone
run at.
"""

import argparse
import statistics

import torch
from sklearn.datasets import make_classification
from speed import epoch_seconds, matmul_gflops, model_flops_per_sample
from torch.profiler import ProfilerActivity, profile

from vaeaug import CVAEOverSampler

PRODUCTS = ("aten::mm", "aten::addmm", "aten::addmm_")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--batches", type=lambda s: [int(b) for b in s.split(",")],
                    default=[512, 1024, 2048, 4096, 8192, 16384])
    ap.add_argument("--profile-batch", type=int, default=8192)
    args = ap.parse_args()
    n, d, hidden = 200_000, 50, (args.width, args.width)
    X, y = make_classification(n_samples=n, n_features=d, random_state=0)
    peak = matmul_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; matmul rate "
          f"{peak:.1f} GFLOP/s (2048^3 float32, the faster library)")

    def sampler(epochs: int, batch: int) -> CVAEOverSampler:
        return CVAEOverSampler(batch_size=batch, hidden_dims=hidden, epochs=epochs,
                               balance_classes=False, random_state=0)

    # One short fit gives the latent size and pays the process's one-off costs (a fit at
    # batch 64 would take 3,125 steps for nothing).
    latent = sampler(1, args.profile_batch).fit(X, y).latent_dim
    flops = model_flops_per_sample(d, hidden, latent, 2)
    for batch in args.batches:
        rates = sorted(n / s for s in epoch_seconds(
            lambda epochs, b=batch: sampler(epochs, b), X, y, warm_up=False))
        print(f"batch {batch:>6}: {', '.join(f'{r:,.0f}' for r in rates)} samples/s;"
              f" median {statistics.median(rates) * flops / 1e9 / peak:.1%} of the matmul rate",
              flush=True)

    batch = args.profile_batch
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        sampler(2, batch).fit(X, y)
    events = prof.key_averages()
    step = next((e for e in events if e.key == "forward"), None)  # the compiled step
    if step is None:
        raise SystemExit("no compiled step in the profile (fast_step.SCRIPT_ON_CPU off?)")
    steps, step_us = step.count, step.cpu_time_total / step.count
    products_us = sum(e.self_cpu_time_total for e in events if e.key in PRODUCTS) / steps
    gflops = batch * flops / products_us / 1e3
    print(f"profile at batch {batch} ({steps} steps): step {step_us / 1e3:.2f} ms, of it "
          f"products {products_us / 1e3:.2f} ms ({products_us / step_us:.0%}), running at "
          f"{gflops:.0f} GFLOP/s = {gflops / peak:.0%} of the matmul rate; the step as a whole "
          f"{batch * flops / step_us / 1e3 / peak:.0%}")
    print(events.table(sort_by="self_cpu_time_total", row_limit=15))


if __name__ == "__main__":
    main()
