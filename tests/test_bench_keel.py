"""benchmarks/keel.py: the sampler specs the KEEL runs of docs/benchmarks.md name."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
keel = pytest.importorskip("keel")


def test_majority_knob_grows_every_class_to_the_same_enlarged_count():
    y = np.array([0] * 101 + [1] * 12 + [2] * 30)
    sampler = keel.make_sampler("vaeaug:majority=50", 12, seed=0)
    # round(50.5) == 50 (to even): 101 + 50 rows in every class, the majority included
    assert sampler.sampling_strategy(y) == {0: 151, 1: 151, 2: 151}
    assert keel.extra_majority_rows(101, 50) == 50
    assert keel.extra_majority_rows(80, 25) == 20


def test_majority_knob_resamples_to_the_counts_it_asks_for():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array([0] * 48 + [1] * 12)
    sampler = keel.make_sampler("vaeaug:majority=25;epochs=2", 12, seed=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [60, 60]
    np.testing.assert_array_equal(X_res[:60], X)  # the real rows first, unchanged
