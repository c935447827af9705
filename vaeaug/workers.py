"""Threads that run the shards of a CPU training step side by side, one core each.

A large batch of a small model is mostly element-wise passes over activations of a few
megabytes. Split over torch's intra-op threads, each of those passes is cut between the
cores and joined again, some 60 times a step, and the activations move between the cores'
caches. Split instead into one shard of rows per core, each shard's whole step runs on one
thread, its activations stay in that core's cache, and nothing waits between operations
(:class:`~vaeaug.fast_step.FastStep`; docs/performance.md, "Close to the hardware").

Torch operators release the GIL, so Python threads run the shards in parallel. Each worker
sets torch's intra-op thread count to one for itself. torch stores that count in a
process-wide default as well, which threads that have not run torch code yet start from;
:class:`Workers` puts the caller's count back once its threads are ready.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable

import torch

_Job = Callable[[], object]  # what a job returns is dropped
_Done = queue.SimpleQueue[BaseException | None]  # a run's outcomes, one per job


class Workers:
    """``n`` daemon threads that each run one job per :meth:`run`, on one intra-op thread."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._lock = threading.Lock()  # fits in several threads take turns
        self._jobs: list[queue.SimpleQueue[tuple[_Job, _Done]]] = [
            queue.SimpleQueue() for _ in range(n)]
        threads = torch.get_num_threads()  # the caller's count, before the workers set theirs
        ready = threading.Barrier(n + 1)
        for jobs in self._jobs:
            threading.Thread(target=_serve, args=(jobs, ready), daemon=True,
                             name="vaeaug-shard").start()
        ready.wait()
        torch.set_num_threads(threads)  # also the default of threads yet to run torch code

    def run(self, jobs: list[_Job]) -> None:
        """Run ``jobs`` (at most ``n``), one per thread; return when all have finished.

        Raises the first exception a job raised, once every job has finished. Each call
        collects its own jobs' outcomes: a call interrupted while waiting (Ctrl-C) leaves
        nothing behind that the next call would take for its own.
        """
        if len(jobs) > self.n:
            raise ValueError(f"{len(jobs)} jobs for {self.n} threads")
        done: _Done = queue.SimpleQueue()
        with self._lock:
            for queue_, job in zip(self._jobs, jobs):
                queue_.put((job, done))
            errors = [done.get() for _ in jobs]
        for error in errors:
            if error is not None:
                raise error


def _serve(jobs: queue.SimpleQueue[tuple[_Job, _Done]], ready: threading.Barrier) -> None:
    """A worker thread's life: one intra-op thread, then jobs until the process ends."""
    # torch sets a thread's count from the process default on the thread's first parallel
    # operation (or count query), unless it did so already: do it now, so that the count
    # set next stays, whatever the default becomes.
    torch.get_num_threads()
    torch.set_num_threads(1)
    ready.wait()
    while True:
        job, done = jobs.get()
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by run
            done.put(exc)
        else:
            done.put(None)


_pools: dict[tuple[int, int], Workers] = {}
_pools_lock = threading.Lock()


def workers(n: int) -> Workers:
    """This process's pool of ``n`` workers, started on first use (and again in a forked
    child, which inherits the pool but not its threads)."""
    key = (os.getpid(), n)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = Workers(n)
        return pool
