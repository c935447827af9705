"""The hand-derived training step matches autograd: same loss, same gradients."""

import functools

import pytest
import torch

from vaeaug.fast_step import FastStep, one_hot, supports
from vaeaug.model import CVAE, ConvCVAE, init_parameters, kl_divergence, reconstruction_loss
from vaeaug.preprocessing import CATEGORICAL, NUMERIC, Span
from vaeaug.training import FusedAdam, adam, autograd_step

SPANS = {
    "numeric": [Span(0, 1, NUMERIC), Span(1, 1, NUMERIC), Span(2, 1, NUMERIC)],
    "mixed": [Span(0, 1, NUMERIC), Span(1, 3, CATEGORICAL), Span(4, 1, NUMERIC),
              Span(5, 2, CATEGORICAL)],
}


def batch(spans, n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    width = spans[-1].stop
    x = torch.randn(n, width, generator=g)
    for s in spans:
        if s.kind == CATEGORICAL:
            codes = torch.randint(s.width, (n,), generator=g)
            x[:, s.start:s.stop] = torch.nn.functional.one_hot(codes, s.width).float()
    y = torch.randint(3, (n,), generator=g)
    return x, y


@pytest.mark.parametrize("kind", ["numeric", "mixed"])
@pytest.mark.parametrize("hidden", [(16,), (16, 8, 4)])
@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_same_loss_and_gradients_as_autograd(kind, hidden, beta):
    spans = SPANS[kind]
    model = CVAE(spans[-1].stop, 3, 4, hidden)
    init_parameters(model, torch.Generator().manual_seed(1))
    assert_matches_autograd(model, spans, beta)


def assert_matches_autograd(model, spans, beta, device="cpu"):
    """FastStep's loss and gradients equal autograd's on one batch (on the model's
    ``device``); return autograd's."""
    x, y = (t.to(device) for t in batch(spans))
    recon = functools.partial(reconstruction_loss, spans=spans)

    ref_loss = autograd_step(model, recon, beta)(x, y, torch.Generator(device).manual_seed(7))
    ref = {name: p.grad.clone() for name, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    loss = FastStep(model, spans, beta)(x, y, torch.Generator(device).manual_seed(7))

    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5)
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, ref[name], rtol=1e-4, atol=1e-6, msg=name)
    return ref


def test_only_the_mlp_cvae_takes_the_fast_path():
    assert supports(CVAE(3, 2, 2, (4,)))
    assert not supports(ConvCVAE((1, 8, 8), 2, 2, (4, 4)))


@pytest.mark.parametrize("kind", ["numeric", "mixed"])
def test_same_gradients_where_the_log_variance_is_clamped(kind):
    # Log-variances pushed past both clamp limits: their gradient must be zero, as autograd's.
    spans = SPANS[kind]
    model = CVAE(spans[-1].stop, 3, 4, (16,))
    init_parameters(model, torch.Generator().manual_seed(1))
    with torch.no_grad():
        model.head.bias[4:] = torch.tensor([30.0, -30.0, 0.0, 30.0])
    ref = assert_matches_autograd(model, spans, 0.3)
    assert (ref["head.bias"][[4, 5, 7]] == 0).all()


@pytest.mark.parametrize("skip_bias", [True, False])
def test_fused_adam_updates_exactly_as_torch_adam(skip_bias):
    # Our direct call of the fused kernel must match torch.optim.Adam(fused=True) bit for bit:
    # with one step counter shared by all parameters (every step reaches every parameter),
    # and after a parameter gets no gradient in some steps (the counters then differ).
    spans = SPANS["mixed"]
    models = []
    for _ in range(2):
        model = CVAE(spans[-1].stop, 3, 4, (16, 8))
        init_parameters(model, torch.Generator().manual_seed(1))
        models.append(model)
    before = [p.detach().clone() for p in models[0].parameters()]
    ours = adam(models[0], 1e-2)
    assert isinstance(ours, FusedAdam)
    reference = torch.optim.Adam(models[1].parameters(), lr=1e-2, fused=True)
    for i in range(6):
        x, y = batch(spans, seed=i)
        for model, optimizer in ((models[0], ours), (models[1], reference)):
            model.zero_grad(set_to_none=True)
            FastStep(model, spans, 0.3)(x, y, torch.Generator().manual_seed(i))
            if skip_bias and i % 3 == 2:
                model.out.bias.grad = None
            optimizer.step()
    for (name, a), b in zip(models[0].named_parameters(), models[1].parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert all(not torch.equal(a, b) for a, b in zip(models[0].parameters(), before))
    assert ours.shared_count is not skip_bias
    steps = reference.state[models[1].out.bias]["step"]
    assert float(ours.steps[-1]) == float(steps) == (4 if skip_bias else 6)


def test_steps_write_into_the_same_gradient_tensors():
    """Successive steps overwrite one gradient tensor per parameter (no allocation per step),
    and each step's values are its own batch's, whatever the step before wrote."""
    spans = SPANS["mixed"]
    model = CVAE(spans[-1].stop, 3, 4, (16, 8))
    init_parameters(model, torch.Generator().manual_seed(3))
    recon = functools.partial(reconstruction_loss, spans=spans)
    step = FastStep(model, spans, 0.3)
    step(*batch(spans, seed=20), torch.Generator().manual_seed(0))
    first = {name: p.grad for name, p in model.named_parameters()}
    x, y = batch(spans, seed=21)
    autograd_step(model, recon, 0.3)(x, y, torch.Generator().manual_seed(1))
    ref = {name: p.grad.clone() for name, p in model.named_parameters()}
    for name, p in model.named_parameters():
        p.grad = first[name]  # as the first step left them
    step(x, y, torch.Generator().manual_seed(1))
    for name, p in model.named_parameters():
        assert p.grad is first[name], name
        torch.testing.assert_close(p.grad, ref[name], rtol=1e-4, atol=1e-6, msg=name)


def test_gradients_left_by_the_step_accept_autograd_and_the_loss_is_a_plain_number():
    """The step runs without autograd (inference mode), but what it leaves behind must work
    as usual afterwards: autograd accumulates into the same ``.grad`` tensors, and the loss
    adds into a running total."""
    spans = SPANS["mixed"]
    model = CVAE(spans[-1].stop, 3, 4, (16, 8))
    init_parameters(model, torch.Generator().manual_seed(4))
    recon = functools.partial(reconstruction_loss, spans=spans)
    x, y = batch(spans, seed=30)
    loss = FastStep(model, spans, 0.3)(x, y, torch.Generator().manual_seed(0))
    fast = {name: p.grad.clone() for name, p in model.named_parameters()}
    total = torch.zeros(())
    total += loss
    assert float(total) == float(loss)
    output, mu, logvar = model(x, y, torch.Generator().manual_seed(0))
    (recon(output, x) + 0.3 * kl_divergence(mu, logvar)).mean().backward()  # accumulates
    for name, p in model.named_parameters():
        assert not p.grad.is_inference(), name
        torch.testing.assert_close(p.grad, 2 * fast[name], rtol=1e-4, atol=1e-6, msg=name)


def test_one_step_object_reused_over_batches_of_two_sizes_matches_autograd():
    """The step keeps its per-sample buffers between calls (one set per batch length): every
    call must still give autograd's loss and gradients, whatever the calls before it."""
    spans = SPANS["mixed"]
    model = CVAE(spans[-1].stop, 3, 4, (16, 8))
    init_parameters(model, torch.Generator().manual_seed(2))
    recon = functools.partial(reconstruction_loss, spans=spans)
    step = FastStep(model, spans, 0.3)
    for i, n in enumerate([32, 7, 32, 7, 32]):
        x, y = batch(spans, n=n, seed=10 + i)
        ref_loss = autograd_step(model, recon, 0.3)(x, y, torch.Generator().manual_seed(i))
        ref = {name: p.grad.clone() for name, p in model.named_parameters()}
        model.zero_grad(set_to_none=True)
        loss = step(x, y, torch.Generator().manual_seed(i))
        assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5)
        for name, p in model.named_parameters():
            torch.testing.assert_close(p.grad, ref[name], rtol=1e-4, atol=1e-6, msg=name)
    assert {key[0] for key in step._plans} == {32, 7}


def test_one_hot_product_sums_rows_per_label_like_index_add():
    # CUDA takes the one-hot product (reproducible), the CPU index_add_: same sums.
    g = torch.Generator().manual_seed(3)
    y = torch.randint(4, (50,), generator=g)
    y[0] = 3  # every label present or not, the shapes must hold
    grad = torch.randn(50, 6, generator=g)
    by_product = one_hot(y, 5, grad.dtype).t() @ grad
    torch.testing.assert_close(by_product, torch.zeros(5, 6).index_add_(0, y, grad))
    assert torch.equal(one_hot(y, 5, torch.float32).sum(1), torch.ones(50))


def _step_outputs(monkeypatch, script: bool, one_hot_labels: bool = False, kind="mixed",
                  hidden=(16, 8)):
    """Loss and gradients of three steps (two batch lengths) with the plans compiled by
    TorchScript or run as Python; and the runners used."""
    from vaeaug import fast_step

    monkeypatch.setattr(fast_step, "SCRIPT_ON_CPU", script)
    spans = SPANS[kind]
    model = CVAE(spans[-1].stop, 3, 4, hidden)
    init_parameters(model, torch.Generator().manual_seed(5))
    step = FastStep(model, spans, 0.3)
    outputs = []
    for i, n in enumerate([32, 7, 32]):
        x, y = batch(spans, n=n, seed=40 + i)
        plan, _ = step._plan(x)
        plan.one_hot_labels = one_hot_labels
        loss = step(x, y, torch.Generator().manual_seed(i))
        outputs.append([loss.clone()] + [p.grad.clone() for p in model.parameters()])
    return outputs, [run for _, run in step._plans.values()]


def _identical(outputs, reference) -> bool:
    """Every loss and gradient of ``outputs`` equal to ``reference``'s, bit for bit."""
    return all(torch.equal(u, v) for a, b in zip(outputs, reference, strict=True)
               for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize(("kind", "hidden"), [("mixed", (16, 8)), ("numeric", (16,)),
                                             ("mixed", (8, 8, 4))])
def test_compiled_step_gives_the_python_step_results_bit_for_bit(monkeypatch, kind, hidden):
    """On the CPU the step runs compiled by TorchScript: the same operators in the same
    order, so the same numbers exactly, not approximately. Plans of every model are copies
    of one compiled template: none may keep the template's (or an earlier plan's) tensors."""
    compiled, runs = _step_outputs(monkeypatch, script=True, kind=kind, hidden=hidden)
    python, python_runs = _step_outputs(monkeypatch, script=False, kind=kind, hidden=hidden)
    assert all(isinstance(run, torch.jit.ScriptModule) for run in runs) and len(runs) == 2
    assert not any(isinstance(run, torch.jit.ScriptModule) for run in python_runs)
    assert _identical(compiled, python)


def test_plans_are_copied_from_one_compilation_per_process(monkeypatch):
    from vaeaug import fast_step

    _step_outputs(monkeypatch, script=True)  # the template exists from here on
    calls = []
    script = torch.jit.script
    monkeypatch.setattr(torch.jit, "script", lambda *a, **k: calls.append(a) or script(*a, **k))
    _, runs = _step_outputs(monkeypatch, script=True, kind="numeric", hidden=(16,))
    assert calls == [] and len(runs) == 2
    assert all(run is not fast_step._template for run in runs)


def test_one_hot_label_gradients_equal_index_add_ones(monkeypatch):
    # CUDA sums the label rows' gradients as a product with one-hot labels (reproducible);
    # run on the CPU here, both ways must give the same gradients.
    from vaeaug import fast_step

    by_index_add, _ = _step_outputs(monkeypatch, script=False)
    built = []
    monkeypatch.setattr(fast_step, "one_hot", lambda *a: built.append(a) or one_hot(*a))
    by_product, _ = _step_outputs(monkeypatch, script=False, one_hot_labels=True)
    assert len(built) == 3  # once per step, shared by the encoder and the decoder
    for a, b in zip(by_index_add, by_product):
        for u, v in zip(a, b):
            torch.testing.assert_close(u, v, rtol=1e-5, atol=1e-6)


def test_step_runs_as_python_where_torchscript_fails(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no TorchScript here")

    from vaeaug import fast_step

    monkeypatch.setattr(torch.jit, "script", broken)
    monkeypatch.setattr(fast_step, "_template", None)
    outputs, runs = _step_outputs(monkeypatch, script=True)
    assert not any(isinstance(run, torch.jit.ScriptModule) for run in runs)
    reference, _ = _step_outputs(monkeypatch, script=False)
    assert _identical(outputs, reference)


def test_plan_is_compiled_on_its_own_where_the_template_copy_fails(monkeypatch):
    from vaeaug import fast_step

    def broken(plan):
        raise RuntimeError("an attribute of another type")

    monkeypatch.setattr(fast_step, "_from_template", broken)
    outputs, runs = _step_outputs(monkeypatch, script=True)
    assert all(isinstance(run, torch.jit.ScriptModule) for run in runs)
    reference, _ = _step_outputs(monkeypatch, script=False)
    assert _identical(outputs, reference)


def test_compiling_the_template_leaves_torch_s_global_random_state(monkeypatch):
    from vaeaug import fast_step

    monkeypatch.setattr(fast_step, "_template", None)
    spans = SPANS["numeric"]
    step = FastStep(CVAE(spans[-1].stop, 3, 4, (16,)), spans, 0.3)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    _, run = step._plan(batch(spans)[0])  # builds and compiles the template, then the plan
    assert fast_step._template is not None and isinstance(run, torch.jit.ScriptModule)
    assert torch.equal(torch.rand(3), expected)


def test_compiled_step_leaves_torchscript_settings_as_they_were():
    spans = SPANS["numeric"]
    model = CVAE(spans[-1].stop, 3, 4, (16,))
    step = FastStep(model, spans, 0.3)
    before = torch._C._get_graph_executor_optimize()
    step(*batch(spans), torch.Generator().manual_seed(0))
    assert torch._C._get_graph_executor_optimize() == before
