"""Data-parallel training over processes: PyTorch DDP, launched by ``torchrun``.

Each process holds only its shard of the rows. The processes agree on everything a fit
learns from the whole data set (classes and their counts, the column encoders), train
replicas of one network whose gradients DDP averages after every step, and gather the real
rows of each class (up to :data:`MAX_CLASS_ROWS`) that residual generation starts from.
Rank 0 then holds an ordinary fitted :class:`~vaeaug.CVAEOverSampler`.

Run it with the command line (each process reads its share of the input files)::

    torchrun --nproc_per_node 4 -m vaeaug fit shard-*.csv --target label -o model.vaeaug

or from Python, in a script that ``torchrun`` starts::

    from vaeaug.distributed import fit_distributed
    sampler = fit_distributed(CVAEOverSampler(random_state=0), X_shard, y_shard)

The backend is NCCL when the processes use CUDA devices and gloo on CPUs.
"""

from __future__ import annotations

import gc
import os
import warnings
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from .sampler import CVAEOverSampler
from .training import resolve_device, steps_per_epoch

#: Real rows kept per class for residual generation, over all processes together.
MAX_CLASS_ROWS = 100_000


def is_launched() -> bool:
    """Whether this process was started by ``torchrun`` with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def process_device(requested: str, say: bool = False) -> torch.device:
    """This process's device: its own GPU (``LOCAL_RANK``) for ``"auto"`` or ``"cuda"``,
    when the machine has one for every process ``torchrun`` started on it.

    With fewer GPUs, ``"auto"`` trains every process on the CPUs (gloo; a warning if
    ``say``): the processes must agree, and one GPU cannot hold two NCCL ranks.

    Raises
    ------
    ValueError
        ``"cuda"`` asked for with fewer GPUs than processes on this machine.
    """
    device = resolve_device(requested)
    if device.type != "cuda" or device.index is not None:
        return device
    processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    gpus = torch.cuda.device_count()
    if processes <= gpus:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    advice = f"start one per GPU (--nproc_per_node {gpus})"
    if requested != "auto":
        raise ValueError(f"device={requested!r}: torchrun started {processes} processes on "
                         f"this machine, which has {gpus} GPU{'s' * (gpus != 1)}; {advice}, "
                         "or train on the CPUs (--device cpu).")
    if say:
        warnings.warn(f"torchrun started {processes} processes on this machine, which has "
                      f"{gpus} GPU{'s' * (gpus != 1)}: training on the CPUs (gloo); {advice} "
                      "to train on the GPUs.", UserWarning, stacklevel=3)
    return torch.device("cpu")


def init(device: str = "auto") -> None:
    """Join the process group ``torchrun`` set up (NCCL for CUDA, gloo otherwise)."""
    if dist.is_initialized():
        return
    resolved = process_device(device, say=True)
    if resolved.type == "cuda":
        torch.cuda.set_device(resolved)
    dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")


class Replicas:
    """The processes of the default group, as the sampler's fit sees them.

    The single-process fit uses :class:`vaeaug.training.OneProcess`, which has the same
    methods and does nothing in each.
    """

    def __init__(self) -> None:
        if not dist.is_initialized():
            raise RuntimeError("torch.distributed is not initialised: start the script with "
                               "torchrun and call vaeaug.distributed.init() first.")
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()

    def gather(self, obj: Any) -> list[Any]:
        """``obj`` from every process, in rank order (picklable objects)."""
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def all_labels(self, labels: np.ndarray) -> np.ndarray:
        """Every process's labels (as many of each class as all shards hold together)."""
        parts = self.gather(np.unique(labels, return_counts=True))
        return np.repeat(np.concatenate([v for v, _ in parts]),
                         np.concatenate([c for _, c in parts]))

    def device(self, requested: str) -> torch.device:
        return process_device(requested)

    def wrap(self, module: nn.Module) -> nn.Module:
        # DDP copies rank 0's parameters to every replica and averages gradients.
        device = next(module.parameters()).device
        ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def n_batches(self, largest_shard: int, batch_size: int) -> int | None:
        # Every replica must take the same number of steps, or the gradient averaging waits
        # for ever: all take as many as the largest shard needs.
        return steps_per_epoch(largest_shard, batch_size)

    def reduce_loss(self, total: torch.Tensor) -> torch.Tensor:
        total = total.detach().clone()
        dist.all_reduce(total)
        return total / self.world_size

    def class_rows(self, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """This class's rows from all processes, at most :data:`MAX_CLASS_ROWS` in all."""
        keep = MAX_CLASS_ROWS // self.world_size
        if len(rows) > keep:
            pick = torch.randperm(len(rows), generator=generator, device=generator.device)
            rows = rows[pick[:keep].to(rows.device)]
        parts = self.gather(rows.cpu().numpy())
        return torch.as_tensor(np.concatenate(parts), device=rows.device)


def fit_distributed(sampler: CVAEOverSampler, X: Any, y: Any) -> CVAEOverSampler:
    """Fit ``sampler`` on the union of every process's ``X, y`` (call it on every process).

    Parameters
    ----------
    sampler : CVAEOverSampler
        Unfitted sampler; every process must pass the same parameters.
    X, y : as for :meth:`CVAEOverSampler.fit`
        This process's shard of the rows.

    Returns
    -------
    sampler : CVAEOverSampler
        Fitted; identical network weights on every process. ``sampling_strategy_`` is
        computed from the class counts of all shards.
    """
    from .image_sampler import ImageCVAEOverSampler

    if isinstance(sampler, ImageCVAEOverSampler) or not isinstance(sampler, CVAEOverSampler):
        raise TypeError("Data-parallel training supports CVAEOverSampler (tables) only, "
                        f"got {type(sampler).__name__}.")
    sampler._fit(X, y, Replicas())
    # Free the DDP wrapper (its reducer holds gloo/NCCL work objects) while every process is
    # still alive, then wait for all: a process that exits while others are mid-teardown can
    # abort in the communication library's threads ("terminate called without an active
    # exception").
    gc.collect()
    dist.barrier()
    return sampler
