"""Drawing new encoded rows of one class from a trained CVAE (torch only).

Three ways to choose the latent code, compared in docs/benchmarks.md:

``"prior"``
    z ~ N(0, I), decoded with the class label: the textbook CVAE sample.
``"posterior"``
    pick a real row x_i of the class, z ~ q(z | x_i, y), decode.
``"residual"``
    pick a real row x_i, z' ~ q(z | x_i, y) and move x_i by the decoder's change:
    x_new = x_i + dec(z', y) - dec(mu_i, y). The row keeps the detail the decoder cannot
    reproduce and moves along the manifold the model learned. Categorical blocks move in
    probability space (one-hot + softmax difference), so a category changes only where the
    decoder finds another one more likely at z' than the row's own is at mu_i.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .model import CVAE
from .preprocessing import NUMERIC, Span

METHODS = ("prior", "posterior", "residual")


@torch.no_grad()
def generate(
    model: CVAE,
    X_class: torch.Tensor,
    label: int,
    n: int,
    method: str,
    generator: torch.Generator,
    spans: Sequence[Span] = (),
    temperature: float = 1.0,
) -> torch.Tensor:
    """``n`` new encoded rows of class ``label``; ``X_class`` holds that class's real rows.

    ``temperature`` scales the spread of the latent draw (prior or posterior); ``spans``
    tells the residual method which blocks are categorical.
    """
    model.eval()
    device = model.out.weight.device
    y = torch.full((n,), label, dtype=torch.long, device=device)
    if method == "prior":
        z = temperature * torch.randn((n, model.latent_dim), generator=generator, device=device)
        return model.decode(z, y)
    seeds = X_class[torch.randint(X_class.shape[0], (n,), generator=generator, device=device)]
    mu, logvar = model.encode(seeds, y)
    z = model.reparameterize(mu, logvar, generator, temperature)
    if method == "posterior":
        return model.decode(z, y)
    if method == "residual":
        moved, start = model.decode(z, y), model.decode(mu, y)
        for s in spans:
            if s.kind != NUMERIC:
                moved[:, s.start : s.stop] = moved[:, s.start : s.stop].softmax(dim=1)
                start[:, s.start : s.stop] = start[:, s.start : s.stop].softmax(dim=1)
        return seeds + moved - start
    raise ValueError(f"unknown generation method {method!r}; choose one of {METHODS}")
