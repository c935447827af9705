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


def test_a_seed_offset_column_splits_variant_csvs_into_draws(tmp_path):
    path = tmp_path / "v.csv"
    pd.concat([frame("vaeaug~rule", [0.9, 0.1]).assign(seed_offset=0),
               frame("vaeaug~rule", [0.1, 0.9]).assign(seed_offset=100)]).to_csv(path,
                                                                                  index=False)
    mine = draws.pair_means([str(path)], "vaeaug~rule", "gmean")
    assert [list(m) for m in mine] == [[0.9, 0.1], [0.1, 0.9]]


def test_same_size_gain_calibration(tmp_path, capsys, monkeypatch):
    path = tmp_path / "d.csv"
    pd.concat([frame("smote", [0.5, 0.6, 1.0], 0), frame("smote", [0.5, 0.61, 1.0], 1),
               frame("vaeaug", [0.6, 0.6, 1.0], 0), frame("vaeaug", [0.5, 0.7, 1.0], 1)]
              ).to_csv(path, index=False)
    monkeypatch.setattr(sys, "argv", ["draws.py", str(path)])
    draws.main()
    out = capsys.readouterr().out
    # draw 0 + 0.0025 wins pair 0 and loses pair 1; draw 1 + 0.0025 wins both; the pair at
    # 1.0 stays tied (capped)
    assert "+0.0025: wins mean    1.5 (min 1, max 2, sd  0.5)   losses mean    0.5" in out
    assert "+0.0200: wins mean    2.0 (min 2, max 2, sd  0.0)   losses mean    0.0" in out
    # expected gains 0.05, 0.045 and 0
    assert "quantiles 5/25/50/75/95 %: +0.0045, +0.0225, +0.0450, +0.0475, +0.0495; " \
           "mean +0.0317" in out
    assert "vaeaug's draw-to-draw standard deviation: 0.0707" in out
    assert "smote's draw-to-draw standard deviation: 0.0000" in out


def test_one_draw_of_the_sampler_is_compared_with_every_draw_of_smote(tmp_path, capsys,
                                                                       monkeypatch):
    mine, ref = tmp_path / "v.csv", tmp_path / "s.csv"
    frame("vaeaug", [0.7, 0.7]).to_csv(mine, index=False)
    pd.concat([frame("smote", [0.6, 0.8], 0),
               frame("smote", [0.6, 0.6], 1)]).to_csv(ref, index=False)
    monkeypatch.setattr(sys, "argv", ["draws.py", str(mine), str(ref)])
    draws.main()
    out = capsys.readouterr().out
    assert "vaeaug: 1 draws, smote: 2 draws" in out
    # against SMOTE's first draw 1 win, against its second 2
    assert "wins mean    1.5 (min 1, max 2" in out
    # SMOTE's spread from its two draws (pair sds 0 and 0.1414, median 0.0707); one draw
    # of vaeaug has none
    assert "smote's draw-to-draw standard deviation: 0.0707" in out
    assert "vaeaug's draw-to-draw" not in out


def test_vs_csv_keeps_the_sampler_s_draws_apart_from_a_file_of_both(tmp_path, capsys,
                                                                   monkeypatch):
    # a held-out reference file holds draws of both samplers, named as the new run names its
    # own: without --vs-csv its vaeaug draw would count as a second draw of the sampler
    mine, ref = tmp_path / "v.csv", tmp_path / "both.csv"
    frame("vaeaug", [0.7, 0.7]).to_csv(mine, index=False)
    pd.concat([frame("smote", [0.6, 0.8], 0), frame("vaeaug", [0.1, 0.1], 0)]
              ).to_csv(ref, index=False)
    monkeypatch.setattr(sys, "argv", ["draws.py", str(mine), "--vs-csv", str(ref)])
    draws.main()
    out = capsys.readouterr().out
    assert "vaeaug: 1 draws, smote: 1 draws" in out
    assert "mean of all 1 draws against the mean of all 1: 1 / 0 / 1" in out
    monkeypatch.setattr(sys, "argv", ["draws.py", str(mine), str(ref)])
    draws.main()
    assert "vaeaug: 2 draws, smote: 1 draws" in capsys.readouterr().out


def test_rule_oracle_takes_the_better_rule_per_data_set():
    rule_oracle = pytest.importorskip("rule_oracle")
    index = pd.MultiIndex.from_tuples([("d0", "knn"), ("d0", "tree"), ("d1", "knn"),
                                       ("d1", "tree")], names=["dataset", "clf"])
    ref = pd.Series([0.5, 0.5, 0.5, 0.5], index=index)
    a = pd.Series([0.6, 0.6, 0.4, 0.4], index=index)  # wins d0, loses d1
    b = pd.Series([0.4, 0.9, 0.6, 0.6], index=index)  # splits d0 (higher mean), wins d1
    chosen, n_b = rule_oracle.oracle(a, b, ref, "count")
    assert draws.wtl(chosen, ref) == (4, 0, 0) and n_b == 1  # d0 from a, d1 from b
    chosen, n_b = rule_oracle.oracle(a, b, ref, "mean")
    assert draws.wtl(chosen, ref) == (3, 0, 1) and n_b == 2  # b's higher mean on d0 too
