"""A large CPU batch split into shards that run side by side (FastStep.shards, vaeaug.workers)."""

import functools
import threading

import numpy as np
import pytest
import torch

import vaeaug.fast_step as fast_step
import vaeaug.sampler as sampler_module
from vaeaug import CVAEOverSampler
from vaeaug.fast_step import FastStep
from vaeaug.model import CVAE, init_parameters, reconstruction_loss
from vaeaug.training import autograd_step
from vaeaug.workers import Workers, workers

from .test_fast_step import SPANS, batch


def _model(spans, seed=1):
    model = CVAE(spans[-1].stop, 3, 4, (16, 8))
    init_parameters(model, torch.Generator().manual_seed(seed))
    return model


@pytest.mark.parametrize("kind", ["numeric", "mixed"])
@pytest.mark.parametrize("shards", [2, 3])
def test_sharded_step_is_the_row_weighted_mean_of_its_shards(monkeypatch, kind, shards):
    """Each shard is an ordinary step over its rows, with its own generator seeded from the
    batch's; the batch's loss and gradients are the shards' weighted by their rows (34 rows:
    shards of unequal length)."""
    monkeypatch.setattr(fast_step, "SHARD_MIN_ROWS", 4)
    spans = SPANS[kind]
    model = _model(spans)
    x, y = batch(spans, n=34)
    recon = functools.partial(reconstruction_loss, spans=spans)
    seeds = torch.randint(1 << 62, (shards,), generator=torch.Generator().manual_seed(5))
    ref_loss, ref = 0.0, {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for seed, x_part, y_part in zip(seeds.tolist(), x.tensor_split(shards),
                                    y.tensor_split(shards)):
        weight = len(x_part) / len(x)
        loss = autograd_step(model, recon, 0.3)(x_part, y_part,
                                                torch.Generator().manual_seed(seed))
        ref_loss += weight * loss.item()
        for name, p in model.named_parameters():
            ref[name] += weight * p.grad
        model.zero_grad(set_to_none=True)

    step = FastStep(model, spans, 0.3, shards=shards)
    assert step.splits(len(x))
    loss = step(x, y, torch.Generator().manual_seed(5))

    assert loss.item() == pytest.approx(ref_loss, rel=1e-5)
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, ref[name], rtol=1e-4, atol=1e-6, msg=name)


def test_batches_too_small_to_split_take_the_one_plan_bit_for_bit(monkeypatch):
    monkeypatch.setattr(fast_step, "SHARD_MIN_ROWS", 32)
    spans = SPANS["mixed"]
    x, y = batch(spans, n=40)  # under 2 x 32 rows
    grads = []
    for shards in (1, 2):
        model = _model(spans)
        step = FastStep(model, spans, 0.3, shards=shards)
        assert not step.splits(len(x))
        step(x, y, torch.Generator().manual_seed(0))
        grads.append([p.grad for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*grads))


def _fit(**params):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = (rng.random(300) < 0.3).astype(int)
    return CVAEOverSampler(batch_size=64, epochs=3, random_state=0, **params).fit(X, y)


def test_a_sharded_fit_is_reproducible_and_leaves_torch_s_thread_count(monkeypatch):
    monkeypatch.setattr(fast_step, "SHARD_MIN_ROWS", 8)
    monkeypatch.setattr(sampler_module, "cpu_shards", lambda device: 2)  # on any CPU
    threads = torch.get_num_threads()
    calls = []
    original = FastStep._sharded
    monkeypatch.setattr(FastStep, "_sharded",
                        lambda self, *a: calls.append(1) or original(self, *a))
    first, second = _fit(), _fit()
    assert calls  # the batches were sharded
    assert torch.get_num_threads() == threads
    assert first.history_ == second.history_
    for p, q in zip(first.module_.parameters(), second.module_.parameters()):
        assert torch.equal(p, q)
    rows, _ = first.sample(50, y=1)
    assert np.isfinite(rows).all()
    # the same training, within float rounding, as the one plan's (another draw of eps)
    monkeypatch.setattr(sampler_module, "cpu_shards", fast_step.cpu_shards)
    monkeypatch.setattr(fast_step, "SHARDS_ON_CPU", False)
    whole = _fit()
    assert whole.history_[-1] == pytest.approx(first.history_[-1], rel=0.2)
    assert whole.history_[-1] != first.history_[-1]


def test_workers_run_jobs_on_one_thread_each_and_pass_errors_back():
    pool = Workers(2)
    seen = []

    def record():
        seen.append((threading.current_thread().name, torch.get_num_threads()))

    pool.run([record, record])
    assert sorted(seen) == [("vaeaug-shard", 1)] * 2
    assert len({id(t) for t in threading.enumerate() if t.name == "vaeaug-shard"}) >= 2

    def fail():
        raise ZeroDivisionError("shard")

    with pytest.raises(ZeroDivisionError, match="shard"):
        pool.run([record, fail])
    pool.run([record])  # still serving after an error
    assert len(seen) == 4
    with pytest.raises(ValueError, match="3 jobs for 2 threads"):
        pool.run([record] * 3)


def test_cpu_shards_are_the_thread_count_on_the_cpu_only(monkeypatch):
    assert fast_step.cpu_shards(torch.device("cpu")) == torch.get_num_threads()
    assert fast_step.cpu_shards(torch.device("meta")) == 1
    spans = SPANS["numeric"]
    assert FastStep(_model(spans), spans, 0.3, shards=2).splits(1 << 20)
    assert not FastStep(_model(spans).to("meta"), spans, 0.3, shards=2).splits(1 << 20)
    monkeypatch.setattr(fast_step, "SHARDS_ON_CPU", False)
    assert fast_step.cpu_shards(torch.device("cpu")) == 1


def test_the_process_pool_is_made_once_and_keeps_the_caller_s_thread_count():
    """Workers set torch's count to one for themselves; torch also stores it as the default
    that new threads start from, which :class:`Workers` puts back."""
    threads = torch.get_num_threads()
    assert workers(5) is workers(5)
    assert workers(3) is not workers(5)
    Workers(2)  # made directly, too
    assert torch.get_num_threads() == threads
    fresh = []
    thread = threading.Thread(target=lambda: fresh.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    assert fresh == [threads]
