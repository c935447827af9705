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
    a quarter of the new rows (``MIXED_INTERPOLATED_SHARE``) are interpolated, as SMOTE does,
    between a real row and one of its 5 nearest real rows of the class:
    x_new = x_i + u * (x_j - x_i), with u ~ U(0, 1) drawn for each numeric column: a point of
    the box the two rows span. SMOTE's one u per row keeps to the segment between them and won
    about five fewer pairs against SMOTE (thirty-fifth round); categorical blocks, and images
    (``per_column=False``), still take one u per row. The rest are residual rows whose numeric
    step is fitted to the seed's neighbourhood: its direction is the residual's projection onto
    the span of the steps x_j - x_i to the seed's 5 nearest rows (the class's local tangent
    space), its length s_i ||r_i|| with s_i = ``RESIDUAL_STEP`` * d_i / mean ||r||, where d_i
    is the mean distance from x_i to those neighbours and mean ||r|| the class's mean residual
    length. The decoder chooses the direction within the neighbourhood and the relative length
    of each move, the neighbourhood its scale, as it does SMOTE's step: on average half the way
    to a neighbour (docs/benchmarks.md, fifth and sixth rounds). For up to ``HERDING_MAX_ROWS``
    rows, ``HERDING_POOL`` times as many such rows are drawn and kernel herding keeps the ``n``
    that cover them most evenly (:func:`herd`; ninth round): the new rows depend less on the
    luck of one draw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from .model import GenerativeModel

METHODS = ("prior", "posterior", "residual", "mixed")

#: Share of ``"mixed"`` rows made by interpolation between real neighbours. 15 % and 35 % were
#: measured with the current rule (docs/benchmarks.md, thirty-fourth round): level and worse;
#: with a fraction per column 15 %, 35 % and 50 % were all worse (thirty-fifth and -sixth).
MIXED_INTERPOLATED_SHARE = 0.25
#: Neighbours an interpolated row can move toward (SMOTE's default k); residual steps are
#: projected onto their directions and scaled to their distance. 3, 8 and 12 were measured
#: against it (docs/benchmarks.md, twenty-eighth round): 3 worse; 8 and 12 ahead on four draws,
#: 12 level over eight; a partner among 8 or 12 for the interpolated rows alone lost pairs
#: (thirty-eighth).
NEIGHBOURS = 5
#: Larger classes look for neighbours among this many of their rows, drawn at random.
NEIGHBOUR_POOL = 4096
#: ``"mixed"`` residual rows move, on average, this fraction of the distance from their seed to
#: its neighbours: SMOTE's expected step, E[u] = 1/2. 0.4 to 1.0 were measured against it
#: (docs/benchmarks.md, thirty-second round): longer steps raise the mean scores, but add
#: losses against SMOTE on held-out sets.
RESIDUAL_STEP = 0.5
#: ``"mixed"`` draws this many candidate rows per new row and keeps those that kernel herding
#: picks (1: no herding). 2 and 8 (ninth round) and 6 (thirty-second, and thirty-eighth with a
#: fraction per column) were measured too.
HERDING_POOL = 4
#: Requests for more rows of a class than this are drawn without herding: its gain was
#: measured up to KEEL's sizes (3,484 rows), its cost grows with the rows (docs/performance.md).
HERDING_MAX_ROWS = 16384
#: New rows herded together (their kernel: (HERDING_POOL x HERDING_BLOCK)^2 numbers).
HERDING_BLOCK = 1024
#: Larger requests are generated in parts of at most this many rows (fewer for rows of over
#: 256 numbers, such as images: ``GENERATION_PART_ELEMENTS`` numbers per part, but at least
#: ``GENERATION_PART_MIN_ROWS`` rows), so the network's activations stay within a few hundred
#: MiB whatever ``n`` is.
GENERATION_PART_ROWS = 1 << 20
GENERATION_PART_ELEMENTS = 1 << 28
GENERATION_PART_MIN_ROWS = 1024
#: Neighbour distances and the steps' projections are computed in blocks of about this many
#: numbers (4 MiB), so that a block stays in a core's L2 cache from one operation to the next:
#: at a million new rows the distances take half the time they took in blocks of 2^24 numbers
#: and the projections two thirds, with the same results (each row's numbers do not depend on
#: the block it is in; docs/performance.md, "Scale").
BLOCK_ELEMENTS = 1 << 20


@torch.no_grad()
def generate(
    model: GenerativeModel,
    X_class: torch.Tensor,
    label: int,
    n: int,
    method: str,
    generator: torch.Generator,
    activate: Callable[[torch.Tensor], torch.Tensor],
    temperature: float = 1.0,
    numeric: torch.Tensor | None = None,
    done: Callable[[int], Any] | None = None,
    per_column: bool = True,
) -> torch.Tensor:
    """``n`` new rows of class ``label`` in data space; ``X_class`` holds the real ones.

    ``activate`` maps decoder output to data space (e.g. softmax per category block, or a
    sigmoid for pixels); ``temperature`` scales the spread of the latent draw; ``numeric``
    (a boolean mask over columns, default all) marks the columns whose ``"mixed"`` residual
    step is rescaled to the neighbourhood and whose interpolation takes one ``u`` per column
    (with ``per_column``; without it, and in categorical blocks, one per row: a point on the
    segment between the two rows). ``done`` is called with each part's row count when the
    part is made (a progress bar).
    """
    model.eval()
    if method not in METHODS:
        raise ValueError(f"unknown generation method {method!r}; choose one of {METHODS}")
    pool = HERDING_POOL if 0 < n <= HERDING_MAX_ROWS else 1
    part = part_rows(X_class[0].numel())
    parts = []
    for start in range(0, n, part):
        parts.append(_rows(model, X_class, label, min(part, n - start), method, generator,
                           activate, temperature, numeric, pool, per_column))
        if done is not None:
            done(len(parts[-1]))
    return torch.cat(parts or [X_class.new_empty((0, *X_class.shape[1:]))])


def part_rows(row_numbers: int) -> int:
    """The most rows :func:`generate` makes at once, for rows of ``row_numbers`` numbers."""
    return min(GENERATION_PART_ROWS,
               max(GENERATION_PART_MIN_ROWS, GENERATION_PART_ELEMENTS // max(1, row_numbers)))


def _rows(model: GenerativeModel, X_class: torch.Tensor, label: int, n: int, method: str,
          generator: torch.Generator, activate: Callable[[torch.Tensor], torch.Tensor],
          temperature: float, numeric: torch.Tensor | None, pool: int,
          per_column: bool) -> torch.Tensor:
    """:func:`generate`'s rows, at most one part of them."""
    if method != "mixed" or X_class.shape[0] < 2:  # a lone row has no neighbourhood
        return _one_step_rows(model, X_class, label, n, method, generator, activate,
                              temperature)
    rows, width = _mixed_rows(model, X_class, label, pool * n, generator, activate,
                              temperature, numeric, per_column)
    if pool > 1:
        rows = herd(rows, n, width)
    return rows.reshape(n, *X_class.shape[1:])


def _one_step_rows(model: GenerativeModel, X_class: torch.Tensor, label: int, n: int, method: str,
                   generator: torch.Generator,
                   activate: Callable[[torch.Tensor], torch.Tensor],
                   temperature: float) -> torch.Tensor:
    """``n`` rows by a single-draw method: "prior", "posterior", or "residual" (also what
    "mixed" makes of a class with a single row)."""
    device = X_class.device
    y = torch.full((n,), label, dtype=torch.long, device=device)
    if method == "prior":
        z = temperature * torch.randn((n, model.latent_dim), generator=generator, device=device)
        return activate(model.decode(z, y))
    seed_idx = torch.randint(X_class.shape[0], (n,), generator=generator, device=device)
    seeds = X_class[seed_idx]
    if method == "posterior":
        mu, logvar = model.encode(seeds, y)
        return activate(model.decode(model.reparameterize(mu, logvar, generator, temperature),
                                     y))
    return seeds + _residuals(model, seeds, y, generator, activate, temperature)


def _mixed_rows(model: GenerativeModel, X_class: torch.Tensor, label: int, n: int,
                generator: torch.Generator, activate: Callable[[torch.Tensor], torch.Tensor],
                temperature: float, numeric: torch.Tensor | None, per_column: bool
                ) -> tuple[torch.Tensor, float]:
    """``n`` independent ``"mixed"`` rows (flat), and the class's mean neighbour distance."""
    device = X_class.device
    y = torch.full((n,), label, dtype=torch.long, device=device)
    seed_idx = torch.randint(X_class.shape[0], (n,), generator=generator, device=device)
    seeds = X_class[seed_idx]
    residual = _residuals(model, seeds, y, generator, activate, temperature)
    # distances and steps on flat rows (images too)
    flat = X_class.reshape(X_class.shape[0], -1)
    residual, seeds = residual.reshape(n, -1), seeds.reshape(n, -1)
    near, spread, which_seed = _neighbourhoods(flat, seed_idx, generator)
    # all columns numeric (the usual case, and images): a slice, so the steps below work on
    # views rather than on masked copies of every row
    columns: slice | torch.Tensor = (slice(None) if numeric is None or bool(numeric.all())
                                     else numeric.to(device))
    typical = _mean_residual_length(model, X_class, label, generator, activate, temperature,
                                    columns)
    step = _within_neighbourhood(residual[:, columns], seeds[:, columns], flat[:, columns],
                                 near, which_seed)
    if typical > 0:
        step *= ((RESIDUAL_STEP / typical) * spread[which_seed])[:, None].to(step.dtype)
    residual[:, columns] = step
    rows = seeds + residual
    pick = torch.rand(n, generator=generator, device=device) < MIXED_INTERPOLATED_SHARE
    which = torch.randint(near.shape[1], (int(pick.sum()),), generator=generator,
                          device=device)
    partner = flat[near[which_seed[pick], which]]
    u = torch.rand((partner.shape[0], 1), generator=generator, device=device,
                   dtype=rows.dtype)
    if per_column:
        # one u per numeric column: anywhere in the box that the seed and its neighbour span,
        # not only on the segment between them (thirty-fifth round; u uniform: Beta(1/2, 1/2),
        # Beta(2, 2) and a coin per column lost pairs, thirty-seventh); categorical blocks
        # keep the row's u, so that each stays a mixture of the two rows' categories (that u
        # is drawn even when no column needs it, so the random stream is the one measured)
        u_columns = torch.rand(partner.shape, generator=generator, device=device,
                               dtype=rows.dtype)
        if not isinstance(columns, slice):
            u_columns[:, ~columns] = u
        u = u_columns
    rows[pick] = seeds[pick] + u * (partner - seeds[pick])
    return rows, float(spread.mean())


def herd(pool: torch.Tensor, n: int, width: float, block: int | None = None) -> torch.Tensor:
    """``n`` of the rows of ``pool`` (``pool.shape[0] // n`` candidates per row) chosen by
    kernel herding: a greedy match of the whole pool's distribution (RBF kernel of bandwidth
    ``width``), each pick where the candidates are dense and the picks so far are not.

    A random subset leaves gaps and clumps that differ from draw to draw; the herded one
    covers the candidates evenly (docs/benchmarks.md, ninth round). Done in blocks of
    ``block`` rows (default ``HERDING_BLOCK``), each from its own candidates, so memory
    stays at one (block x candidates per row)^2 kernel.
    """
    block = HERDING_BLOCK if block is None else block
    per = pool.shape[0] // n
    width = max(width, 1e-12)
    picked = []
    for start in range(0, n, block):
        m = min(block, n - start)
        candidates = pool[start * per:(start + m) * per]
        kernel = rbf_kernel(candidates, candidates, width)
        picked.append(candidates[herding_picks(kernel, kernel.mean(1), m)])
    return torch.cat(picked)


def rbf_kernel(A: torch.Tensor, B: torch.Tensor, width: float) -> torch.Tensor:
    """exp(-||a - b||^2 / (2 width^2)) between the rows of ``A`` and ``B``: herding's kernel."""
    return torch.cdist(A, B).square_().div_(-2 * width ** 2).exp_()


def herding_picks(kernel: torch.Tensor, target: torch.Tensor, m: int) -> list[int]:
    """:func:`herd`'s greedy choice of ``m`` of the candidates whose kernel matrix is
    ``kernel``: each pick maximises ``target`` (the candidates' density) less the mean kernel
    to the picks so far. ``target`` is overwritten."""
    near_picks = torch.zeros_like(target)  # sum of the kernel to the rows picked so far
    if kernel.device.type == "cpu" and kernel.dtype in (torch.float32, torch.float64):
        # The same arithmetic through numpy views of the same memory: a pick is five small
        # operations, and numpy's cost a fraction of torch's per call (3-4x faster at a
        # block's 4,096 candidates; the same picks, tested).
        return _greedy_picks(kernel.numpy(), target.numpy(), near_picks.numpy(), m)
    return _greedy_picks(kernel, target, near_picks, m)


def _greedy_picks(kernel: Any, target: Any, near_picks: Any, m: int) -> list[int]:
    """:func:`herding_picks`' loop, on torch tensors or numpy arrays alike."""
    chosen = []
    for t in range(m):
        i = int((target - near_picks / (t + 1)).argmax())
        chosen.append(i)
        target[i] = -float("inf")  # no row is picked twice
        near_picks += kernel[i]
    return chosen


def _mean_residual_length(model: GenerativeModel, X_class: torch.Tensor, label: int,
                          generator: torch.Generator,
                          activate: Callable[[torch.Tensor], torch.Tensor],
                          temperature: float, columns: slice | torch.Tensor) -> float:
    """Mean length (over ``columns``) of one residual draw from each of up to
    ``NEIGHBOUR_POOL`` rows of the class: the class's typical step, whatever ``n`` is asked."""
    count = X_class.shape[0]
    rows = (X_class if count <= NEIGHBOUR_POOL else X_class[
        torch.randperm(count, generator=generator, device=X_class.device)[:NEIGHBOUR_POOL]])
    y = torch.full((rows.shape[0],), label, dtype=torch.long, device=rows.device)
    step = _residuals(model, rows, y, generator, activate, temperature).flatten(1)
    return float(step[:, columns].norm(dim=1).mean())


def _residuals(model: GenerativeModel, rows: torch.Tensor, y: torch.Tensor,
               generator: torch.Generator, activate: Callable[[torch.Tensor], torch.Tensor],
               temperature: float) -> torch.Tensor:
    """One residual step for each row: dec(z', y) - dec(mu, y), z' ~ q(z | row, y)."""
    mu, logvar = model.encode(rows, y)
    z = model.reparameterize(mu, logvar, generator, temperature)
    return activate(model.decode(z, y)) - activate(model.decode(mu, y))


def _within_neighbourhood(step: torch.Tensor, seeds: torch.Tensor, X: torch.Tensor,
                          near: torch.Tensor, which_seed: torch.Tensor,
                          chunk_elements: int = BLOCK_ELEMENTS) -> torch.Tensor:
    """Each row of ``step`` projected onto the span of the directions from its seed to the
    seed's neighbours (``X[near[which_seed]] - seeds``), with its length kept.

    The projection solves the small normal equations of each row (k x k, k neighbours) with a
    relative ridge of 1e-6, which keeps duplicate neighbours solvable; a seed whose
    neighbours all coincide with it gets no step. Rows are done in blocks of about
    ``chunk_elements`` numbers of the (rows, k, columns) direction tensor.
    """
    out = torch.empty_like(step)
    k, d = near.shape[1], step.shape[1]
    eye = torch.eye(k, dtype=step.dtype, device=step.device)
    for part in _blocks(step.shape[0], chunk_elements // max(1, k * d)):
        basis = X[near[which_seed[part]]] - seeds[part, None]  # (b, k, d)
        gram = basis @ basis.transpose(1, 2)
        ridge = 1e-6 * gram.diagonal(dim1=1, dim2=2).mean(1).clamp_min(1e-30)
        coef = torch.linalg.solve(gram + ridge[:, None, None] * eye,
                                  basis @ step[part, :, None])
        projected = (basis.transpose(1, 2) @ coef)[:, :, 0]
        length = step[part].norm(dim=1, keepdim=True)
        out[part] = projected * (length / projected.norm(dim=1, keepdim=True).clamp_min(1e-30))
    return out


def _neighbourhoods(X: torch.Tensor, idx: torch.Tensor, generator: torch.Generator,
                    pool_size: int | None = None, chunk_elements: int = BLOCK_ELEMENTS
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The ``NEIGHBOURS`` nearest other rows of ``X`` (Euclidean) of each row in ``idx``.

    Returns ``(near, spread, inverse)``: for each distinct index in ``idx``, the indices of
    its neighbours (``near``, one row each) and their mean distance (``spread``); ``inverse``
    maps every entry of ``idx`` to its row of those two. In a class larger than ``pool_size``
    (default ``NEIGHBOUR_POOL``) neighbours are searched among that many rows drawn at random,
    so the cost stays linear in the rows generated; distances are computed in blocks of about
    ``chunk_elements`` numbers.
    """
    pool_size = NEIGHBOUR_POOL if pool_size is None else pool_size
    n = X.shape[0]
    pool = (torch.arange(n, device=X.device) if n <= pool_size
            else torch.randperm(n, generator=generator, device=X.device)[:pool_size])
    k = min(NEIGHBOURS, pool.shape[0] - 1)
    unique, inverse = torch.unique(idx, return_inverse=True)
    near = torch.empty((unique.shape[0], k), dtype=torch.long, device=X.device)
    spread = torch.empty(unique.shape[0], dtype=X.dtype, device=X.device)
    # each row's column in the pool (-1: not in it), so that a row is kept from being its own
    # neighbour by one write per row rather than a comparison with the whole pool
    column = torch.full((n,), -1, dtype=torch.long, device=X.device)
    column[pool] = torch.arange(pool.shape[0], device=X.device)
    candidates = X[pool]  # gathered once: a block's own rows are few next to the pool's
    for part in _blocks(unique.shape[0], chunk_elements // pool.shape[0]):
        rows = unique[part]
        dist = torch.cdist(X[rows], candidates)
        own = column[rows]
        inside = (own >= 0).nonzero()[:, 0]
        dist[inside, own[inside]] = float("inf")  # not itself
        nearest = dist.topk(k, largest=False)
        near[part] = pool[nearest.indices]
        spread[part] = nearest.values.mean(1)
    return near, spread, inverse


def _blocks(total: int, size: int) -> list[slice]:
    """Consecutive slices of ``size`` rows (at least one) that cover ``total`` rows. A last
    block of a single row joins the one before it (which then has ``size + 1``): a one-row
    product goes through another kernel whose sums can round differently, and a row's numbers
    must not depend on its block."""
    starts = list(range(0, total, max(1, size)))
    if len(starts) > 1 and total - starts[-1] == 1:
        starts.pop()
    return [slice(a, b) for a, b in zip(starts, [*starts[1:], total])]
