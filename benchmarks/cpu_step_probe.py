"""CPU probe: where the time of one training step at the ``peak`` part's size goes.

``speed.py --only peak`` times whole epochs of the 64-wide model at batch 8,192 (200,000 x 50
rows). This script takes the hand-derived step (``vaeaug.fast_step.FastStep``) apart, on the
same model and batch, in one process and with the same two threads:

1. the step's rate against the dense float32 matmul rate (2048^3, the faster of MKL and
   oneDNN: ``speed.matmul_rates``), five pairs of timings;
2. the share of the step's time spent in matrix products, from ``torch.profiler``;
3. each of the step's products alone (forward, weight gradient, input gradient);
4. the same 8,192 rows in one step and in steps of 4,096 ... 512 rows, timed in alternation
   (smaller batches keep a step's activations in the cores' 1 MiB L2 caches: if the
   element-wise passes were bound by memory, smaller batches would be faster per row);
5. two restructurings of the step, each timed in alternation with the step's own way at
   three sizes (the peak part's, TVAE's and a default KEEL fit's): a labelled layer's label
   rows folded into its products (the one-hot label as extra input columns, so no row
   gather and no ``index_add_``), and Adam on one flat buffer instead of per parameter.

    python benchmarks/cpu_step_probe.py
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pandas as pd
import torch
from sklearn.datasets import make_classification
from torch.profiler import ProfilerActivity, profile

from vaeaug import CVAEOverSampler
from vaeaug.fast_step import FastStep
from vaeaug.model import CVAE
from vaeaug.training import FusedAdam

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import (  # noqa: E402
    alternating_seconds,
    best_seconds,
    layer_shapes,
    matmul_gflops,
    model_flops_per_sample,
)

ROWS, COLUMNS, HIDDEN, BATCH = 200_000, 50, (64, 64), 8192
CHUNKS = (8192, 4096, 2048, 1024, 512)
PRODUCTS = ("aten::mm", "aten::addmm", "aten::addmm_")
# (rows, columns, hidden widths, latent size, threads) of the peak part, of TVAE's sizes in
# speed.py and of a default KEEL fit (which trains on one thread)
LATENT = CVAEOverSampler().latent_dim  # the default, which the probe's sampler keeps
SIZES = ((BATCH, COLUMNS, HIDDEN, LATENT, 2), (500, 20, (128, 128), 128, 2),
         (64, 10, (64, 64), LATENT, 1))


def alternating_us(calls: dict, reps: int, rounds: int = 7) -> dict[str, float]:
    """Median microseconds per call of each of ``calls``, timed in alternation."""
    return {name: statistics.median(s * 1e6 for s in times)
            for name, times in alternating_seconds(calls, reps, rounds).items()}


def labelled_layer_calls(rows: int, fan_in: int, width: int, n_labels: int = 2) -> dict:
    """Forward (with ReLU) and weight and label gradients of one labelled layer, the step's
    way (gather ``label + bias`` rows, ``index_add_``) and with the one-hot label as extra
    input columns (one product each way, no gather)."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, n_labels, (rows,), generator=g)
    x, grad = torch.randn(rows, fan_in, generator=g), torch.randn(rows, width, generator=g)
    weight, bias = torch.randn(width, fan_in, generator=g), torch.randn(width, generator=g)
    label, out = torch.randn(n_labels, width, generator=g), torch.empty(rows, width)
    weight_t = weight.t()
    x_onehot = torch.cat([x, torch.nn.functional.one_hot(y, n_labels).float()], 1)

    def gathered() -> None:
        torch.index_select(label + bias, 0, y, out=out).addmm_(x, weight_t).relu_()
        label_grad = torch.zeros_like(label).index_add_(0, y, grad)
        grad.t() @ x, label_grad.sum(0)

    def folded() -> None:
        combined = torch.cat([weight, (label + bias).t()], 1)
        torch.mm(x_onehot, combined.t(), out=out).relu_()
        both = grad.t() @ x_onehot  # [weight gradient | label gradient, transposed]
        both[:, fan_in:].sum(1)

    return {"gathered": gathered, "folded": folded}


def adam_calls(columns: int, hidden: tuple[int, ...], latent: int) -> dict:
    """One Adam update of a CVAE's parameters: :class:`FusedAdam` (one fused call over the
    parameter tensors) and the same kernel on one flat buffer of all of them (as if the
    parameters and gradients were views of it; the copy into it is not counted)."""
    params = list(CVAE(columns, 2, latent, hidden).parameters())
    for p in params:
        p.grad = torch.randn_like(p)
    per_tensor = FusedAdam(params, 1e-3)
    flat = FusedAdam([torch.nn.Parameter(torch.cat([p.detach().flatten() for p in params]))],
                     1e-3)
    flat.params[0].grad = torch.cat([p.grad.flatten() for p in params])
    return {"per tensor": per_tensor.step, "flat": flat.step}


def main() -> None:
    torch.set_num_threads(2)
    X, y = make_classification(n_samples=ROWS, n_features=COLUMNS, random_state=0)
    sampler = CVAEOverSampler(batch_size=BATCH, hidden_dims=HIDDEN, epochs=1,
                              balance_classes=False, random_state=0, verbose=False).fit(X, y)
    step = FastStep(sampler.module_, sampler.transformer_.spans_, sampler.beta)
    x = torch.as_tensor(sampler.transformer_.transform(pd.DataFrame(X[:BATCH])))
    labels = torch.as_tensor(y[:BATCH])
    generator = torch.Generator().manual_seed(0)
    flops = model_flops_per_sample(COLUMNS, HIDDEN, sampler.latent_dim, 2) * BATCH

    def rows_in_steps(size: int) -> None:
        for start in range(0, BATCH, size):
            step(x[start:start + size], labels[start:start + size], generator)

    # Five pairs, each step timing just after a matmul timing: this machine is shared, and
    # its speed moves by tens of per cent within minutes.
    pairs = [(matmul_gflops(tries=3),
              flops / best_seconds(lambda: rows_in_steps(BATCH), reps=20, tries=3) / 1e9)
             for _ in range(5)]
    peak = max(p for p, _ in pairs)
    step_rate = max(r for _, r in pairs)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"step, hidden={HIDDEN} batch={BATCH}: " + ", ".join(
        f"{r:.1f} GFLOP/s after matmul {p:.1f} ({r / p:.1%})" for p, r in pairs))
    print(f"best step {step_rate:.1f} GFLOP/s ({flops / step_rate / 1e6:.2f} ms) against the best "
          f"matmul {peak:.1f}: {step_rate / peak:.1%}; paired median "
          f"{statistics.median(r / p for p, r in pairs):.1%}")

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(10):
            rows_in_steps(BATCH)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    shares = {e.key: e.self_cpu_time_total / total for e in events}
    others = sorted((kv for kv in shares.items() if kv[0] not in PRODUCTS),
                    key=lambda kv: -kv[1])[:12]
    print(f"profile of 10 steps: matrix products {sum(shares.get(k, 0) for k in PRODUCTS):.1%}, "
          + ", ".join(f"{k.removeprefix('aten::')} {v:.1%}" for k, v in others))

    for fan_in, fan_out in layer_shapes(COLUMNS, HIDDEN, sampler.latent_dim):
        a, w, g = torch.randn(BATCH, fan_in), torch.randn(fan_out, fan_in), torch.randn(
            BATCH, fan_out)
        gflop = 2 * BATCH * fan_in * fan_out / 1e9
        rates = [gflop / best_seconds(f, reps=50) for f in (
            lambda a=a, w=w: torch.mm(a, w.t()), lambda a=a, g=g: g.t() @ a,
            lambda g=g, w=w: torch.mm(g, w))]
        print(f"product {fan_in:>3} -> {fan_out:>3}: forward {rates[0]:.0f}, weight gradient "
              f"{rates[1]:.0f}, input gradient {rates[2]:.0f} GFLOP/s")

    # in alternation: a busy moment slows every size
    chunk_us = alternating_us({size: lambda s=size: rows_in_steps(s) for size in CHUNKS}, reps=2)
    print(f"{BATCH} rows in steps of " + ", ".join(
        f"{size}: {us / 1e3:.2f} ms" for size, us in chunk_us.items()) + " (median of 7)")

    for rows, columns, hidden, latent, threads in SIZES:
        torch.set_num_threads(threads)
        reps = max(20, 200_000 // rows)
        layers = [labelled_layer_calls(rows, fan_in, hidden[0])
                  for fan_in in (columns, latent)]  # the encoder's first layer, the decoder's
        label_us = [alternating_us(calls, reps) for calls in layers]
        adam_us = alternating_us(adam_calls(columns, hidden, latent), reps)
        print(f"rows {rows}, {columns} columns, hidden={hidden}, latent {latent}, {threads} "
              "thread(s): labelled layers gathered / folded " + ", ".join(
                  f"{us['gathered']:.0f} / {us['folded']:.0f} us" for us in label_us)
              + f"; Adam per tensor / flat {adam_us['per tensor']:.1f} / {adam_us['flat']:.1f} us"
              " (medians of 7 in alternation)")


if __name__ == "__main__":
    main()
