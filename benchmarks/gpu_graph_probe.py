"""GPU probe (lent device only): how much of a training step CUDA graphs would take off.

The library does not use CUDA graphs. This script times the hand-derived step plus the
fused Adam update two ways on the same model: launched eagerly, as ``train_cvae`` does, and
captured once into a CUDA graph and replayed. Both start each step by copying the batch
into fixed input tensors. It measures timing only; the noise comes from the default CUDA
generator, and the graph path's numbers are not checked against eager ones.

    python benchmarks/gpu_graph_probe.py
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch
from sklearn.datasets import make_classification

from vaeaug import CVAEOverSampler
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
              generator: torch.Generator, batch: int) -> float:
    """ms per step (batch copy, hand-derived step, Adam) of a fresh copy of the fitted model,
    launched eagerly or replayed from a CUDA graph."""
    model = copy.deepcopy(fitted.module_).train()
    step = FastStep(model, fitted.transformer_.spans_, fitted.beta)
    optimizer = FusedAdam(model.parameters(), 1e-3)
    x_in, y_in = xs[0].clone(), ys[0].clone()
    total = torch.zeros((), device=xs.device)

    def eager(k: int) -> None:
        for i in range(k):
            x_in.copy_(xs[i % len(xs)])
            y_in.copy_(ys[i % len(ys)])
            total.add_(step(x_in, y_in, generator))
            optimizer.step()

    run = eager
    if mode == "graph":
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # buffers and .grad tensors made before the capture
            eager(3)
        torch.cuda.current_stream().wait_stream(side)
        step._one_hot = None  # build the labels' one-hot inside the graph
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            total.add_(step(x_in, y_in, generator))
            optimizer.step()

        def run(k: int) -> None:
            for i in range(k):
                x_in.copy_(xs[i % len(xs)])
                y_in.copy_(ys[i % len(ys)])
                graph.replay()

    return per_step_ms(run, 300 if batch < 8192 else 100)


def main() -> None:
    # Without CUDA (a smoke test of this script on the CPU) only the eager steps run.
    device = "cuda" if torch.cuda.is_available() else "cpu"
    modes = ("eager", "graph") if device == "cuda" else ("eager",)
    print(torch.cuda.get_device_name() if device == "cuda" else "CPU", torch.__version__)
    # captured graphs track the default CUDA generator's state
    generator = torch.cuda.default_generators[0] if device == "cuda" else torch.default_generator
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
        results = {mode: time_mode(mode, fitted, xs, ys, generator, batch) for mode in modes}
        graph_ms = results.get("graph", float("nan"))
        print(f"{n:>7,} x {d}, hidden {hidden}, batch {batch:5d}: eager {results['eager']:.3f} "
              f"ms/step, CUDA graph {graph_ms:.3f} ms/step "
              f"({results['eager'] / graph_ms:.1f}x)", flush=True)


if __name__ == "__main__":
    main()
