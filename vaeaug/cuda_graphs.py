"""Training steps replayed from CUDA graphs.

On a GPU a small model's step is a few dozen tiny kernels, and launching them from Python
takes several times longer than running them: a default KEEL-size fit trained faster on the
CPU than on an H200. Capturing the step and the optimiser update once into a CUDA graph and
replaying it launches them all at once (the probe ``benchmarks/gpu_graph_probe.py``
measured 4.7x faster steps at the default batch of 64 and 2.9x at 8,192 rows).

Only steps that declare ``cuda_graph_safe`` are graphed: the same kernels on the same
memory for every batch of a given length, and nothing that waits for the GPU. The
hand-derived :class:`~vaeaug.fast_step.FastStep` is one. Replays draw the same random
numbers from the training generator as eager steps would, so a fit gives the same model
with graphs or without (``tests/test_cuda.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: Whether training uses CUDA graphs where it can (tests switch it off to compare).
ENABLED = True

#: Eager steps of each batch length before its graph is captured: they allocate the step's
#: buffers and warm the libraries' handles, which a capture cannot do.
WARMUP_STEPS = 3

#: A captured step: the graph, its input rows, its input labels and its loss.
Captured = tuple["torch.cuda.CUDAGraph", torch.Tensor, torch.Tensor, torch.Tensor]


def usable(step: object, device: torch.device) -> bool:
    """Whether :class:`GraphedStep` can run ``step`` on ``device``."""
    return (ENABLED and device.type == "cuda" and getattr(step, "cuda_graph_safe", False)
            and hasattr(torch.cuda.CUDAGraph, "register_generator_state"))


class GraphedStep:
    """A training step and the optimiser's update, replayed from one CUDA graph per batch
    length after :data:`WARMUP_STEPS` eager steps of that length.

    Parameters
    ----------
    step : callable
        ``step(x, y, generator)`` sets the gradients and returns the batch loss.
    update : callable
        Applies the gradients (the optimiser's ``step``).
    generator : torch.Generator
        The CUDA generator the step draws its noise from.
    """

    def __init__(self, step: Callable[[torch.Tensor, torch.Tensor, torch.Generator],
                                      torch.Tensor],
                 update: Callable[[], None], generator: torch.Generator) -> None:
        self.step, self.update, self.generator = step, update, generator
        self.eager_steps: dict[int, int] = {}
        self.graphs: dict[int, Captured] = {}
        self.replays = 0
        self.side: torch.cuda.Stream | None = None  # the warm-ups' and the captures' stream

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Train on batch ``(x, y)``; return its loss (valid until the next call)."""
        n = x.shape[0]
        if n not in self.graphs:
            done = self.eager_steps.get(n, 0)
            if done < WARMUP_STEPS:
                self.eager_steps[n] = done + 1
                return self._eager(x, y)
            self.graphs[n] = self._capture(x, y)
        graph, x_in, y_in, loss = self.graphs[n]
        x_in.copy_(x)
        y_in.copy_(y)
        graph.replay()
        self.replays += 1
        return loss

    def _eager(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # On the side stream that captures later, as torch's CUDA graph notes ask of the
        # steps before a capture (libraries set up their per-stream state there).
        if self.side is None:
            self.side = torch.cuda.Stream(device=x.device)
        current = torch.cuda.current_stream(x.device)
        self.side.wait_stream(current)
        with torch.cuda.stream(self.side):
            loss = self.step(x, y, self.generator)
            self.update()
        current.wait_stream(self.side)
        loss.record_stream(current)  # the caller reads it there
        return loss

    def _capture(self, x: torch.Tensor, y: torch.Tensor) -> Captured:
        # Capturing records the kernels without running them: the caller replays at once.
        x_in, y_in = x.clone(), y.clone()
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(self.generator)
        with torch.cuda.graph(graph, stream=self.side):
            loss = self.step(x_in, y_in, self.generator)
            self.update()
        return graph, x_in, y_in, loss
