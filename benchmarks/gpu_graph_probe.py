"""GPU probe (lent device only): how much of a training step CUDA graphs take off.

Times the hand-derived step plus the fused Adam update two ways on the same model: launched
eagerly, and through the library's :class:`vaeaug.cuda_graphs.GraphedStep` (three eager
warm-up steps, then one captured graph replayed). Both copy each batch into fixed input
tensors first, as training does. The first two runs in
``benchmarks/results/gpu-graph-probe-h200.txt`` were made by an earlier version of this
script, which captured its own graph before the library had one (commit 033be57; its first
run, by an uncommitted draft of the same code).

    python benchmarks/gpu_graph_probe.py
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch
from sklearn.datasets import make_classification

from vaeaug import CVAEOverSampler
from vaeaug.cuda_graphs import GraphedStep
from vaeaug.fast_step import FastStep
from vaeaug.training import FusedAdam

CASES = [  # rows, columns, widths, batch: the KEEL default; wider batches; the peak model
    (1_000, 10, (64, 64), 64),
    (20_000, 20, (128, 128), 500),
    (200_000, 50, (64, 64), 8192),
    (200_000, 50, (512, 512), 8192),
]


def synchronize() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def per_step_ms(run, steps: int) -> float:
    """Median over three timings of ``steps`` calls, in ms per call."""
    run(10)  # warm-up
    times = []
    for _ in range(3):
        synchronize()
        start = time.perf_counter()
        run(steps)
        synchronize()
        times.append((time.perf_counter() - start) / steps * 1e3)
    return float(np.median(times))


def time_mode(mode: str, fitted: CVAEOverSampler, xs: torch.Tensor, ys: torch.Tensor,
              batch: int) -> float:
    """ms per step (batch copy, hand-derived step, Adam) of a fresh copy of the fitted model,
    launched eagerly or replayed from a CUDA graph."""
    model = copy.deepcopy(fitted.module_).train()
    step = FastStep(model, fitted.transformer_.spans_, fitted.beta)
    optimizer = FusedAdam(model.parameters(), 1e-3)
    generator = torch.Generator(device=xs.device).manual_seed(0)
    x_in, y_in = xs[0].clone(), ys[0].clone()
    total = torch.zeros((), device=xs.device)
    graphed = GraphedStep(step, optimizer.step, generator) if mode == "graph" else None

    def run(k: int) -> None:
        for i in range(k):
            x_in.copy_(xs[i % len(xs)])
            y_in.copy_(ys[i % len(ys)])
            if graphed is not None:  # itself copies the batch into the graph's inputs
                total.add_(graphed(x_in, y_in))
            else:
                total.add_(step(x_in, y_in, generator))
                optimizer.step()

    return per_step_ms(run, 300 if batch < 8192 else 100)


def main() -> None:
    # Without CUDA (a smoke test of this script on the CPU) only the eager steps run.
    device = "cuda" if torch.cuda.is_available() else "cpu"
    modes = ("eager", "graph") if device == "cuda" else ("eager",)
    print(torch.cuda.get_device_name() if device == "cuda" else "CPU", torch.__version__)
    for n, d, hidden, batch in CASES:
        X, y = make_classification(n_samples=n, n_features=d, weights=[0.9], random_state=0)
        fitted = CVAEOverSampler(hidden_dims=hidden, batch_size=batch, epochs=1,
                                 device=device, random_state=0).fit(X, y)
        encoded = torch.as_tensor(np.asarray(fitted.transformer_.transform(
            fitted.check_compatible(X)), dtype=np.float32), device=device)
        labels = torch.as_tensor(y, dtype=torch.long, device=device)
        batches = min(16, n // batch)
        order = torch.randperm(n, device=device)[: batches * batch].view(batches, batch)
        xs, ys = encoded[order], labels[order]
        results = {mode: time_mode(mode, fitted, xs, ys, batch) for mode in modes}
        graph_ms = results.get("graph", float("nan"))
        print(f"{n:>7,} x {d}, hidden {hidden}, batch {batch:5d}: eager {results['eager']:.3f} "
              f"ms/step, CUDA graph {graph_ms:.3f} ms/step "
              f"({results['eager'] / graph_ms:.1f}x)", flush=True)


if __name__ == "__main__":
    main()
