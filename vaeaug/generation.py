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
``"interpolate"``
    SMOTE along the learned manifold: pick a real row x_i and one of its nearest same-class
    rows x_j (by latent mean), z' = mu_i + u (mu_j - mu_i) with u ~ U(0, 1), and move x_i by
    dec(z', y) - dec(mu_i, y).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

METHODS = ("prior", "posterior", "residual", "interpolate")
#: "interpolate" moves towards one of this many nearest same-class rows (latent distance).
NEIGHBOURS = 5


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
    chosen = torch.randint(X_class.shape[0], (n,), generator=generator, device=device)
    seeds = X_class[chosen]
    mu, logvar = model.encode(seeds, y)
    z = model.reparameterize(mu, logvar, generator, temperature)
    if method == "posterior":
        return activate(model.decode(z, y))
    if method == "residual":
        return seeds + activate(model.decode(z, y)) - activate(model.decode(mu, y))
    if method == "interpolate":
        z = _towards_neighbours(model, X_class, label, seeds, mu, generator)
        return seeds + activate(model.decode(z, y)) - activate(model.decode(mu, y))
    raise ValueError(f"unknown generation method {method!r}; choose one of {METHODS}")


def _towards_neighbours(model: nn.Module, X_class: torch.Tensor, label: int,
                        seeds: torch.Tensor, mu: torch.Tensor,
                        generator: torch.Generator) -> torch.Tensor:
    """A point between each seed's latent mean and a random one of its nearest neighbours'."""
    labels = torch.full((X_class.shape[0],), label, dtype=torch.long, device=X_class.device)
    mu_class, _ = model.encode(X_class, labels)
    k = min(NEIGHBOURS, X_class.shape[0] - 1)
    if k < 1:  # a single real row: nothing to move towards
        return mu
    distances = torch.cdist(mu, mu_class)
    nearest = distances.topk(k + 1, largest=False).indices[:, 1:]  # the seed itself is first
    pick = torch.randint(k, (mu.shape[0], 1), generator=generator, device=mu.device)
    target = mu_class[nearest.gather(1, pick).squeeze(1)]
    u = torch.rand((mu.shape[0], 1), generator=generator, device=mu.device)
    return mu + u * (target - mu)
