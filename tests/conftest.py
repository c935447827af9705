"""Shared fixtures: small data sets and a fast sampler configuration."""

import numpy as np
import pandas as pd
import pytest
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
