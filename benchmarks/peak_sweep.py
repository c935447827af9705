"""Where a large-batch CPU step's time goes: throughput by batch size, and the products'
share of the step.

    python benchmarks/peak_sweep.py                      # batches 512 ... 16384, widths 64
    python benchmarks/peak_sweep.py --width 512 --batches 8192
    python benchmarks/peak_sweep.py --batches '' --alternatives   # lower precision, compiled
    python benchmarks/peak_sweep.py --batches '' --shards         # shards per core, or not

The same data and model as ``speed.py --only peak`` (200,000 rows x 50 columns, two
classes, two hidden layers each side). For each batch size: samples/s of three epoch
timings (``speed.epoch_seconds``) and their fraction of the machine's dense float32 matmul
rate (``speed.matmul_gflops``, timed once at the start). Then one 2-epoch fit at batch
8,192 (``--profile-batch``) under ``torch.profiler``: the self time of the matrix products
(``mm``, ``addmm``, ``addmm_``) against the whole step's, and the rate the products alone
run at.

``--alternatives`` then times, in alternation at the profile batch, the hand-derived step
against three other ways of computing the same gradients, each against the float32 matmul
rate: the same step with the model and batch in bfloat16 (on a CPU with AMX or AVX-512 BF16
its products run 2-6x faster), an autograd step under CPU bfloat16 autocast, and an autograd
step compiled by ``torch.compile`` (inductor's fused C++ loops; needs a C++ compiler). First
it prints the bfloat16 and float32 product rates at the step's shapes.
"""

import argparse
import contextlib
import functools
import statistics
from collections.abc import Iterator

import torch
from sklearn.datasets import make_classification
from speed import (
    alternating_seconds,
    best_seconds,
    epoch_seconds,
    matmul_gflops,
    model_flops_per_sample,
)
from torch.profiler import ProfilerActivity, profile

from vaeaug import CVAEOverSampler, fast_step
from vaeaug.fast_step import FastStep
from vaeaug.model import CVAE, build_on_cpu, reconstruction_loss
from vaeaug.preprocessing import NUMERIC, Span
from vaeaug.training import autograd_step

PRODUCTS = ("aten::mm", "aten::addmm", "aten::addmm_")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--batches", type=lambda s: [int(b) for b in s.split(",") if b],
                    default=[512, 1024, 2048, 4096, 8192, 16384])
    ap.add_argument("--profile-batch", type=int, default=8192)
    ap.add_argument("--alternatives", action="store_true",
                    help="also time the step in bfloat16, under autocast and compiled")
    ap.add_argument("--shards", action="store_true",
                    help="also time epochs with the batch in shards per thread against one "
                         "plan over the whole batch, in alternation")
    ap.add_argument("--rounds", type=int, default=5, help="alternations of --shards")
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
    if args.shards:
        shards_against_one_plan(lambda epochs: sampler(epochs, batch), X, y, flops, peak,
                                args.rounds)
    # The profile is of one plan over all threads: a sharded step's operators run on the
    # workers' threads, one shard each, and its products would not add up to a step.
    with sharding(False), profile(activities=[ProfilerActivity.CPU]) as prof:
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
    if args.alternatives:
        alternatives(d, hidden, latent, batch, flops, peak)


@contextlib.contextmanager
def sharding(on: bool) -> Iterator[None]:
    """Fits in the block split large batches into shards per thread (``on``) or not."""
    fast_step.SHARDS_ON_CPU = on
    try:
        yield
    finally:
        fast_step.SHARDS_ON_CPU = True


def shards_against_one_plan(make, X, y, flops: int, peak: float, rounds: int) -> None:
    """Samples/s of epochs with the step in shards (the default) and in one plan, in
    alternation, each epoch against the matmul rate timed once at the start."""
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for sharded in rates:
            with sharding(sharded):
                rates[sharded].append(len(X) / epoch_seconds(make, X, y, repeats=1,
                                                             warm_up=False)[0])
    for sharded, name in ((True, f"{torch.get_num_threads()} shards, one thread each"),
                          (False, "one plan over all threads")):
        rate = statistics.median(rates[sharded])
        print(f"{name:34s} {rate:,.0f} samples/s (median of "
              f"{', '.join(f'{r:,.0f}' for r in rates[sharded])}) = "
              f"{rate * flops / 1e9 / peak:.1%} of the matmul rate")
    ratios = sorted(a / b for a, b in zip(rates[True], rates[False]))
    print(f"shards / one plan, alternation by alternation: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}x")


def product_rates(batch: int, width: int) -> None:
    """GFLOP/s of float32 and bfloat16 ``torch.mm`` at 2048^3 and at a step's shape."""
    for m, k, n in ((2048, 2048, 2048), (batch, width, width)):
        rates = []
        for dtype in (torch.float32, torch.bfloat16):
            a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
            rates.append(2 * m * k * n / best_seconds(lambda a=a, b=b: torch.mm(a, b), 20)
                         / 1e9)
        print(f"torch.mm {m}x{k}x{n}: float32 {rates[0]:.0f}, bfloat16 {rates[1]:.0f} GFLOP/s")


def alternatives(d: int, hidden: tuple[int, ...], latent: int, batch: int, flops: int,
                 peak: float, beta: float = 0.3, rounds: int = 3, reps: int = 50) -> None:
    """Milliseconds per step of four ways to compute one batch's gradients, in alternation."""
    product_rates(batch, hidden[0])
    spans = [Span(i, 1, NUMERIC) for i in range(d)]
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (batch,), generator=gen)

    def model(dtype: torch.dtype) -> CVAE:  # each step makes the gradients it needs
        return build_on_cpu(lambda: CVAE(d, 2, latent, hidden)).to(dtype)

    def hand_derived(dtype: torch.dtype):
        step, x = FastStep(model(dtype), spans, beta), torch.randn(batch, d).to(dtype)
        return lambda: step(x, y, gen)

    def autograd(compiled: bool, autocast: bool):
        # the library's own autograd step, which a fit under autocast trains with
        cvae, x = model(torch.float32), torch.randn(batch, d)
        step = autograd_step(torch.compile(cvae) if compiled else cvae,
                             functools.partial(reconstruction_loss, spans=spans), beta)

        def run() -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                step(x, y, gen)
        return run

    ways = {"hand-derived, float32 (the default)": hand_derived(torch.float32),
            "hand-derived, bfloat16 throughout": hand_derived(torch.bfloat16),
            "autograd, bfloat16 autocast": autograd(False, True),
            "autograd, torch.compile, float32": autograd(True, False)}
    for call in ways.values():  # compiles, warms the caches
        for _ in range(3):
            call()
    for name, seconds in alternating_seconds(ways, reps, rounds).items():
        times = [s * 1e3 for s in seconds]
        step_ms = statistics.median(times)
        print(f"{name:38s} {step_ms:6.2f} ms a step ({', '.join(f'{t:.2f}' for t in times)}) "
              f"= {batch * flops / step_ms / 1e6 / peak:.1%} of the float32 matmul rate")
    for name in list(ways)[:2]:  # where the two hand-derived steps' time goes
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(reps):
                ways[name]()
        top = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:8]
        print(f"{name}, self time per step under the profiler: " + ", ".join(
            f"{e.key.removeprefix('aten::')} {e.self_cpu_time_total / reps:.0f} us" for e in top))


if __name__ == "__main__":
    main()
