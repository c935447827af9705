"""Drawing new encoded rows of one class from a trained CVAE (torch only).

Four ways to make a new row, compared in docs/benchmarks.md:

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
``"mixed"``
    residual rows, except that a quarter of the new rows (``MIXED_INTERPOLATED_SHARE``) are
    interpolated, as SMOTE does, between a real row and one of its 5 nearest real rows of the
    class: x_new = x_i + u (x_j - x_i), u ~ U(0, 1). The two kinds of rows fail on different
    data sets, and the mixture loses less often than either (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

METHODS = ("prior", "posterior", "residual", "mixed")

#: Share of ``"mixed"`` rows made by interpolation between real neighbours.
MIXED_INTERPOLATED_SHARE = 0.25
#: Neighbours an interpolated row can move toward (SMOTE's default k).
NEIGHBOURS = 5
#: Larger classes look for neighbours among this many of their rows, drawn at random.
NEIGHBOUR_POOL = 4096


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
    seed_idx = torch.randint(X_class.shape[0], (n,), generator=generator, device=device)
    seeds = X_class[seed_idx]
    mu, logvar = model.encode(seeds, y)
    z = model.reparameterize(mu, logvar, generator, temperature)
    if method == "posterior":
        return activate(model.decode(z, y))
    if method not in ("residual", "mixed"):
        raise ValueError(f"unknown generation method {method!r}; choose one of {METHODS}")
    rows = seeds + activate(model.decode(z, y)) - activate(model.decode(mu, y))
    if method == "mixed" and X_class.shape[0] > 1:
        pick = torch.rand(n, generator=generator, device=device) < MIXED_INTERPOLATED_SHARE
        chosen = seed_idx[pick]
        partner = X_class[_random_neighbour(X_class, chosen, generator)]
        u = torch.rand((chosen.shape[0], 1), generator=generator, device=device,
                       dtype=rows.dtype)
        rows[pick] = seeds[pick] + u * (partner - seeds[pick])
    return rows


def _random_neighbour(X: torch.Tensor, idx: torch.Tensor, generator: torch.Generator,
                      pool_size: int | None = None,
                      chunk_elements: int = 1 << 24) -> torch.Tensor:
    """For each row index in ``idx``, the index of one of its ``NEIGHBOURS`` nearest other
    rows of ``X`` (Euclidean), chosen uniformly.

    In a class larger than ``pool_size`` (default ``NEIGHBOUR_POOL``) neighbours are searched
    among that many rows drawn at random, so the cost stays linear in the rows generated;
    distances are computed in blocks of about ``chunk_elements`` numbers.
    """
    pool_size = NEIGHBOUR_POOL if pool_size is None else pool_size
    n = X.shape[0]
    pool = (torch.arange(n, device=X.device) if n <= pool_size
            else torch.randperm(n, generator=generator, device=X.device)[:pool_size])
    k = min(NEIGHBOURS, pool.shape[0] - 1)
    unique, inverse = torch.unique(idx, return_inverse=True)
    near = torch.empty((unique.shape[0], k), dtype=torch.long, device=X.device)
    step = max(1, chunk_elements // pool.shape[0])
    for start in range(0, unique.shape[0], step):
        rows = unique[start:start + step]
        dist = torch.cdist(X[rows], X[pool])
        dist.masked_fill_(pool[None, :] == rows[:, None], float("inf"))  # not itself
        near[start:start + step] = pool[dist.topk(k, largest=False).indices]
    which = torch.randint(k, (idx.shape[0],), generator=generator, device=X.device)
    return near[inverse, which]
