"""The training loop: minibatches from one in-memory tensor, Adam, divergence check, progress.

Nothing here knows about scikit-learn or pandas: it takes tensors and a model.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import nn
from tqdm.auto import tqdm

from . import cuda_graphs
from .fast_step import FastStep
from .model import kl_divergence
from .workers import Workers, workers

#: Per-row negative log-likelihood of a batch: (decoder output, data) -> loss of each row.
Reconstruction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


#: Below this many multiply-adds per step an MLP trains fastest on one CPU thread: handing
#: small matrix products between threads costs more than it saves (measured: 1.3 s against
#: 1.6 s on two free cores, 1.3 s against 6.7 s when two fits share them).
SINGLE_THREAD_MACS = 20_000_000


def cpu_threads(model: nn.Module, batch_size: int, device: torch.device) -> int | None:
    """1 for a small MLP on the CPU, None (torch's setting) otherwise."""
    if device.type != "cpu":
        return None
    if any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules()):
        return None
    macs = batch_size * sum(p.numel() for p in model.parameters())
    return 1 if macs < SINGLE_THREAD_MACS else None


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads (None: leave torch's setting alone)."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with every thread pool on one thread: the BLAS and OpenMP libraries that
    threadpoolctl finds (numpy's, scipy's, scikit-learn's, torch's OpenMP) and torch's own
    count, which also sets the MKL linked into torch, a library threadpoolctl cannot see.

    torch's count is set back afterwards, so it is read before the limit. Without that, a fit
    inside the block that restored torch's count restored it to one, and torch's MKL products
    stayed on one thread after the block: half the matmul rate on two cores for the rest of
    the process."""
    with torch_threads(1), threadpool_limits(limits=1):
        yield


#: How torch's allocators say they ran out of memory.
OUT_OF_MEMORY = re.compile(r"can't allocate memory|out of memory", re.IGNORECASE)


@contextlib.contextmanager
def enough_memory(doing: str, advice: str) -> Iterator[None]:
    """Out-of-memory errors of the block as one :class:`MemoryError` that says what was being
    done and what to do: torch's CPU allocator raises a ``RuntimeError`` (``[enforce fail at
    alloc_cpu.cpp…]``), CUDA a ``torch.OutOfMemoryError``, numpy a ``MemoryError``."""
    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        text = str(exc)
        if not isinstance(exc, MemoryError) and not OUT_OF_MEMORY.search(text):
            raise
        asked = re.search(r"allocate (\d+) bytes", text)
        size = (f"{int(asked.group(1)) / 2**30:.1f} GiB more asked for" if asked
                else first_sentence(text))
        raise MemoryError(f"Not enough memory {doing} ({size}); {advice}") from None


def physical_memory() -> int | None:
    """This machine's memory in bytes, or ``None`` where the OS does not say (Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def check_fits(n_bytes: int, doing: str, advice: str) -> None:
    """Refuse, before any work, a result that alone is larger than the machine's memory.

    Generation works in parts, so such a request would not fail at once: it would fill the
    memory part by part for minutes or hours, until the OS killed the process."""
    total = physical_memory()
    if total is not None and n_bytes > total:
        raise MemoryError(f"Not enough memory {doing} ({n_bytes / 2**30:,.1f} GiB for the "
                          f"rows alone; this machine has {total / 2**30:,.1f} GiB); {advice}")


def first_sentence(text: str) -> str:
    """The first line of ``text``, up to its first full stop."""
    text = text.strip()
    return text.split(". ")[0].splitlines()[0] if text else "no details"


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; anything else is passed to torch, and must
    be usable on this machine (ValueError otherwise)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"Unknown device {device!r}: {exc}") from None
    if resolved.type == "meta":  # accepted by torch, but its tensors hold no numbers
        raise ValueError(f"Device {device!r} holds no data, so nothing can be trained or "
                         "generated on it; use device='auto' or 'cpu'.")
    try:  # torch says so only at the first tensor, from deep inside (an AssertionError for CUDA)
        torch.empty(0, device=resolved)
    except (RuntimeError, AssertionError) as exc:
        reason = first_sentence(str(exc)) if str(exc).strip() \
            else type(exc).__name__  # the first sentence: torch's can run for a page
        raise ValueError(f"Device {device!r} is not usable here ({reason}); use "
                         "device='auto' (CUDA when present, else the CPU) or 'cpu'.") from None
    return resolved


def autocast_enabled(device: torch.device) -> bool:
    """Whether the caller runs inside ``torch.autocast`` for ``device``'s type.

    Autocast runs matrix products in bfloat16 or float16 through autograd; the hand-derived
    step (:mod:`vaeaug.fast_step`) writes float32 gradients, so a fit under autocast trains
    with the autograd step instead.
    """
    try:
        return bool(torch.is_autocast_enabled(device.type))
    except TypeError:  # torch < 2.4 takes no device type
        return bool(torch.is_autocast_enabled() if device.type == "cuda"
                    else torch.is_autocast_cpu_enabled())


@contextlib.contextmanager
def reproducible_cudnn(device: torch.device) -> Iterator[None]:
    """On CUDA, run the block with cuDNN limited to deterministic convolution algorithms (its
    fastest ones may accumulate in a different order from run to run); elsewhere nothing."""
    if device.type != "cuda":
        yield
        return
    cudnn = torch.backends.cudnn
    before = cudnn.deterministic, cudnn.benchmark
    cudnn.deterministic, cudnn.benchmark = True, False
    try:
        yield
    finally:
        cudnn.deterministic, cudnn.benchmark = before


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    """Minibatches in one pass over ``n_rows`` rows (the batch never exceeds the data)."""
    return math.ceil(n_rows / max(1, min(batch_size, n_rows)))


class OneProcess:
    """Training in this process alone.

    The no-op counterpart of :class:`vaeaug.distributed.Replicas`: a fit asks it the
    questions data-parallel training needs answered (what do the other processes hold,
    how to wrap the network, how many steps per epoch), and it answers for one process.
    """

    rank = 0
    world_size = 1

    def gather(self, obj: object) -> list:
        return [obj]

    def all_labels(self, labels: np.ndarray) -> np.ndarray:
        return labels

    def device(self, requested: str) -> torch.device:
        return resolve_device(requested)

    def wrap(self, module: nn.Module) -> nn.Module:
        return module

    def n_batches(self, largest_shard: int, batch_size: int) -> int | None:
        return None

    def reduce_loss(self, total: torch.Tensor) -> torch.Tensor:
        return total

    def class_rows(self, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return rows


class FusedAdam:
    """Adam with torch's defaults (betas 0.9 and 0.999, eps 1e-8) run by torch's fused kernel.

    ``torch.optim.Adam(fused=True)`` calls the same kernel with the same arguments (the
    updates are bit-identical, tested), but first regroups the tensors and converts step
    counters in Python, which took a quarter of a default training step. The parameter list
    of a fit never changes, so here that work is done once.
    """

    def __init__(self, params: Iterable[nn.Parameter], lr: float) -> None:
        self.params = list(params)
        self.lr = lr
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        # Adam counts steps per parameter. While every step reaches every parameter (the
        # usual case) the counts are equal, and one shared counter is incremented instead of
        # one per tensor: on the CPU, _foreach_add_ adds to each 0-dim counter separately,
        # about a tenth of a default step (a profile of a KEEL-size fit).
        count = torch.zeros((), dtype=torch.float32, device=self.params[0].device)
        self.steps = [count] * len(self.params)
        self.shared_count = True
        # A Python 1 is wrapped into a tensor on every add (a few us); this one is made once.
        self._one = torch.ones((), dtype=torch.float32, device=self.params[0].device)

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        grads = [p.grad for p in self.params]
        if any(g is None for g in grads):  # a parameter the step did not reach keeps its value
            if self.shared_count:  # from now on the counts may differ
                self.steps = [count.clone() for count in self.steps]
                self.shared_count = False
            keep = [i for i, g in enumerate(grads) if g is not None]
            lists: list[Any] = [[lst[i] for i in keep] for lst in
                     (self.params, grads, self.exp_avg, self.exp_avg_sq, self.steps)]
        else:
            lists = [self.params, grads, self.exp_avg, self.exp_avg_sq, self.steps]
        params, grads, exp_avg, exp_avg_sq, steps = lists
        if self.shared_count:
            steps[0].add_(self._one)
        else:
            torch._foreach_add_(steps, 1)
        torch._fused_adam_(params, grads, exp_avg, exp_avg_sq, [], steps, amsgrad=False,
                           lr=self.lr, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8,
                           maximize=False, grad_scale=None, found_inf=None)


def adam(model: nn.Module, lr: float) -> FusedAdam | torch.optim.Optimizer:
    """:class:`FusedAdam` where torch has the fused kernel for the model's device, else
    ``torch.optim.Adam``."""
    params = list(model.parameters())
    devices = {p.device.type for p in params}
    if hasattr(torch, "_fused_adam_") and len(devices) == 1 and devices <= {"cpu", "cuda"}:
        return FusedAdam(params, lr)
    return torch.optim.Adam(params, lr=lr)


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite."""


def class_weights(y: torch.Tensor) -> torch.Tensor:
    """Each row's weight in class-balanced draws: one over its class's count (float64)."""
    return (1.0 / torch.bincount(y).to(torch.float64))[y]


#: Up to this many rows, an epoch's class-balanced rows are drawn by ``torch.multinomial``
#: over the rows' :func:`class_weights`; above it by :class:`BalancedDraw`'s own draw (a
#: class, then a row of it), which gives the same distribution in linear time. The
#: multinomial draw's cost grows faster than the rows: 184 ms against 20 ms at 1,000,000
#: rows, whose epoch at batch 4,096 takes about a second (docs/performance.md, "Scale").
#: Smaller tables keep the multinomial draws, so their fits give the rows they gave before.
MULTINOMIAL_MAX_ROWS = 1 << 16


class BalancedDraw:
    """Class-balanced draws with replacement from the rows labelled ``y``: each class
    equally likely, each row of a class equally likely. Made once per fit, used every epoch.
    """

    def __init__(self, y: torch.Tensor) -> None:
        # the multinomial's row weights or, for the linear-time draw, the rows sorted by
        # class with each present class's first position and count in that order
        self.weights = class_weights(y) if y.shape[0] <= MULTINOMIAL_MAX_ROWS else None
        if self.weights is None:
            counts = torch.bincount(y)
            self.counts = counts[counts.nonzero()[:, 0]]
            self.starts = torch.cumsum(self.counts, 0) - self.counts
            self.order = torch.argsort(y, stable=True)

    def __call__(self, draws: int, generator: torch.Generator) -> torch.Tensor:
        """``draws`` row indices."""
        if self.weights is not None:
            return torch.multinomial(self.weights, draws, replacement=True, generator=generator)
        # One 62-bit number per row chooses both the class and the row within it (one random
        # number a row costs half as much as two). For k classes of at most m rows the
        # remainders are uniform to within k * m / 2^62: 2^-22 at a billion rows in a
        # thousand classes.
        r = torch.randint(1 << 62, (draws,), generator=generator,
                          device=generator.device).to(self.order.device)
        k = self.counts.shape[0]
        which = r % k
        return self.order[self.starts[which] + (r // k) % self.counts[which]]


def batch_indices(
    y: torch.Tensor, batch_size: int, balance_classes: bool, generator: torch.Generator,
    n_batches: int | None = None, balanced: BalancedDraw | None = None,
) -> list[torch.Tensor]:
    """One epoch of row indices, split into minibatches.

    With ``balance_classes`` rows are drawn with replacement, each class equally likely, so
    rare classes are seen as often as common ones; otherwise it is a plain shuffle.
    ``n_batches`` fixes the number of batches (data-parallel replicas must all take the same
    number of steps); by default an epoch draws as many rows as ``y`` has. ``balanced``:
    a :class:`BalancedDraw` of ``y``, if the caller keeps it from epoch to epoch.
    """
    n = y.shape[0]
    draws = n if n_batches is None else n_batches * batch_size
    if balance_classes:
        order = (BalancedDraw(y) if balanced is None else balanced)(draws, generator)
    else:
        order = torch.cat([torch.randperm(n, generator=generator, device=generator.device)
                           for _ in range(math.ceil(draws / n))])[:draws]
    full, rest = divmod(draws, batch_size)
    sizes = [batch_size] * full + ([rest] if rest else [])
    return list(order.to(y.device).split_with_sizes(sizes))


#: Rows gathered at once by :func:`epoch_rows` (at most this many elements, 16 MiB of
#: float32): enough batches per gather at every size, little memory beside the data.
CHUNK_ELEMENTS = 1 << 22


def epoch_rows(
    X: torch.Tensor, y: torch.Tensor, batches: list[torch.Tensor],
    buffers: dict[int, torch.Tensor], pool: Workers | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Each batch's rows of ``X`` and ``y``, in order.

    The rows of many batches are gathered by one ``index_select`` into a reused buffer
    (``buffers``, keyed by row count) and handed out as views: one gather per batch cost
    a visible share of a step (random rows miss the caches one at a time; at TVAE's sizes
    39 of some 2,600 us). The values, and so the training, are the same. A batch's views
    are valid until the next batch is taken: the next chunk overwrites the buffer. With
    ``pool`` each of its threads gathers a part of the rows (the loop of a sharded step
    runs on one thread).
    """
    row_elements = max(1, math.prod(X.shape[1:]))
    per_chunk = max(1, CHUNK_ELEMENTS // (row_elements * max(1, batches[0].shape[0])))
    for start in range(0, len(batches), per_chunk):
        group = batches[start:start + per_chunk]
        idx = group[0] if len(group) == 1 else torch.cat(group)
        if idx.shape[0] not in buffers:
            buffers[idx.shape[0]] = X.new_empty((idx.shape[0], *X.shape[1:]))
        # index_select gathers rows several times faster than X[idx] on CPU.
        xs = buffers[idx.shape[0]]
        if pool is None:
            torch.index_select(X, 0, idx, out=xs)
        else:
            pool.run([functools.partial(torch.index_select, X, 0, part, out=out)
                      for part, out in zip(idx.tensor_split(pool.n), xs.tensor_split(pool.n))])
        sizes = [b.shape[0] for b in group]
        # split_with_sizes: Tensor.split is a Python wrapper around it, a visible cost here
        yield from zip(xs.split_with_sizes(sizes),
                       y.index_select(0, idx).split_with_sizes(sizes))


#: One optimisation step's work: (x, y, generator) -> batch loss, gradients set on the model.
Step = Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]


def autograd_step(model: nn.Module, reconstruction: Reconstruction, beta: float) -> Step:
    """The loss, negative ELBO with a weighted KL term averaged over the batch, and its
    gradients by autograd: ``reconstruction(output, x) + beta * KL(q(z | x, y) || N(0, I))``.
    """

    def step(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        output, mu, logvar = model(x, y, generator)
        loss = (reconstruction(output, x) + beta * kl_divergence(mu, logvar)).mean()
        model.zero_grad(set_to_none=True)
        loss.backward()
        return loss.detach()

    return step


def train_cvae(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    step: Step,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    generator: torch.Generator,
    balance_classes: bool = True,
    verbose: bool = False,
    n_batches: int | None = None,
    reduce_loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> list[float]:
    """Fit ``model`` on encoded rows ``X`` with labels ``y``; return the mean loss per epoch.

    ``step`` computes each batch's loss and gradients (:func:`autograd_step`, or the
    hand-derived :class:`~vaeaug.fast_step.FastStep`); Adam applies them. On CUDA a step
    that declares itself graph-safe is replayed with the update from a CUDA graph
    (:mod:`vaeaug.cuda_graphs`; the same model, fewer kernel launches). Data-parallel
    training (:mod:`vaeaug.distributed`) passes ``n_batches``, the same number of steps per
    epoch on every replica, and ``reduce_loss``, which averages the epoch loss over replicas
    so that all of them see the same history and stop together.

    Raises
    ------
    TrainingDivergedError
        If an epoch's loss is not finite.
    """
    # The fused kernel updates all parameters in one call: most of a small model's step time
    # is per-tensor overhead, not arithmetic.
    optimizer = adam(model, learning_rate)
    batch_size = max(1, min(batch_size, X.shape[0]))
    history: list[float] = []
    model.train()
    bar = tqdm(range(epochs), desc="vaeaug training", unit="epoch", disable=not verbose,
               leave=False)
    # Each chunk of an epoch's rows goes into one buffer per chunk length, reused (as in
    # FastStep).
    rows: dict[int, torch.Tensor] = {}
    # The same every epoch; made once (four small operations an epoch, and a small table's
    # fit runs hundreds of epochs).
    balanced = BalancedDraw(y) if balance_classes else None
    # Autocast keeps its lower-precision copies of the weights until its outermost context
    # exits: a fit run inside one would train on the first step's weights forever.
    autocast = autocast_enabled(X.device)
    graphed = (cuda_graphs.GraphedStep(step, optimizer.step, generator)
               if not autocast and isinstance(optimizer, FusedAdam)
               and cuda_graphs.usable(step, X.device) else None)
    # A step that runs its shards on threads of its own (FastStep) leaves this loop one
    # thread, and those threads gather the batches' rows too: idle OpenMP workers of the
    # loop's own operations would spin on the shards' cores (a sharded fit took 1.6 times
    # as long).
    pool = (workers(step.shards) if isinstance(step, FastStep) and step.splits(batch_size)
            else None)
    threads = 1 if pool is not None else cpu_threads(model, batch_size, X.device)
    with torch_threads(threads), reproducible_cudnn(X.device):
        for _ in bar:
            total = X.new_zeros(())
            batches = batch_indices(y, batch_size, balance_classes, generator, n_batches,
                                    balanced)
            for x, y_batch in epoch_rows(X, y, batches, rows, pool):
                if graphed is not None:
                    total += graphed(x, y_batch)
                    continue
                total += step(x, y_batch, generator)
                optimizer.step()
                if autocast:
                    torch.clear_autocast_cache()
            if reduce_loss is not None:
                total = reduce_loss(total)
            epoch_loss = float(total) / len(batches)
            if not math.isfinite(epoch_loss):
                raise TrainingDivergedError(
                    f"loss became {epoch_loss} in epoch {len(history) + 1}")
            history.append(epoch_loss)
            # refresh=False: redraw at tqdm's own pace, not once per epoch (log files).
            bar.set_postfix(loss=f"{epoch_loss:.4f}", refresh=False)
    model.eval()
    return history
