"""Training helpers: device choice, batches, training under autocast."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from vaeaug import CVAEOverSampler, training
from vaeaug import sampler as sampler_module
from vaeaug.training import (
    BalancedDraw,
    autocast_enabled,
    batch_indices,
    class_weights,
    epoch_rows,
    resolve_device,
)


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


@pytest.mark.parametrize("chunk_elements", [1, 40, 1 << 22])
def test_epoch_rows_hands_out_each_batchs_rows_in_order(monkeypatch, chunk_elements):
    # Rows are gathered many batches at a time (one batch, three, or all per chunk here)
    # into reused buffers; every batch must still get exactly its own rows, the last,
    # shorter one included, in every epoch.
    monkeypatch.setattr(training, "CHUNK_ELEMENTS", chunk_elements)
    X = torch.arange(23 * 3, dtype=torch.float32).reshape(23, 3)
    y = torch.arange(23) % 2
    buffers: dict[int, torch.Tensor] = {}
    generator = torch.Generator().manual_seed(0)
    for _ in range(2):
        batches = batch_indices(y, 4, True, generator)
        got = [(xb.clone(), yb.clone()) for xb, yb in epoch_rows(X, y, batches, buffers)]
        assert len(got) == len(batches) == 6
        for (xb, yb), idx in zip(got, batches):
            assert torch.equal(xb, X[idx]) and torch.equal(yb, y[idx])


def test_balanced_draw_kept_between_epochs_draws_the_same_batches():
    # train_cvae makes the class-balanced draw once per fit and passes it in: the draws
    # must be those batch_indices makes from the labels alone, and up to
    # MULTINOMIAL_MAX_ROWS those of torch.multinomial over the class weights (so that small
    # tables' fits give the rows they always gave).
    y = torch.tensor([0] * 17 + [1] * 4 + [2] * 2)
    weights = class_weights(y)
    assert torch.allclose(weights[y == 0].sum(), weights[y == 2].sum())
    balanced = BalancedDraw(y)
    fresh, kept, plain = (torch.Generator().manual_seed(3) for _ in range(3))
    for _ in range(3):
        a = batch_indices(y, 5, True, fresh)
        b = batch_indices(y, 5, True, kept, balanced=balanced)
        c = torch.multinomial(weights, len(y), replacement=True, generator=plain)
        assert len(a) == len(b) == 5
        assert all(torch.equal(i, j) for i, j in zip(a, b))
        assert torch.equal(torch.cat(b), c)


@pytest.mark.parametrize("large", [False, True])
def test_balanced_draw_gives_every_class_and_row_its_share(monkeypatch, large):
    # Above MULTINOMIAL_MAX_ROWS rows the draw picks a class, then a row of it, in linear
    # time: the same distribution as the multinomial one. Labels 0, 2 and 5 (1, 3 and 4
    # absent) with 17, 4 and 2 rows, shuffled.
    if large:
        monkeypatch.setattr(training, "MULTINOMIAL_MAX_ROWS", 10)
    shuffle = torch.randperm(23, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0] * 17 + [2] * 4 + [5] * 2)[shuffle]
    draws = 60_000
    idx = BalancedDraw(y)(draws, torch.Generator().manual_seed(1))
    assert idx.dtype == torch.long and idx.shape == (draws,)
    assert int(idx.min()) >= 0 and int(idx.max()) < 23
    per_row = torch.bincount(idx, minlength=23).double() / draws
    for label, rows in [(0, 17), (2, 4), (5, 2)]:
        in_class = per_row[y == label]
        assert abs(float(in_class.sum()) - 1 / 3) < 0.01  # each class a third
        # each row of the class an equal part of its third (binomial sd at most 0.0016 here)
        assert torch.allclose(in_class, torch.full_like(in_class, 1 / (3 * rows)), atol=0.006)
    again = BalancedDraw(y)(draws, torch.Generator().manual_seed(1))
    assert torch.equal(idx, again)  # the same seed, the same rows


def test_fit_reproducible_with_the_linear_time_draw(monkeypatch):
    # A fit whose rows are drawn by BalancedDraw's own draw trains and repeats itself.
    X, y = make_classification(n_samples=300, n_features=5, weights=[0.8], random_state=0)
    multinomial = CVAEOverSampler(epochs=3, random_state=0).fit(X, y)
    monkeypatch.setattr(training, "MULTINOMIAL_MAX_ROWS", 50)
    fits = [CVAEOverSampler(epochs=3, random_state=0).fit(X, y) for _ in range(2)]
    assert fits[0].history_ == fits[1].history_
    assert np.isfinite(fits[0].history_).all()
    assert fits[0].history_ != multinomial.history_  # the other draw was taken


def test_cuda_graphs_only_for_graph_safe_steps_on_cuda(monkeypatch):
    from vaeaug import cuda_graphs
    from vaeaug.fast_step import FastStep

    class Step:  # an autograd step: no cuda_graph_safe
        pass

    # present on CUDA builds of torch; pretend so, to test the other conditions
    monkeypatch.setattr(torch.cuda.CUDAGraph, "register_generator_state",
                        lambda self, generator: None, raising=False)
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert FastStep.cuda_graph_safe
    assert cuda_graphs.usable(FastStep, cuda)
    assert not cuda_graphs.usable(FastStep, cpu)
    assert not cuda_graphs.usable(Step(), cuda)
    monkeypatch.setattr(cuda_graphs, "ENABLED", False)
    assert not cuda_graphs.usable(FastStep, cuda)


def test_cpu_training_does_not_make_graphed_steps(monkeypatch):
    from vaeaug import cuda_graphs

    def refuse(*args, **kwargs):
        raise AssertionError("GraphedStep made for a CPU fit")

    monkeypatch.setattr(cuda_graphs, "GraphedStep", refuse)
    monkeypatch.setattr(torch.cuda.CUDAGraph, "register_generator_state",
                        lambda self, generator: None, raising=False)
    X, y = make_classification(n_samples=120, n_features=4, weights=[0.8], random_state=0)
    CVAEOverSampler(epochs=2, device="cpu", random_state=0).fit(X, y)
