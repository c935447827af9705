"""How much of a single run's win count against SMOTE is the draw.

Reads CSVs of several *draws* of two samplers on the same folds (one CSV per draw, as written
by ``benchmarks/keel.py --seed-offset N`` or the anchor harness, or CSVs with a ``draw``
column) and counts (data set, classifier) pairs won, tied and lost, the way
``../shared/bench/summarize.py`` does, for:

- every single draw of the sampler against every single draw of the reference (what one
  run of the harness shows);
- the mean of k draws of the sampler against single draws of the reference (the sampler
  with its own draw averaged out);
- the mean of all draws against the mean of all draws (which way each pair goes in
  expectation);
- what a gain of the same size on every pair would buy: the reference against its own other
  draws with one draw's scores raised by delta (capped at 1), set beside the sampler's
  expected gain per pair (quantiles over the pairs) and each sampler's draw-to-draw spread.

    python benchmarks/keel.py --split dev -s smote --seed-offset 100 --out smote100.csv
    python benchmarks/draws.py --sampler vaeaug vaeaug*.csv smote*.csv --metric gmean
    python benchmarks/draws.py benchmarks/results/draws8-vaeaug-smote.csv.gz --metric auc
    python benchmarks/draws.py --sampler vaeaug mine.csv --vs-csv smote-draws.csv
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pandas as pd

TIE = 1e-9  # summarize.py's tolerance
#: Same-size gains on every pair, for the calibration at the end of the output.
DELTAS = (0.0025, 0.005, 0.01, 0.02)


def pair_means(paths: list[str], sampler: str, metric: str) -> list[pd.Series]:
    """One series per draw of ``sampler``: its metric per (data set, classifier). A CSV is
    one draw, or holds several told apart by a ``draw`` column (or, in variants.py's CSVs,
    a ``seed_offset`` column)."""
    draws = []
    for path in paths:
        frame = pd.read_csv(path)
        rows = frame[frame.sampler == sampler]
        column = next((c for c in ("draw", "seed_offset") if c in rows), None)
        groups = rows.groupby(column) if column else [(None, rows)]
        draws += [g.groupby(["dataset", "clf"])[metric].mean() for _, g in groups if len(g)]
    return draws


def wtl(a: pd.Series, b: pd.Series) -> tuple[int, int, int]:
    """Pairs where ``a`` beats, ties and loses to ``b``."""
    d = (a - b.reindex(a.index)).dropna()
    return int((d > TIE).sum()), int((d.abs() <= TIE).sum()), int((d < -TIE).sum())


def spread(counts: list[tuple[int, int, int]]) -> str:
    wins = np.array([c[0] for c in counts])
    losses = np.array([c[2] for c in counts])
    return (f"wins mean {wins.mean():6.1f} (min {wins.min()}, max {wins.max()}, "
            f"sd {wins.std():4.1f})   losses mean {losses.mean():6.1f}   "
            f"[{len(counts)} comparisons]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", nargs="+",
                    help="one CSV per draw, or CSVs with a 'draw' column (either may hold "
                         "both samplers)")
    ap.add_argument("--sampler", default="vaeaug")
    ap.add_argument("--vs", default="smote")
    ap.add_argument("--vs-csv", action="append", metavar="CSV",
                    help="take the --vs draws from this CSV only (repeatable), and --sampler's "
                         "from the positional CSVs only: for files that hold draws of both "
                         "under the same name")
    ap.add_argument("--metric", default="gmean")
    ap.add_argument("--target", type=float, default=0.6, help="share of pairs to mark (0.6)")
    a = ap.parse_args()
    mine = pair_means(a.csv, a.sampler, a.metric)
    ref = pair_means(a.vs_csv or a.csv, a.vs, a.metric)
    if not mine or not ref:
        raise SystemExit(f"need at least 1 draw of {a.sampler} and 1 of {a.vs}")
    pairs = len(ref[0])
    print(f"metric={a.metric}  {a.sampler}: {len(mine)} draws, {a.vs}: {len(ref)} draws, "
          f"{pairs} pairs; {a.target:.0%} of them = {int(np.ceil(a.target * pairs))} wins")

    single = [wtl(m, r) for m, r in itertools.product(mine, ref)]
    print(f"\none draw of {a.sampler} against one of {a.vs} (what one harness run shows):")
    print("  " + spread(single))
    hit = sum(c[0] >= a.target * pairs for c in single)
    print(f"  comparisons reaching the target: {hit} of {len(single)}")

    if len(ref) > 1:
        own = [wtl(x, y) for x, y in itertools.permutations(ref, 2)]
        print(f"\none draw of {a.vs} against another of {a.vs}:")
        print("  " + spread(own))

    print(f"\nmean of k draws of {a.sampler} against one draw of {a.vs} "
          f"(its own draw averaged out):")
    for k in range(1, len(mine) + 1):
        counts = [wtl(sum(group) / k, r)
                  for group in itertools.combinations(mine, k) for r in ref]
        print(f"  k={k}: " + spread(counts))

    expected = wtl(sum(mine) / len(mine), sum(ref) / len(ref))
    print(f"\nmean of all {len(mine)} draws against the mean of all {len(ref)}: "
          f"{expected[0]} / {expected[1]} / {expected[2]}")

    if len(ref) > 1:
        print(f"\none draw of {a.vs}, every pair raised by the same delta (capped at 1), "
              f"against another draw of {a.vs}:")
        for delta in DELTAS:
            shifted = [wtl((x + delta).clip(upper=1.0), y)
                       for x, y in itertools.permutations(ref, 2)]
            print(f"  +{delta:.4f}: " + spread(shifted))
    gain = (sum(mine) / len(mine) - sum(ref) / len(ref)).dropna()
    print(f"\n{a.sampler}'s expected gain per pair (its mean minus {a.vs}'s), quantiles "
          "5/25/50/75/95 %: " + ", ".join(f"{q:+.4f}" for q in gain.quantile(
              [0.05, 0.25, 0.5, 0.75, 0.95])) + f"; mean {gain.mean():+.4f}")
    for name, draws in ((a.sampler, mine), (a.vs, ref)):
        if len(draws) < 2:
            continue
        sd = pd.concat(draws, axis=1).std(axis=1).median()
        print(f"median over pairs of {name}'s draw-to-draw standard deviation: {sd:.4f}")


if __name__ == "__main__":
    main()
