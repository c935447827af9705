"""Generation rules on a model whose decoder residual is zero, so the rules' geometry shows."""

import pytest
import torch

from vaeaug.generation import MIXED_INTERPOLATED_SHARE, NEIGHBOURS, _random_neighbour, generate
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


def nearest(X: torch.Tensor, k: int) -> torch.Tensor:
    dist = exact_cdist(X, X)
    dist.fill_diagonal_(float("inf"))
    return dist.topk(k, largest=False).indices


def test_random_neighbour_is_one_of_the_nearest_and_never_itself():
    X = torch.randn(200, 4, generator=torch.Generator().manual_seed(1))
    idx = torch.randint(200, (1000,), generator=torch.Generator().manual_seed(2))
    near = nearest(X, NEIGHBOURS)
    for chunk in (1 << 24, 200 * 7):  # one block, and blocks of 7 rows
        got = _random_neighbour(X, idx, torch.Generator().manual_seed(3), chunk_elements=chunk)
        assert (got != idx).all()
        assert (near[idx] == got[:, None]).any(1).all()
    # every one of the neighbours gets picked, not just the nearest
    assert len(set(got[idx == idx[0]].tolist())) > 1


def test_mixed_rows_are_residual_rows_or_interpolations_between_neighbours():
    X = torch.randn(60, 3, generator=torch.Generator().manual_seed(4))
    rows = generate(flat_decoder_model(3), X, 1, 2000, "mixed",
                    torch.Generator().manual_seed(5), activate=lambda t: t)
    is_real = (exact_cdist(rows, X) < 1e-6).any(1)  # residual rows: the seed itself here
    share = 1 - is_real.float().mean().item()
    assert share == pytest.approx(MIXED_INTERPOLATED_SHARE, abs=0.04)
    # an interpolated row lies on a segment from a real row to one of its neighbours
    near = nearest(X, NEIGHBOURS)
    for r in rows[~is_real][:100]:
        a = X[:, None, :]
        b = X[near]
        u = ((r - a) * (b - a)).sum(-1) / ((b - a) ** 2).sum(-1)
        closest = a + u.clamp(0, 1)[..., None] * (b - a)
        assert (closest - r).norm(dim=-1).min() < 1e-4


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
    got = _random_neighbour(X, idx, torch.Generator().manual_seed(7), pool_size=50)
    pool = torch.randperm(500, generator=torch.Generator().manual_seed(7))[:50]  # same draw
    assert (got != idx).all()
    assert set(got.tolist()) <= set(pool.tolist())
    # each partner is among the seed's 5 nearest pool rows (itself excluded)
    dist = exact_cdist(X, X[pool])
    dist[pool[None, :] == idx[:, None]] = float("inf")
    to_partner = (X - X[got]).norm(dim=1, keepdim=True)
    assert ((dist < to_partner - 1e-5).sum(1) < NEIGHBOURS).all()
