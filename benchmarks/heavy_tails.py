"""New rows of a heavy-tailed column: standardised against the asinh scale.

One numeric column ``b`` next to a normal column ``a`` (600 rows, 60 of the minority class,
shifted by 1 in ``a``), in four versions: ``b`` normal (10, 2); the same with one far value
(1e5 or 1e9) in a majority row; with the far value in a minority row; and ``b`` lognormal
(3, 2.5). For each, the minority's real values of ``b`` and its new rows' (default
``CVAEOverSampler``, seed 0), once with every numeric column standardised and once with
heavy-tailed columns on the asinh scale (the default; docs/benchmarks.md, "Heavy-tailed
columns").

    python benchmarks/heavy_tails.py
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from vaeaug import CVAEOverSampler, preprocessing

N, N_MINORITY = 600, 60
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def table(kind: str) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(N - N_MINORITY, int), np.ones(N_MINORITY, int)]
    b = rng.lognormal(3, 2.5, N) if kind == "lognormal" else rng.normal(10, 2, N)
    if kind.startswith("far"):
        row = N - 1 if kind.endswith("minority") else 7
        b[row] = 1e9 if "1e9" in kind else 1e5
    return pd.DataFrame({"a": rng.normal(size=N) + y, "b": b}), y


def describe(values: pd.Series) -> str:
    q = values.quantile(list(QUANTILES)).to_numpy()
    return (" ".join(f"{v:8.3g}" for v in q) + f"  std {values.std():9.3g}"
            + f"  distinct {values.round(3).nunique() / len(values):4.0%}")


def main() -> None:
    warnings.simplefilter("ignore")
    print(f"b of the minority: quantiles {', '.join(map(str, QUANTILES))}; std; share of "
          "distinct values (3 decimals)")
    default = preprocessing.HEAVY_TAIL_RATIO
    for kind in ("normal", "far 1e5 in majority", "far 1e9 in majority",
                 "far 1e5 in minority", "lognormal"):
        X, y = table(kind)
        b = X["b"]
        ratio = b.std() / ((b.quantile(0.75) - b.quantile(0.25)) / 1.349)
        print(f"\n{kind} (std / robust spread {ratio:,.0f})")
        print(f"  {'real':12s} {describe(b[y == 1])}")
        for label, limit in (("standardised", float("inf")), ("default", default)):
            preprocessing.HEAVY_TAIL_RATIO = limit
            X_res, _ = CVAEOverSampler(random_state=0).fit_resample(X, y)
            print(f"  {label:12s} {describe(X_res['b'].iloc[N:])}")
        preprocessing.HEAVY_TAIL_RATIO = default


if __name__ == "__main__":
    main()
