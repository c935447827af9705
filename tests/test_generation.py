"""Generation rules on a model whose decoder residual is zero, so the rules' geometry shows."""

import pytest
import torch

from vaeaug import generation
from vaeaug.generation import (
    MIXED_INTERPOLATED_SHARE,
    NEIGHBOURS,
    RESIDUAL_STEP,
    _blocks,
    _neighbourhoods,
    _within_neighbourhood,
    generate,
    herd,
)
from vaeaug.model import CVAE, init_parameters


def flat_decoder_model(n_features: int) -> CVAE:
    """A CVAE whose decoder outputs zeros: the residual dec(z') - dec(mu) vanishes."""
    model = CVAE(n_features, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.bias.zero_()
    return model


def exact_cdist(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    return torch.cdist(A, B, compute_mode="donot_use_mm_for_euclid_dist")


def in_box(points: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Whether each point lies in the axis-aligned box that ``a`` and ``b`` span (broadcast;
    last dimension: the columns), within 1e-6."""
    low, high = torch.minimum(a, b) - 1e-6, torch.maximum(a, b) + 1e-6
    return ((points >= low) & (points <= high)).all(-1)


def nearest(X: torch.Tensor, k: int) -> torch.Tensor:
    dist = exact_cdist(X, X)
    dist.fill_diagonal_(float("inf"))
    return dist.topk(k, largest=False).indices


def test_neighbourhoods_are_the_nearest_rows_and_their_mean_distance():
    X = torch.randn(200, 4, generator=torch.Generator().manual_seed(1))
    idx = torch.randint(200, (1000,), generator=torch.Generator().manual_seed(2))
    dist = exact_cdist(X, X)
    dist.fill_diagonal_(float("inf"))
    expected = dist.topk(NEIGHBOURS, largest=False)
    for chunk in (1 << 24, 200 * 7):  # one block, and blocks of 7 rows
        near, spread, inverse = _neighbourhoods(X, idx, torch.Generator().manual_seed(3),
                                                chunk_elements=chunk)
        assert (near[inverse] != idx[:, None]).all()  # never itself
        assert torch.equal(near[inverse].sort(1).values, expected.indices[idx].sort(1).values)
        torch.testing.assert_close(spread[inverse], expected.values[idx].mean(1))


def test_blocks_do_not_change_the_neighbourhoods_or_the_steps():
    # distances and projections are computed in blocks sized for the cache; each row's
    # numbers must not depend on the block it falls in (recorded samples depend on them)
    g = torch.Generator().manual_seed(21)
    X = torch.randn(300, 6, generator=g)
    idx = torch.randint(300, (900,), generator=g)
    step = torch.randn(900, 6, generator=g)
    seeds = len(idx.unique())
    results = []
    # one block; blocks of 7 rows; blocks that leave a single row over (it joins the block
    # before it: a one-row product rounds differently)
    for rows in (1 << 20, 7, seeds - 1):
        near, spread, inverse = _neighbourhoods(X, idx, torch.Generator().manual_seed(3),
                                                chunk_elements=rows * 300)
        moved = _within_neighbourhood(step, X[idx], X, near, inverse,
                                      chunk_elements=rows * NEIGHBOURS * 6)
        results.append((near, spread, inverse, moved))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert torch.equal(a, b)


def test_blocks_cover_the_rows_and_never_leave_one_row_alone():
    # a one-row distance product goes through another kernel (a matrix-vector product) whose
    # sums can round differently from the same row's in a larger block
    for total, size in [(10, 3), (10, 4), (9, 4), (1, 4), (5, 5), (6, 5), (7, 1), (0, 3)]:
        parts = _blocks(total, size)
        assert [i for p in parts for i in range(total)[p]] == list(range(total))
        assert all(p.stop - p.start <= size + 1 for p in parts)
        assert len(parts) < 2 or all(p.stop - p.start > 1 for p in parts) or size == 1


def test_mixed_rows_with_every_column_numeric_are_those_without_a_mask():
    X = torch.randn(50, 4, generator=torch.Generator().manual_seed(22))
    model = CVAE(4, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(23))
    rows = [generate(model, X, 1, 300, "mixed", torch.Generator().manual_seed(24),
                     activate=lambda t: t, numeric=numeric)
            for numeric in (None, torch.ones(4, dtype=torch.bool))]
    assert torch.equal(*rows)


@pytest.mark.parametrize("per_column", [True, False])
@pytest.mark.parametrize("herding", [False, True])
def test_mixed_rows_are_residual_rows_or_interpolations_between_neighbours(monkeypatch, herding,
                                                                          per_column):
    """Interpolated rows lie in the box that a real row and one of its neighbours span (one
    ``u`` per column), or with ``per_column=False`` on the segment between them."""
    if not herding:  # the candidates themselves: a quarter interpolations
        monkeypatch.setattr(generation, "HERDING_POOL", 1)
    X = torch.randn(60, 3, generator=torch.Generator().manual_seed(4))
    rows = generate(flat_decoder_model(3), X, 1, 2000, "mixed",
                    torch.Generator().manual_seed(5), activate=lambda t: t,
                    per_column=per_column)
    is_real = (exact_cdist(rows, X) < 1e-6).any(1)  # residual rows: the seed itself here
    share = 1 - is_real.float().mean().item()
    if not herding:
        assert share == pytest.approx(MIXED_INTERPOLATED_SHARE, abs=0.04)
    # (the herded rows are some of the candidates, so the same holds for them)
    assert (~is_real).sum() >= 100  # the checks below see interpolated rows either way
    a, b = X[:, None, :], X[nearest(X, NEIGHBOURS)]  # every (row, neighbour) pair
    off_segment = []
    for r in rows[~is_real][:100]:
        assert in_box(r, a, b).any()
        u = ((r - a) * (b - a)).sum(-1) / ((b - a) ** 2).sum(-1)
        closest = a + u.clamp(0, 1)[..., None] * (b - a)
        off_segment.append((closest - r).norm(dim=-1).min().item())
    if per_column:
        assert sum(d > 1e-3 for d in off_segment) > 90  # almost none on a segment
    else:
        assert max(off_segment) < 1e-4


def test_interpolation_keeps_one_fraction_per_row_in_categorical_blocks(monkeypatch):
    """A categorical block (not in ``numeric``) moves by the row's one ``u``: it stays a
    mixture of the two rows' categories (its probabilities sum to 1), while the numeric
    columns take a ``u`` each."""
    monkeypatch.setattr(generation, "MIXED_INTERPOLATED_SHARE", 1.0)  # interpolations only
    monkeypatch.setattr(generation, "HERDING_POOL", 1)
    g = torch.Generator().manual_seed(30)
    category = torch.nn.functional.one_hot(torch.randint(3, (40,), generator=g), 3).float()
    X = torch.cat([torch.randn(40, 2, generator=g), category], dim=1)
    numeric = torch.tensor([True, True, False, False, False])
    rows = generate(flat_decoder_model(5), X, 1, 500, "mixed", torch.Generator().manual_seed(31),
                    activate=lambda t: t, numeric=numeric)
    torch.testing.assert_close(rows[:, 2:].sum(1), torch.ones(500))
    a, b = X[:, None, :], X[nearest(X, NEIGHBOURS)]
    fractions = []
    for r in rows[:50]:  # the numeric columns' fractions differ within a row
        u = (r - a) / (b - a)
        i, j = in_box(r, a, b).nonzero()[0]
        fractions.append(abs(u[i, j, 0] - u[i, j, 1]).item())
    assert sum(f > 1e-3 for f in fractions) > 40


def test_mixed_with_a_single_row_gives_residual_rows():
    X = torch.ones(1, 3)
    rows = generate(flat_decoder_model(3), X, 1, 5, "mixed", torch.Generator().manual_seed(0),
                    activate=lambda t: t)
    torch.testing.assert_close(rows, X.expand(5, 3))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown generation method"):
        generate(flat_decoder_model(3), torch.zeros(4, 3), 1, 2, "smote",
                 torch.Generator(), activate=lambda t: t)


def test_large_classes_find_neighbours_in_a_random_pool():
    X = torch.randn(500, 4, generator=torch.Generator().manual_seed(6))
    idx = torch.arange(500)
    near, _, inverse = _neighbourhoods(X, idx, torch.Generator().manual_seed(7), pool_size=50)
    got = near[inverse]
    pool = torch.randperm(500, generator=torch.Generator().manual_seed(7))[:50]  # same draw
    assert (got != idx[:, None]).all()
    assert set(got.flatten().tolist()) <= set(pool.tolist())
    # they are the seed's 5 nearest pool rows (itself excluded)
    dist = exact_cdist(X, X[pool])
    dist[pool[None, :] == idx[:, None]] = float("inf")
    farthest = (X[:, None, :] - X[got]).norm(dim=2).max(1, keepdim=True).values
    assert ((dist < farthest - 1e-5).sum(1) < NEIGHBOURS).all()


def test_mixed_residual_steps_follow_the_decoder_and_the_neighbourhood(monkeypatch):
    """Residual rows of "mixed" move x_i by a step as long as s_i ||r_i||: r_i the "residual"
    rule's step (same draw), s_i proportional to the seed's mean neighbour distance, half of
    it on average; columns outside ``numeric`` keep the unscaled step."""
    monkeypatch.setattr(generation, "MIXED_INTERPOLATED_SHARE", 0.0)  # residual rows only
    monkeypatch.setattr(generation, "HERDING_POOL", 1)  # the same draws as "residual"
    g = torch.Generator().manual_seed(8)
    tight, wide = 0.05 * torch.randn(30, 3, generator=g), 2 + torch.randn(30, 3, generator=g)
    ids = 1e-4 * torch.arange(60.0)[:, None]  # tells each new row's seed: no step there
    X = torch.cat([ids, torch.cat([tight, wide])], dim=1)
    model = CVAE(4, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(9))
    with torch.no_grad():
        model.out.weight[0].zero_()
    # the id column and the last one as if categorical: both keep the unscaled step
    numeric = torch.tensor([False, True, True, False])
    mixed = generate(model, X, 1, 3000, "mixed", torch.Generator().manual_seed(10),
                     activate=lambda t: t, numeric=numeric)
    plain = generate(model, X, 1, 3000, "residual", torch.Generator().manual_seed(10),
                     activate=lambda t: t)
    seed = (mixed[:, 0] / 1e-4).round().long()
    assert torch.equal(seed, (plain[:, 0] / 1e-4).round().long())
    step, r = mixed - X[seed], plain - X[seed]
    torch.testing.assert_close(step[:, 3], r[:, 3])  # not scaled
    factor = step[:, 1:3].norm(dim=1) / r[:, 1:3].norm(dim=1)
    dist = exact_cdist(X, X)  # over every column, as the neighbours are found
    dist.fill_diagonal_(float("inf"))
    spread = dist.topk(NEIGHBOURS, largest=False).values.mean(1)[seed]
    ratio = factor / spread  # RESIDUAL_STEP / (the class's mean residual length)
    torch.testing.assert_close(ratio, ratio.mean().expand_as(ratio), rtol=1e-3, atol=0)
    in_tight = seed < 30
    assert step[in_tight, 1:3].norm(dim=1).mean() < 0.2 * step[~in_tight, 1:3].norm(dim=1).mean()
    relative = (step[:, :3].norm(dim=1) / spread).mean()
    assert relative == pytest.approx(RESIDUAL_STEP, rel=0.3)


def test_mixed_residual_steps_stay_in_the_span_of_the_neighbours(monkeypatch):
    """A class on a plane in 6-D: residual rows of "residual" leave it, those of "mixed" do
    not (each step is the residual projected onto the directions to the seed's neighbours);
    in general position each step lies in the span of its own seed's neighbour directions."""
    monkeypatch.setattr(generation, "MIXED_INTERPOLATED_SHARE", 0.0)  # residual rows only
    g = torch.Generator().manual_seed(14)
    plane = torch.linalg.qr(torch.randn(6, 2, generator=g)).Q  # orthonormal basis, (6, 2)
    X = torch.randn(80, 2, generator=g) @ plane.T + 1.0
    model = CVAE(6, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(15))

    def off_plane(rows: torch.Tensor) -> torch.Tensor:
        centred = rows - 1.0
        return (centred - centred @ plane @ plane.T).norm(dim=1)

    plain = generate(model, X, 1, 500, "residual", torch.Generator().manual_seed(16),
                     activate=lambda t: t)
    mixed = generate(model, X, 1, 500, "mixed", torch.Generator().manual_seed(16),
                     activate=lambda t: t)
    assert off_plane(plain).mean() > 0.05
    assert off_plane(mixed).max() < 1e-4
    assert torch.isfinite(mixed).all()

    # general position (10-D): step = its seed's neighbour directions times some coefficients
    X = torch.randn(40, 10, generator=g)
    ids = 1e-3 * torch.arange(40.0)[:, None]
    model = CVAE(11, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(17))
    with torch.no_grad():
        model.out.weight[0].zero_()
    numeric = torch.tensor([False] + [True] * 10)
    rows = generate(model, torch.cat([ids, X], 1), 1, 200, "mixed",
                    torch.Generator().manual_seed(18), activate=lambda t: t, numeric=numeric)
    seed = (rows[:, 0] / 1e-3).round().long()
    step = rows[:, 1:] - X[seed]
    basis = X[nearest(torch.cat([ids, X], 1), NEIGHBOURS)[seed]] - X[seed][:, None]  # (n, 5, 10)
    coef = torch.linalg.lstsq(basis.transpose(1, 2), step[:, :, None]).solution
    fitted = (basis.transpose(1, 2) @ coef)[:, :, 0]
    assert (fitted - step).norm(dim=1).max() < 1e-4 * step.norm(dim=1).max()
    assert step.norm(dim=1).min() > 0


def test_mixed_keeps_image_shapes():
    from vaeaug.model import ConvCVAE

    model = ConvCVAE((1, 8, 8), 2, 3, [4])
    init_parameters(model, torch.Generator().manual_seed(11))
    X = torch.rand(10, 1, 8, 8, generator=torch.Generator().manual_seed(12))
    rows = generate(model, X, 0, 7, "mixed", torch.Generator().manual_seed(13), torch.sigmoid)
    assert rows.shape == (7, 1, 8, 8)
    assert torch.isfinite(rows).all()


def test_mixed_is_finite_when_neighbours_coincide_or_are_few():
    """Duplicate rows give zero directions to project on (no step, no NaN); two rows give a
    one-dimensional span: every residual step lies on the line through them."""
    model = CVAE(3, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(19))
    same = torch.tensor([[1.0, 2.0, 3.0]]).expand(8, 3).clone()
    rows = generate(model, same, 1, 50, "mixed", torch.Generator().manual_seed(20),
                    activate=lambda t: t)
    torch.testing.assert_close(rows, same[:1].expand(50, 3))
    pair = torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    rows = generate(model, pair, 1, 50, "mixed", torch.Generator().manual_seed(21),
                    activate=lambda t: t)
    assert torch.isfinite(rows).all()
    direction = pair[1] / pair[1].norm()
    off_line = (rows - (rows @ direction)[:, None] * direction).norm(dim=1)
    # residual rows keep to the line; interpolated ones fill the box between the two rows
    assert ((off_line < 1e-5) | in_box(rows, pair[0], pair[1])).all()
    assert (off_line < 1e-5).sum() > 25  # most are residual rows (three quarters)
    assert (rows @ direction).std() > 0.1  # they do move along it


def mmd2(A: torch.Tensor, B: torch.Tensor, width: float) -> float:
    """Squared maximum mean discrepancy between the rows of A and B (RBF kernel)."""
    def k(P, Q):
        return torch.exp(-exact_cdist(P, Q).square() / (2 * width**2)).mean()

    return float(k(A, A) + k(B, B) - 2 * k(A, B))


def test_herding_picks_distinct_candidates_that_match_them_better_than_a_random_subset():
    g = torch.Generator().manual_seed(22)
    pool = torch.randn(400, 3, generator=g)
    rows = herd(pool, 100, width=0.5)
    picked = (exact_cdist(rows, pool) < 1e-6).float().argmax(1)
    assert torch.equal(rows, pool[picked])
    assert picked.unique().numel() == 100
    herded = mmd2(rows, pool, 0.5)
    random = [mmd2(pool[torch.randperm(400, generator=g)[:100]], pool, 0.5) for _ in range(20)]
    assert herded < min(random)
    assert herded < 0.5 * sum(random) / len(random)  # measured: about a fifth


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_herding_picks_through_numpy_are_torchs(dtype):
    # On the CPU the greedy loop runs on numpy views (fewer µs per call): the same
    # arithmetic, so the same picks as torch's loop, ties and the overwritten target included.
    g = torch.Generator().manual_seed(26)
    pool = torch.randn(600, 5, generator=g, dtype=dtype)
    pool[300:320] = pool[:20]  # exact ties between candidates
    kernel = generation.rbf_kernel(pool, pool, 0.7)
    target = kernel.mean(1)
    ref_target = target.clone()
    reference = generation._greedy_picks(kernel, ref_target, torch.zeros_like(ref_target), 150)
    picks = generation.herding_picks(kernel, target, 150)
    assert picks == reference
    assert torch.equal(target, ref_target)
    assert len(set(picks)) == 150


def test_herding_in_blocks_picks_each_block_from_its_own_candidates():
    pool = torch.randn(4 * 250, 2, generator=torch.Generator().manual_seed(23))
    rows = herd(pool, 250, width=0.5, block=100)  # blocks of 100, 100 and 50 rows
    for start, stop in [(0, 100), (100, 200), (200, 250)]:
        own = pool[4 * start:4 * stop]
        assert (exact_cdist(rows[start:stop], own).min(1).values < 1e-6).all()
    assert torch.equal(herd(pool, 250, width=0.5, block=100), rows)  # deterministic


def test_large_requests_are_drawn_without_herding(monkeypatch):
    X = torch.randn(50, 3, generator=torch.Generator().manual_seed(24))
    model = CVAE(3, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(25))

    def draw() -> torch.Tensor:
        return generate(model, X, 1, 300, "mixed", torch.Generator().manual_seed(26),
                        activate=lambda t: t)

    monkeypatch.setattr(generation, "HERDING_MAX_ROWS", 299)
    large = draw()
    monkeypatch.setattr(generation, "HERDING_POOL", 1)
    assert torch.equal(large, draw())
    monkeypatch.setattr(generation, "HERDING_MAX_ROWS", 300)
    monkeypatch.setattr(generation, "HERDING_POOL", 4)
    assert not torch.equal(large, draw())


@pytest.mark.parametrize("method", ["mixed", "prior"])
def test_large_requests_are_generated_in_parts(monkeypatch, method):
    # 100,000,000 rows at once asked torch for 25 GB of activations (one layer's, for all
    # rows); in parts the activations stay small, whatever n is.
    X = torch.randn(50, 3, generator=torch.Generator().manual_seed(27))
    model = CVAE(3, 2, 3, (8,))
    init_parameters(model, torch.Generator().manual_seed(28))
    sizes = []
    rows = generation._rows

    def counted(*args):
        sizes.append((args[3], args[-1]))  # rows, candidates per row (herding: > 1)
        return rows(*args)

    monkeypatch.setattr(generation, "_rows", counted)
    monkeypatch.setattr(generation, "GENERATION_PART_MIN_ROWS", 100)
    monkeypatch.setattr(generation, "GENERATION_PART_ROWS", 100)
    monkeypatch.setattr(generation, "HERDING_MAX_ROWS", 200)  # 250 rows: no herding
    new = generate(model, X, 1, 250, method, torch.Generator().manual_seed(29),
                   activate=lambda t: t)
    # herding is decided by the whole request: the last part, 50 rows, is not herded alone
    assert sizes == [(100, 1), (100, 1), (50, 1)] and new.shape == (250, 3)
    assert torch.isfinite(new).all() and len(torch.unique(new, dim=0)) == 250
    assert generate(model, X, 1, 0, method, torch.Generator(), lambda t: t).shape == (0, 3)
