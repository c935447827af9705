"""GPU probe (lent device only): which deterministic per-label row sum is fastest for the
label rows' gradient; a 64-wide fit's samples/s; and the top kernels of one fit.

    python benchmarks/gpu_label_grad.py

``benchmarks/results/gpu-label-grad-h200.txt`` is the output of the version at commit
c134d49, which timed the fits through a patched copy of the library's label gradient (the
same code; another variant there failed on a non-contiguous gradient), and ran before the
library replayed its steps from CUDA graphs: the fit figures now include the graphs.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

import torch
from sklearn.datasets import make_classification

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import epoch_seconds  # noqa: E402

from vaeaug import CVAEOverSampler, fast_step  # noqa: E402


def split_k(oh: torch.Tensor, g: torch.Tensor, parts: int = 64) -> torch.Tensor:
    b = g.shape[0]
    if b % parts:
        return oh.t() @ g
    m = b // parts
    return torch.bmm(oh.t().reshape(oh.shape[1], parts, m).transpose(0, 1),
                     g.reshape(parts, m, g.shape[1])).sum(0)


VARIANTS = {
    "oh.t() @ g (current)": lambda oh, y, g, lab: oh.t() @ g,
    "(g.t() @ oh).t()": lambda oh, y, g, lab: (g.t() @ oh).t().contiguous(),
    "broadcast sum": lambda oh, y, g, lab: (oh.unsqueeze(2) * g.unsqueeze(1)).sum(0),
    "split-K bmm (64)": lambda oh, y, g, lab: split_k(oh, g),
    "index_add_ (atomic)": lambda oh, y, g, lab: torch.zeros_like(lab).index_add_(0, y, g),
}


def cuda_ms(fn, reps: int = 200) -> float:
    for _ in range(10):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps


def main() -> None:
    print(torch.cuda.get_device_name(), torch.__version__)
    for batch in (8192, 65536):
        y = torch.randint(0, 2, (batch,), device="cuda")
        g = torch.randn(batch, 64, device="cuda")
        lab = torch.zeros(2, 64, device="cuda")
        oh = fast_step.one_hot(y, 2, g.dtype)
        ref = torch.zeros_like(lab).index_add_(0, y, g)
        for name, fn in VARIANTS.items():
            args = (oh, y, g, lab)
            ms = cuda_ms(lambda fn=fn, args=args: fn(*args))
            err = (fn(oh, y, g, lab) - ref).abs().max().item()
            print(f"batch {batch:6d}  {name:24s} {ms * 1000:8.1f} us  max|diff| {err:.2e}")

    X, y = make_classification(n_samples=200_000, n_features=50, random_state=0)
    X = X.astype("float32")
    for batch in (8192, 65536):
        def make(epochs: int, batch=batch) -> CVAEOverSampler:
            return CVAEOverSampler(batch_size=batch, hidden_dims=(64, 64), epochs=epochs,
                                   balance_classes=False, device="cuda", random_state=0)
        secs = statistics.median(epoch_seconds(make, X, y, repeats=2, few=2, more=12))
        print(f"fit 64-wide, batch {batch:6d}: {200_000 / secs:12,.0f} samples/s", flush=True)

    from torch.profiler import ProfilerActivity, profile
    sampler = CVAEOverSampler(batch_size=65536, hidden_dims=(64, 64), epochs=3,
                              balance_classes=False, device="cuda", random_state=0)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        sampler.fit(X, y)
    try:
        print(prof.key_averages().table(sort_by="device_time_total", row_limit=25))
    except Exception:  # older torch names the key cuda_time_total
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25))


if __name__ == "__main__":
    main()
