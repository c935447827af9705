"""Training helpers: device choice, training under autocast."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from vaeaug import CVAEOverSampler
from vaeaug import sampler as sampler_module
from vaeaug.training import autocast_enabled, resolve_device


@pytest.mark.parametrize("cuda", [True, False])
def test_device_auto_takes_cuda_when_present(monkeypatch, cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert resolve_device("auto") == torch.device("cuda" if cuda else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")


def test_autocast_enabled_sees_the_callers_context():
    cpu = torch.device("cpu")
    assert not autocast_enabled(cpu)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert autocast_enabled(cpu)


def test_fit_under_bf16_autocast_trains_like_float32(monkeypatch):
    # Autocast caches its bfloat16 copies of the weights until its outermost context exits,
    # and the hand-derived step writes float32 gradients: a fit inside autocast must train
    # with autograd and drop that cache after every update, or it learns nothing.
    X, y = make_classification(n_samples=600, n_features=12, weights=[0.85], random_state=0)
    kw = {"device": "cpu", "epochs": 8, "random_state": 0}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = CVAEOverSampler(**kw)
        X_res, y_res = half.fit_resample(X, y)
        latent = half.encode(X[:5], y[:5])
    # The float32 reference trains by autograd too (same loss and gradients as FastStep).
    monkeypatch.setattr(sampler_module, "autocast_enabled", lambda device: True)
    full = CVAEOverSampler(**kw).fit(X, y)
    # bfloat16 rounding differs between processors: the fit must learn (without the fix
    # its loss stayed flat), and end close to float32's, not match it step for step.
    for fitted in (half, full):
        assert fitted.history_[-1] < 0.9 * fitted.history_[0]
    assert half.history_[-1] == pytest.approx(full.history_[-1], rel=0.05)
    assert X_res.dtype == np.float64 and np.isfinite(X_res).all()
    assert np.bincount(y_res).tolist() == [np.bincount(y).max()] * 2
    assert latent.dtype == np.float32 and np.isfinite(latent).all()
