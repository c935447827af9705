"""Missing values: does vaeaug gain from seeing the gaps, or should they be filled first?

vaeaug models missing values (docs/cli.md, "Missing values"); SMOTE refuses them, so the
usual recipe fills them first. This script blanks cells of KEEL sets from the dev split in
two ways and compares, in 5-fold CV (scaler, imputer and sampler fit on the training fold):

``none``
    no oversampling;
``fill+smote``, ``fill+vaeaug``
    the gaps filled first (median, plus a 0/1 "was missing" column per column with gaps,
    scikit-learn's ``SimpleImputer(add_indicator=True)``), then the sampler;
``vaeaug``
    vaeaug on the table with its gaps, then the same filling of the result.

Every pipeline ends in the same filling, a StandardScaler and the classifier. The two kinds
of gaps: ``mcar``, every cell missing with probability 0.15, whatever its class; and
``informative``, three columns whose cells are missing with probability 0.4 in minority
rows and 0.05 in majority rows (the gap itself says something about the class).

    python benchmarks/missing.py --out benchmarks/results/missing.csv
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from vaeaug import CVAEOverSampler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keel import CLASSIFIERS, load, scores  # noqa: E402

DATASETS = ("glass1", "glass4", "pima", "vehicle1", "yeast3", "yeast4", "wisconsin",
            "ecoli3", "winequality_red_4", "page_blocks0")
PIPELINES = ("none", "fill+smote", "fill+vaeaug", "vaeaug")


def with_gaps(X: np.ndarray, y: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """``X`` with cells blanked (NaN) in the way ``kind`` names."""
    rng = np.random.default_rng(seed)
    X = X.astype(float).copy()
    if kind == "mcar":
        X[rng.random(X.shape) < 0.15] = np.nan
        return X
    columns = rng.choice(X.shape[1], size=min(3, X.shape[1]), replace=False)
    rate = np.where(y == 1, 0.4, 0.05)[:, None]
    blank = rng.random((len(y), len(columns))) < rate
    part = X[:, columns]
    part[blank] = np.nan
    X[:, columns] = part
    return X


def filler() -> SimpleImputer:
    return SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)


def resampled(pipeline: str, X: np.ndarray, y: np.ndarray, seed: int):
    """The training fold after ``pipeline``'s sampler (gaps filled or not)."""
    if pipeline == "none":
        return X, y
    if pipeline == "vaeaug":
        return CVAEOverSampler(random_state=seed, verbose=False).fit_resample(X, y)
    filled = filler().fit_transform(X)
    sampler = (SMOTE(random_state=seed, k_neighbors=min(5, int((y == 1).sum()) - 1))
               if pipeline == "fill+smote" else CVAEOverSampler(random_state=seed,
                                                                 verbose=False))
    return sampler.fit_resample(filled, y)


def run(name: str, kind: str) -> list[dict]:
    X, y = load(name)
    X = with_gaps(X, y, kind, seed=0)
    rows = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=5)
    for fold, (train, test) in enumerate(folds.split(X, y)):
        for pipeline in PIPELINES:
            X_res, y_res = resampled(pipeline, X[train], y[train], fold)
            # the gaps-filled pipelines' tables have their indicator columns already: the
            # test fold gets the same filling before the classifier's own (a no-op there)
            fill = filler().fit(X[train]) if pipeline.startswith("fill") else None
            X_test = fill.transform(X[test]) if fill else X[test]
            for c_name, make in CLASSIFIERS.items():
                clf = make_pipeline(filler(), StandardScaler(), make(fold))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit(X_res, y_res)
                rows.append({"dataset": name, "gaps": kind, "fold": fold,
                             "pipeline": pipeline, "clf": c_name,
                             **scores(clf, X_test, y[test])})
    return rows


def summary(df: pd.DataFrame) -> str:
    """Mean G-mean and AUC per pipeline, and vaeaug-on-gaps' wins against each pipeline."""
    out = []
    for kind, part in df.groupby("gaps", sort=False):
        means = part.groupby(["dataset", "clf", "pipeline"])[["gmean", "auc"]].mean()
        table = means.groupby("pipeline").mean().loc[list(PIPELINES)].round(3)
        out.append(f"gaps={kind}: mean over {part.dataset.nunique()} data sets x "
                   f"{part.clf.nunique()} classifiers\n{table.to_string()}")
        for metric in ("gmean", "auc"):
            wide = means[metric].unstack("pipeline")
            for other in ("fill+vaeaug", "fill+smote", "none"):
                diff = wide["vaeaug"] - wide[other]
                out.append(f"  {metric}: vaeaug on the gaps vs {other}: "
                           f"{(diff > 0).sum()} wins / {(diff == 0).sum()} ties / "
                           f"{(diff < 0).sum()} losses, mean diff {diff.mean():+.4f}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    rows = [row for name in args.datasets.split(",") for kind in ("mcar", "informative")
            for row in run(name, kind)]
    df = pd.DataFrame(rows)
    df.to_csv(args.out, index=False)
    print(summary(df))


if __name__ == "__main__":
    main()
