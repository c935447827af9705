"""A hand-derived training step for the MLP CVAE: the same loss and gradients as autograd,
in a third of the time.

A default model has about 10,000 parameters, so an autograd step is mostly bookkeeping
(building and walking a graph of some 40 nodes), not arithmetic. This module computes the
forward pass without recording it and the gradients with one matrix product per weight.
``tests/test_fast_step.py`` checks the gradients against autograd.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeGuard

import torch
from torch import nn

from .model import CVAE, LabelledLinear
from .preprocessing import Span, categorical_blocks

# weight, its transpose (a view, taken once: the optimiser updates the weight in place),
# bias, label rows
Layer = tuple[torch.Tensor, torch.Tensor, torch.Tensor, "torch.Tensor | None"]


def _layers(first: LabelledLinear, rest: nn.Sequential) -> list[Layer]:
    """The parameters of a labelled layer and the linear layers after it, in order."""
    linears = [m for m in rest if isinstance(m, nn.Linear)]
    return [(first.linear.weight, first.linear.weight.t(), first.linear.bias,
             first.label.weight)] + [(m.weight, m.weight.t(), m.bias, None) for m in linears]


class FastStep:
    """Loss and gradients of a :class:`~vaeaug.model.CVAE` batch (Gaussian numeric columns,
    softmax categorical blocks, beta-weighted KL), written into the parameters' ``.grad``."""

    #: The same kernels on the same buffers for every batch of one length, and nothing that
    #: waits for the GPU: training may replay it from a CUDA graph (:mod:`vaeaug.cuda_graphs`).
    cuda_graph_safe = True

    def __init__(self, model: CVAE, spans: Sequence[Span], beta: float) -> None:
        self.beta = beta
        self.blocks = categorical_blocks(spans)
        # Parameter tensors are updated in place by the optimiser, so references stay valid
        # (and skip nn.Module attribute lookups, a visible cost at this size).
        self.encoder = _layers(model.enc_in, model.encoder)
        self.decoder = _layers(model.dec_in, model.decoder)
        self.head = (model.head.weight, model.head.weight.t(), model.head.bias)
        self.out = (model.out.weight, model.out.weight.t(), model.out.bias)
        # Tensors with a row per sample are written into buffers kept from step to step
        # rather than allocated afresh (megabytes per step at large batches): the same memory
        # stays warm in the caches. Bit-identical results; 4-epoch fits at batch 8,192 took
        # 1.46-1.70 s against 1.64-1.89 s (docs/performance.md).
        # One set per batch length (an epoch's last batch may be shorter), looked up once a
        # step: a lookup per buffer, with its checks, was a visible cost at the default size.
        self._buffers: dict[tuple[int, torch.dtype, torch.device], _Buffers] = {}
        self._one_hot: tuple[torch.Tensor, torch.Tensor] | None = None  # (labels, one-hot)
        self._scalar_cache: dict[tuple[int, int, torch.dtype], tuple[torch.Tensor, ...]] = {}
        # Views of those buffers (transposes, halves), taken once per buffer rather than
        # once per step: each view is a dispatch, and a default step takes some ten of them.
        # Keyed by the buffer's id; the buffer is kept with its views, so the id stays its own.
        self._views: dict[tuple[int, str], tuple[torch.Tensor, tuple[torch.Tensor, ...]]] = {}

    def _batch_buffers(self, x: torch.Tensor) -> _Buffers:
        """The reusable buffers for batches shaped like ``x``."""
        key = (x.shape[0], x.dtype, x.device)
        bufs = self._buffers.get(key)
        if bufs is None:
            bufs = self._buffers[key] = _Buffers(*key)
        return bufs

    def _view(self, t: torch.Tensor, kind: str) -> tuple[torch.Tensor, ...]:
        """``t``'s transpose (``"t"``), its column halves (``"halves"``) or its flattening
        (``"flat"``), cached while ``t`` is one of this step's buffers."""
        key = (id(t), kind)
        hit = self._views.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        views = ((t.t(),) if kind == "t" else t.chunk(2, dim=1) if kind == "halves"
                 else (t.view(-1),))
        self._views[key] = (t, views)
        return views

    def _t(self, t: torch.Tensor) -> torch.Tensor:
        return self._view(t, "t")[0]

    def _scalars(self, n: int, k: int, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
        """The step's constants for a batch of ``n`` rows and ``k`` latent dimensions, as 0-dim
        CPU tensors of the batch's dtype: a Python number is converted to a tensor on every
        use (three dispatches, a visible cost at the default step's size); the values and
        results are the same."""
        key = (n, k, dtype)
        if key not in self._scalar_cache:
            c = self.beta / n
            self._scalar_cache[key] = tuple(torch.tensor(v, dtype=dtype) for v in (
                n, 0.5, 0.5 * c, self.beta * n * k, 0.5 / n))
        return self._scalar_cache[key]

    def _forward(self, name: str, layers: list[Layer], h: torch.Tensor,
                 y: torch.Tensor, buf: _Buffers) -> list[torch.Tensor]:
        """Inputs of every layer, then the last hidden activation (all after ReLU)."""
        inputs = [h]
        for i, (weight, weight_t, bias, label) in enumerate(layers):
            out = buf(f"{name}{i}", weight.shape[0])
            if label is None:
                h = torch.addmm(bias, h, weight_t, out=out).relu_()
            else:  # the batch's rows of label + bias (index_select: faster than fancy
                # indexing on CPU; the sum taken once per label, not once per row), then the
                # product added in place
                h = torch.index_select(label + bias, 0, y, out=out).addmm_(
                    h, weight_t).relu_()
            inputs.append(h)
        return inputs

    def _label_grad(self, label: torch.Tensor, y: torch.Tensor,
                    grad: torch.Tensor) -> torch.Tensor:
        """Sum of ``grad``'s rows per label, written into the label rows' gradient."""
        out = _grad(label)
        if grad.device.type != "cuda":
            return out.zero_().index_add_(0, y, grad)
        # index_add_ accumulates with atomic adds on CUDA, in an order that changes from run
        # to run: a fixed random_state would not give the same model twice. A product with
        # the one-hot labels is reproducible (built once per batch, shared by both halves).
        if self._one_hot is None or self._one_hot[0] is not y:
            self._one_hot = (y, one_hot(y, label.shape[0], grad.dtype))
        return torch.mm(self._one_hot[1].t(), grad, out=out)

    def _backward(self, name: str, layers: list[Layer], inputs: list[torch.Tensor],
                  grad: torch.Tensor, y: torch.Tensor, buf: _Buffers,
                  need_input_grad: bool) -> torch.Tensor | None:
        """Backpropagate ``grad`` (w.r.t. the last ReLU output) through ``layers``."""
        for i in range(len(layers) - 1, -1, -1):
            weight, _, bias, label = layers[i]
            # ReLU's gradient mask in one fused kernel (10x faster than grad * (h > 0)),
            # in place: ``grad`` is always a product this step wrote.
            torch.ops.aten.threshold_backward.grad_input(grad, inputs[i + 1], 0,
                                                         grad_input=grad)
            torch.mm(self._t(grad), inputs[i], out=_grad(weight))
            if label is None:
                torch.sum(grad, 0, out=_grad(bias))
            else:  # every row has one label: the bias gradient is the sum of the label rows'
                torch.sum(self._label_grad(label, y, grad), 0, out=_grad(bias))
            if i > 0 or need_input_grad:
                grad = torch.mm(grad, weight, out=buf(f"{name}_grad{i}", weight.shape[1]))
        return grad if need_input_grad else None

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor,
                 generator: torch.Generator) -> torch.Tensor:
        """Set every parameter's gradient for batch ``(x, y)``; return the batch loss."""
        n = x.shape[0]
        (head_w, head_wt, head_b), (out_w, out_wt, out_b) = self.head, self.out
        buf = self._batch_buffers(x)
        enc = self._forward("enc", self.encoder, x, y, buf)
        k = head_w.shape[0] // 2
        n_rows, half, half_c, beta_numel, half_over_n = self._scalars(n, k, x.dtype)
        mu, raw_logvar = self._view(torch.addmm(head_b, enc[-1], head_wt,
                                                out=buf("head", 2 * k)), "halves")
        logvar = torch.clamp(raw_logvar, -12.0, 8.0, out=buf("logvar", k))
        std = torch.mul(logvar, half, out=buf("std", k)).exp_()
        eps = torch.randn(mu.shape, generator=generator, out=buf("eps", k))
        z = torch.addcmul(mu, std, eps, out=buf("z", k))
        dec = self._forward("dec", self.decoder, z, y, buf)
        out = torch.addmm(out_b, dec[-1], out_wt, out=buf("out", out_w.shape[0]))

        # Fewer, fused element-wise kernels: at TVAE's sizes (batch 500, width 128) each one
        # costs about as much as a small matrix product.
        d_out = out.sub_(x)  # Gaussian columns: d(0.5 * diff^2) = diff
        # Twice the summed loss terms, with as few operations on scalars as possible (each
        # is a dispatch or two, and a default step has some 40 of them): squared errors ...
        flat = self._view(d_out, "flat")[0]
        recon2 = torch.dot(flat, flat)
        for start, stop in self.blocks:  # softmax cross-entropy instead of squared error
            block = d_out[:, start:stop]
            recon2 -= torch.linalg.vector_norm(block).square()
            logp = torch.log_softmax(block.add_(x[:, start:stop]), dim=1)
            recon2 -= 2 * (logp * x[:, start:stop]).sum()
            block.copy_(logp.exp_().sub_(x[:, start:stop]))
        var = torch.square(std, out=buf("var", k))
        # ... and 2 KL + numel = sum(mu^2 + var - logvar), KL = -0.5 sum(1 + logvar - mu^2 - var),
        # in three kernels (a norm of the strided mu alone took 30-60 us at TVAE's sizes)
        kl2 = torch.addcmul(var, mu, mu, out=buf("kl", k)).sub_(logvar).sum()
        loss = torch.add(recon2, kl2, alpha=self.beta).sub_(beta_numel).mul_(half_over_n)

        d_out.div_(n_rows)
        torch.mm(self._t(d_out), dec[-1], out=_grad(out_w))
        torch.sum(d_out, 0, out=_grad(out_b))
        d_z = self._backward("dec", self.decoder, dec,
                             torch.mm(d_out, out_w, out=buf("d_dec", out_w.shape[1])), y,
                             buf, need_input_grad=True)
        assert d_z is not None  # asked for with need_input_grad
        c = self.beta / n
        d_head = buf("d_head", 2 * k)  # [d_mu, d_logvar], written in place
        d_mu, d_logvar_out = self._view(d_head, "halves")
        torch.add(d_z, mu, alpha=c, out=d_mu)
        d_logvar = d_z.mul_(eps).mul_(std).mul_(half).add_(var, alpha=0.5 * c).sub_(half_c)
        # clamp's gradient (zero where the raw value was clamped) in one fused kernel
        torch.ops.aten.hardtanh_backward.grad_input(d_logvar, raw_logvar, -12.0, 8.0,
                                                    grad_input=d_logvar_out)
        torch.mm(self._t(d_head), enc[-1], out=_grad(head_w))
        torch.sum(d_head, 0, out=_grad(head_b))
        self._backward("enc", self.encoder, enc,
                       torch.mm(d_head, head_w, out=buf("d_enc", head_w.shape[1])), y,
                       buf, need_input_grad=False)
        return loss


class _Buffers:
    """Tensors of ``rows`` rows for one batch length, by name, allocated on first use. A
    name's width is fixed by the model, so a name found is a buffer that fits."""

    def __init__(self, rows: int, dtype: torch.dtype, device: torch.device) -> None:
        self.rows, self.dtype, self.device = rows, dtype, device
        self.named: dict[str, torch.Tensor] = {}

    def __call__(self, name: str, columns: int) -> torch.Tensor:
        buf = self.named.get(name)
        if buf is None:
            buf = self.named[name] = torch.empty((self.rows, columns), dtype=self.dtype,
                                                 device=self.device)
        return buf


def _grad(param: torch.Tensor) -> torch.Tensor:
    """``param``'s gradient tensor, for a step to write into (allocated if it has none):
    one tensor kept for the whole fit instead of a new one per step (14 allocations and
    attribute assignments a default step)."""
    grad = param.grad
    if grad is None:
        grad = param.grad = torch.empty_like(param)
    return grad


def one_hot(y: torch.Tensor, n_labels: int, dtype: torch.dtype) -> torch.Tensor:
    """(rows, n_labels) indicator matrix of ``y``, without ``F.one_hot``'s range check (which
    waits for the GPU)."""
    return (y[:, None] == torch.arange(n_labels, device=y.device)).to(dtype)


def supports(model: nn.Module) -> TypeGuard[CVAE]:
    """Whether :class:`FastStep` can train ``model`` (the tabular MLP CVAE)."""
    return type(model) is CVAE and isinstance(model.enc_in, LabelledLinear)
