"""What choosing between two generation rules per data set could buy, at best.

A sampler cannot know the test folds, but it could choose a rule per data set from its
training data (an inner cross-validation, a property of the set). This script bounds what
any such choice could gain: it picks, for each data set, the rule that did better on the
test folds themselves (an oracle), and counts (data set, classifier) pairs won and lost
against the reference sampler's single draw, the way ``../shared/bench/summarize.py`` does.
Two oracles: the rule with the higher mean score over the set's classifiers, and the rule
with the better win-minus-loss count on the set. One line per ``seed_offset`` of the
variants CSV.

    python benchmarks/rule_oracle.py benchmarks/results/anchors-dev.csv \\
        benchmarks/results/variants-herdpos.csv.gz 'vaeaug~herd4_25' 'vaeaug~herd4_pos25'
"""

from __future__ import annotations

import argparse

import pandas as pd
from draws import wtl


def pair_scores(df: pd.DataFrame, sampler: str, metric: str) -> pd.Series:
    """Mean score per (dataset, clf) pair of ``sampler``."""
    return df[df.sampler == sampler].groupby(["dataset", "clf"])[metric].mean()


def oracle(a: pd.Series, b: pd.Series, ref: pd.Series, by: str) -> tuple[pd.Series, int]:
    """Per data set, ``a``'s or ``b``'s pairs, whichever did better on that set (``by``:
    "mean" score, or "count": wins minus losses against ``ref``); and how many sets took
    ``b``."""
    if by == "mean":
        take_b = b.groupby("dataset").mean() > a.groupby("dataset").mean()
    else:
        def net(s: pd.Series) -> pd.Series:
            d = s - ref.reindex(s.index)
            return (d > 1e-9).groupby("dataset").sum() - (d < -1e-9).groupby("dataset").sum()
        take_b = net(b) > net(a)
    sets = a.index.get_level_values("dataset")
    chosen = b.where(sets.isin(take_b[take_b].index), a)
    return chosen, int(take_b.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("anchors", help="the anchor harness's CSV (holds the reference sampler)")
    ap.add_argument("variants", help="benchmarks/variants.py's CSV (column seed_offset)")
    ap.add_argument("rule_a")
    ap.add_argument("rule_b", help="one rule, or several, comma-separated (a line each)")
    ap.add_argument("--metric", default="gmean")
    ap.add_argument("--reference", default="smote")
    args = ap.parse_args()
    ref = pair_scores(pd.read_csv(args.anchors), args.reference, args.metric)
    variants = pd.read_csv(args.variants)
    if "seed_offset" not in variants:
        variants["seed_offset"] = 0
    for seed, part in variants.groupby("seed_offset"):
        a = pair_scores(part, args.rule_a, args.metric)
        for rule_b in args.rule_b.split(","):
            b = pair_scores(part, rule_b, args.metric).reindex(a.index)
            if b.isna().all():
                continue  # not drawn with this seed
            line = [f"seed {seed}: {args.rule_a} {wtl(a, ref)}", f"{rule_b} {wtl(b, ref)}"]
            for by in ("mean", "count"):
                chosen, n_b = oracle(a, b, ref, by)
                line.append(f"oracle by {by} {wtl(chosen, ref)} ({n_b} sets take {rule_b})")
            print(";  ".join(line) + "   (wins, ties, losses)")


if __name__ == "__main__":
    main()
