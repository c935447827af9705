"""benchmarks/draws.py: win counts over several draws of two samplers."""

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
draws = pytest.importorskip("draws")


def frame(sampler: str, scores: list[float], draw: int | None = None) -> pd.DataFrame:
    """One row per (data set, fold): pairs 0..len(scores)-1, both folds scoring the same."""
    rows = [{"dataset": f"d{i}", "fold": f, "sampler": sampler, "clf": "knn", "gmean": s}
            for i, s in enumerate(scores) for f in (0, 1)]
    out = pd.DataFrame(rows)
    if draw is not None:
        out["draw"] = draw
    return out


def test_counts_wins_ties_and_losses_per_pair():
    a = pd.Series([0.5, 0.7, 0.6], index=["x", "y", "z"])
    b = pd.Series([0.5, 0.6, 0.9], index=["x", "y", "z"])
    assert draws.wtl(a, b) == (1, 1, 1)


def test_a_draw_column_splits_one_csv_into_draws(tmp_path):
    path = tmp_path / "d.csv"
    pd.concat([frame("vaeaug", [0.9, 0.1], 0), frame("vaeaug", [0.1, 0.9], 1),
               frame("smote", [0.5, 0.5], 0)]).to_csv(path, index=False)
    mine = draws.pair_means([str(path)], "vaeaug", "gmean")
    (smote,) = draws.pair_means([str(path)], "smote", "gmean")
    assert len(mine) == 2
    assert [draws.wtl(m, smote) for m in mine] == [(1, 0, 1), (1, 0, 1)]
    # averaged, the two draws tie SMOTE on both pairs
    assert draws.wtl(sum(mine) / 2, smote) == (0, 2, 0)


def test_report(tmp_path, capsys, monkeypatch):
    paths = []
    for i, scores in enumerate([[0.9, 0.8], [0.7, 0.4]]):
        paths.append(tmp_path / f"v{i}.csv")
        frame("vaeaug", scores).to_csv(paths[-1], index=False)
    paths.append(tmp_path / "s.csv")
    frame("smote", [0.6, 0.6]).to_csv(paths[-1], index=False)
    monkeypatch.setattr(sys, "argv", ["draws.py", *map(str, paths)])
    draws.main()
    out = capsys.readouterr().out
    assert "2 pairs; 60% of them = 2 wins" in out
    assert "wins mean    1.5 (min 1, max 2" in out  # single draws: 2 wins, then 1
    assert "comparisons reaching the target: 1 of 2" in out
    # averaged: 0.8 beats 0.6, 0.6 ties it
    assert "mean of all 2 draws against the mean of all 1: 1 / 1 / 0" in out
