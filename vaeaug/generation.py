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

from collections.abc import Callable

import torch
from torch import nn

METHODS = ("prior", "posterior", "residual")


@torch.no_grad()
def generate(
    model: nn.Module,
    X_class: torch.Tensor,
    label: int,
    n: int,
    method: str,
    generator: torch.Generator,
    activate: Callable[[torch.Tensor], torch.Tensor],
    temperature: float = 1.0,
) -> torch.Tensor:
    """``n`` new rows of class ``label`` in data space; ``X_class`` holds the real ones.

    ``activate`` maps decoder output to data space (e.g. softmax per category block, or a
    sigmoid for pixels); ``temperature`` scales the spread of the latent draw.
    """
    model.eval()
    device = X_class.device
    y = torch.full((n,), label, dtype=torch.long, device=device)
    if method == "prior":
        z = temperature * torch.randn((n, model.latent_dim), generator=generator, device=device)
        return activate(model.decode(z, y))
    seeds = X_class[torch.randint(X_class.shape[0], (n,), generator=generator, device=device)]
    mu, logvar = model.encode(seeds, y)
    z = model.reparameterize(mu, logvar, generator, temperature)
    if method == "posterior":
        return activate(model.decode(z, y))
    if method == "residual":
        return seeds + activate(model.decode(z, y)) - activate(model.decode(mu, y))
    raise ValueError(f"unknown generation method {method!r}; choose one of {METHODS}")
