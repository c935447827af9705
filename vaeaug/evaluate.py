"""With-versus-without augmentation: cross-validated scores of any samplers x classifiers.

Protocol (no leakage): stratified, repeated k-fold. In each fold the scaler and every sampler
are fit on the training part only; the test part is never resampled nor shown to a sampler.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from imblearn.metrics import geometric_mean_score
from joblib import Parallel, delayed, parallel_config
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import RepeatedStratifiedKFold, check_cv
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from .io import first_line
from .preprocessing import is_categorical_dtype, objects_as_numbers_all, times_as_numbers
from .sampler import CVAEOverSampler
from .training import one_thread
from .validation import (
    NumbersAsTextWarning,
    check_label_values,
    did_you_mean,
    is_count,
    pandas_if_polars,
    warn_counters,
    warn_numbers_as_text,
)

METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "gmean", "roc_auc")
#: The sampler whose paired differences to the others tables show (``vaeaug evaluate``,
#: reports), and what those rows say.
VERSUS = "vaeaug"
VERSUS_NOTE = (f"{VERSUS} vs X: the mean of {VERSUS}'s score minus X's on the same test folds, "
               f"and the folds where {VERSUS} scores higher/the same/lower.")
#: What the warning of a failed fit says after the sampler's or classifier's name.
FAILED_ON_A_FOLD = " failed on at least one fold; its scores there are NaN."


def default_classifiers(random_state: int = 0) -> dict[str, BaseEstimator]:
    """Logistic regression, k-NN, decision tree and random forest."""
    return {
        "logreg": LogisticRegression(max_iter=2000),
        "knn": KNeighborsClassifier(n_neighbors=5),
        "tree": DecisionTreeClassifier(random_state=random_state),
        "forest": RandomForestClassifier(n_estimators=100, random_state=random_state),
    }


def known_classifiers(random_state: int = 0) -> dict[str, BaseEstimator]:
    """:func:`default_classifiers`, and an SVM and gradient boosting by name: ``"svm"``, an
    RBF-kernel ``SVC`` as the KEEL benchmark runs it (AUC from its decision function), and
    ``"hgb"``, ``HistGradientBoostingClassifier``, scikit-learn's boosted trees for tables."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.svm import SVC

    return {**default_classifiers(random_state),
            "svm": SVC(C=1.0, gamma="scale", random_state=random_state),
            "hgb": HistGradientBoostingClassifier(random_state=random_state)}


def choose_classifiers(given: Any, random_state: int = 0) -> dict[str, Any]:
    """:func:`choose` for classifiers: names pick from :func:`known_classifiers`, ``None``
    gives :func:`default_classifiers`, and a name with a dot is a class imported by its path
    (:func:`imported`), such as ``sklearn.ensemble.ExtraTreesClassifier``.

    Raises
    ------
    ValueError
        As :func:`choose`.
    """
    return choose(given, default_classifiers(random_state), "classifier",
                  known_classifiers(random_state), random_state)


#: An example of a class named by its import path, for :func:`choose`'s error.
BY_PATH = {"classifier": "sklearn.ensemble.ExtraTreesClassifier",
           "sampler": "imblearn.over_sampling.SVMSMOTE"}


def imported(path: str, what: str, random_state: int = 0) -> Any:
    """A new instance of the class at ``path`` (``package.module.Class``), with its
    defaults, and ``random_state`` set if it takes one; ``what`` it is, for the errors."""
    import importlib

    module_name, _, class_name = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"{what} {path!r}: cannot import {module_name} "
                         f"({first_line(exc)}).") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ValueError(f"{what} {path!r}: {module_name} has no class {class_name!r}.")
    try:
        instance = cls()
    except TypeError as exc:  # required arguments
        raise ValueError(f"{what} {path!r} cannot be made with its defaults "
                         f"({first_line(exc)}).") from None
    if hasattr(instance, "get_params") and "random_state" in instance.get_params():
        instance.set_params(random_state=random_state)
    return instance


def default_samplers(X: pd.DataFrame, random_state: int = 0) -> dict[str, Any]:
    """none, vaeaug, SMOTE (SMOTENC / SMOTEN for categorical data) and random oversampling."""
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC, RandomOverSampler

    categorical = categorical_columns(X)
    if not categorical:
        smote = SMOTE(random_state=random_state)
    elif len(categorical) == X.shape[1]:
        smote = SMOTEN(random_state=random_state)
    else:
        smote = SMOTENC(categorical_features=categorical, random_state=random_state)
    return {"none": None, "vaeaug": CVAEOverSampler(random_state=random_state),
            "smote": smote, "ros": RandomOverSampler(random_state=random_state)}


#: Oversamplers that interpolate numbers only, offered by name besides the defaults.
NUMERIC_ONLY_SAMPLERS = ("borderline", "adasyn")


def known_samplers(X: pd.DataFrame, random_state: int = 0) -> dict[str, Any]:
    """:func:`default_samplers`, and imbalanced-learn's Borderline-SMOTE and ADASYN
    (``"borderline"``, ``"adasyn"``: the other classic oversamplers, for numeric tables)."""
    from imblearn.over_sampling import ADASYN, BorderlineSMOTE

    return {**default_samplers(X, random_state),
            "borderline": BorderlineSMOTE(random_state=random_state),
            "adasyn": ADASYN(random_state=random_state)}


def choose_samplers(given: Any, X: pd.DataFrame, random_state: int = 0) -> dict[str, Any]:
    """:func:`choose` for samplers: names pick from :func:`known_samplers`, ``None`` gives
    :func:`default_samplers`, and a name with a dot is a class imported by its path
    (:func:`imported`), such as ``imblearn.over_sampling.SVMSMOTE``.

    Raises
    ------
    ValueError
        As :func:`choose`; and Borderline-SMOTE or ADASYN named for a table with
        categorical columns, which they cannot interpolate.
    """
    known = known_samplers(X, random_state)
    defaults = {n: s for n, s in known.items() if n not in NUMERIC_ONLY_SAMPLERS}
    chosen = choose(given, defaults, "sampler", known, random_state)
    numeric_only = [n for n in NUMERIC_ONLY_SAMPLERS
                    if n in chosen and not isinstance(given, Mapping)]
    categorical = categorical_columns(X) if numeric_only else []
    if categorical:
        raise ValueError(f"{numeric_only[0]} interpolates numbers, and the table has "
                         f"categorical columns {categorical[:10]}; compare with smote "
                         "(SMOTENC or SMOTEN there), ros or vaeaug instead.")
    return chosen


def choose(given: Any, defaults: dict[str, Any], what: str,
           known: dict[str, Any] | None = None, random_state: int = 0) -> dict[str, Any]:
    """``given`` as a dict {name: object}: a dict as it is, ``None`` for ``defaults``, or
    names of ``known`` (default: ``defaults``; a list, or one string, comma-separated as on
    the command line). A name with a dot that ``known`` lacks is a class imported by its
    path (:func:`imported`, seeded with ``random_state``).

    Raises
    ------
    ValueError
        A name that ``known`` lacks, or something that is neither a dict nor names.
    """
    known = defaults if known is None else known
    if given is None:
        return dict(defaults)
    if isinstance(given, Mapping):
        if not given:
            raise ValueError(f"no {what} given; pass at least one {{name: {what}}}.")
        return dict(given)
    names = ([n.strip() for n in given.split(",") if n.strip()] if isinstance(given, str)
             else list(given) if isinstance(given, list | tuple) else None)
    if names is None or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{what}s must be a dict {{name: {what}}} or a list of the names "
                         f"{', '.join(known)}; got {type(given).__name__}.")
    if not names:
        raise ValueError(f"no {what} named; choose from {', '.join(known)}.")
    by_path = {n: imported(n, what, random_state) for n in names
               if "." in n and n not in known}
    known = {**known, **by_path}
    unknown = [n for n in names if n not in known]
    if unknown:
        hint = (f", or a {what} class by its import path, e.g. {BY_PATH[what]}"
                if what in BY_PATH else "")
        raise ValueError(f"unknown {what} {unknown[0]!r}; choose from {', '.join(known)}"
                         f"{hint}.{did_you_mean(unknown[0], list(known))}")
    return {n: known[n] for n in names}


def categorical_columns(X: Any) -> list:
    """The labels of ``X``'s categorical columns (an array's are found as a DataFrame's)."""
    X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)
    return [c for c in X.columns if is_categorical_dtype(X[c].dtype)]


@dataclass
class Evaluation:
    """Result of :func:`evaluate`: one row per sampler x classifier x fold in ``scores``."""

    scores: pd.DataFrame
    metrics: tuple[str, ...]

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation across folds, per classifier and sampler."""
        cols = [*self.metrics, "fit_resample_seconds", "n_synthetic"]
        agg = self.scores.groupby(["classifier", "sampler"], sort=False)[cols].agg(["mean", "std"])
        return agg

    def table(self, classifier: str, best_label: str = "best",
              seconds: bool = True, versus: str | None = None) -> pd.DataFrame:
        """One classifier's "mean ± std" per sampler and metric (text; ``n/a`` where every
        fold's score is NaN), with a row naming the best sampler of each metric, the mean
        ``fit_resample`` seconds if ``seconds``, and last, if the evaluation ran the sampler
        named ``versus`` and others, its :meth:`versus` rows."""
        check_named(classifier, self.scores.classifier.unique(), "classifier")
        part = self.scores[self.scores.classifier == classifier]
        by_sampler = part.groupby("sampler", sort=False)
        mean = by_sampler[list(self.metrics)].mean()
        std = by_sampler[list(self.metrics)].std().fillna(0)
        table = mean.map("{:.3f}".format) + " ± " + std.map("{:.3f}".format)
        table = table.where(mean.notna(), "n/a")  # every fold failed, or no AUC to take
        best = [_best(mean[m]) for m in self.metrics]
        if seconds:
            taken = by_sampler["fit_resample_seconds"].mean()
            table["seconds"] = taken.map("{:.2f}".format).where(taken.notna(), "n/a")
            best.append("")
        table.loc[best_label] = best
        if versus is not None and self.pairs(versus):
            table = pd.concat([table, self.versus(classifier, versus)]).fillna("")
            table.index.name = "sampler"
        return table

    def pairs(self, sampler: str = VERSUS) -> bool:
        """Whether the evaluation ran ``sampler`` and another one to compare it with."""
        return ran_with_others(self.scores, sampler)

    def versus(self, classifier: str, sampler: str = VERSUS) -> pd.DataFrame:
        """``sampler`` against each other sampler with one classifier, paired over folds: one
        row per other sampler ("vaeaug vs smote"), one text per metric, ``+0.012 4/0/1``: the
        mean difference of the two samplers' scores on the same folds, and the folds where
        ``sampler`` scores higher, the same and lower (``n/a`` where no fold has both)."""
        check_named(classifier, self.scores.classifier.unique(), "classifier")
        check_named(sampler, self.scores.sampler.unique(), "sampler")
        part = self.scores[self.scores.classifier == classifier]
        others = [s for s in dict.fromkeys(part.sampler) if s != sampler]
        table = pd.DataFrame(index=[f"{sampler} vs {other}" for other in others],
                             columns=list(self.metrics), dtype=object)
        for metric in self.metrics:
            wide = part.pivot_table(index="fold", columns="sampler", values=metric,
                                    dropna=False)
            for other in others:
                p = _paired(wide[sampler] - wide[other])
                table.loc[f"{sampler} vs {other}", metric] = (
                    f"{p['mean_diff']:+.3f} {p['wins']}/{p['ties']}/{p['losses']}"
                    if p["wins"] + p["ties"] + p["losses"] else "n/a")
        return table

    def compare(self, baseline: str = "none", metric: str = "balanced_accuracy") -> pd.DataFrame:
        """Paired difference of each sampler against ``baseline`` across folds.

        Columns: mean difference, folds won/tied/lost and the Wilcoxon signed-rank p-value.
        """
        check_named(baseline, self.scores.sampler.unique(), "sampler")
        check_named(metric, self.metrics, "metric")
        # dropna=False keeps a sampler that failed on every fold (all NaN): compared on no fold
        wide = self.scores.pivot_table(index=["classifier", "fold"], columns="sampler",
                                       values=metric, dropna=False)
        rows = []
        for (clf, sampler) in _pairs(self.scores):
            if sampler == baseline:
                continue
            diff = (wide.loc[clf, sampler] - wide.loc[clf, baseline]).dropna()
            rows.append({"classifier": clf, "sampler": sampler, "baseline": baseline,
                         "metric": metric, **_paired(diff), "p_value": _wilcoxon(diff)})
        return pd.DataFrame(rows)


def ran_with_others(scores: pd.DataFrame, sampler: str) -> bool:
    """Whether ``scores`` hold ``sampler``'s and another sampler's, to compare the two."""
    return sampler in set(scores.sampler) and scores.sampler.nunique() > 1


def check_named(name: str, names: Any, what: str) -> None:
    """A clear error when a result has no ``what`` (a sampler, a classifier...) ``name``."""
    if name not in list(names):
        raise ValueError(f"No {what} named {name!r} in this evaluation; it has "
                         f"{list(names)}.{did_you_mean(name, list(names))}")


def _best(means: pd.Series) -> str:
    """The sampler with the highest mean; "tie" when several share it (naming the first
    would crown it by its place in the table), "" when there is none."""
    if means.notna().sum() == 0:
        return ""
    top = means[(means - means.max()).abs() <= 1e-12]
    return str(top.index[0]) if len(top) == 1 else "tie"


def _pairs(scores: pd.DataFrame) -> list[tuple[str, str]]:
    return list(scores[["classifier", "sampler"]].drop_duplicates().itertuples(index=False))


def _paired(diff: pd.Series) -> dict[str, Any]:
    """The mean of paired differences, and how many are above, at and below zero (folds
    where either score is missing left out)."""
    diff = diff.dropna()
    return {"mean_diff": diff.mean(), "wins": int((diff > 1e-12).sum()),
            "ties": int((diff.abs() <= 1e-12).sum()), "losses": int((diff < -1e-12).sum())}


def _wilcoxon(diff: pd.Series) -> float:
    if len(diff) < 2 or np.allclose(diff, 0):
        return 1.0
    return float(wilcoxon(diff).pvalue)


def evaluate(
    X: Any,
    y: Any,
    samplers: Mapping[str, Any] | list[str] | str | None = None,
    classifiers: Mapping[str, BaseEstimator] | list[str] | str | None = None,
    cv: Any = 5,
    repeats: int = 1,
    random_state: int = 0,
    n_jobs: int | None = None,
    backend: str | None = None,
    progress: bool = False,
    groups: Any = None,
    scale: bool = True,
) -> Evaluation:
    """Cross-validate every sampler x classifier pair and score it on untouched test folds.

    Parameters
    ----------
    X : DataFrame or array-like
        Features; DataFrame columns of category/object/bool dtype are categorical.
    y : array-like
        Class labels.
    samplers : dict {name: sampler or None}, or list of names, optional
        Objects with ``fit_resample``; ``None`` means no oversampling. Names pick from
        :func:`known_samplers` (``["none", "vaeaug"]``; ``"borderline"`` and ``"adasyn"``
        for numeric tables); default: :func:`default_samplers`, none, vaeaug, smote, ros.
    classifiers : dict {name: classifier}, or list of names, optional
        scikit-learn classifiers. Names pick from :func:`known_classifiers`
        (``["logreg", "knn"]``; also ``"svm"`` and ``"hgb"``), or name a class by its
        import path (``"sklearn.ensemble.ExtraTreesClassifier"``); default:
        :func:`default_classifiers`, logreg, knn, tree and forest.
    cv : int, scikit-learn splitter or iterable of (train, test) indices, default=5
        Number of stratified folds (cut to the rarest class's size), a splitter, or the
        folds themselves (as in :func:`sklearn.model_selection.cross_validate`).
    repeats : int, default=1
        Repeats of the stratified k-fold, each reshuffled (ignored for a splitter).
    random_state : int
        Seeds the folds (and the default samplers and classifiers).
    n_jobs, backend : optional
        Jobs run in parallel through joblib, with this backend (e.g. ``"dask"``): one job
        per fold and sampler. Each job runs on one thread (the BLAS and OpenMP pools of
        numpy, scikit-learn and torch), so the scores are the same for any ``n_jobs`` and
        backend; ``n_jobs`` is how to use more cores.
    progress : bool
        Show a progress bar over those jobs.
    groups : array-like, optional
        Group labels of the rows, for a group splitter such as ``StratifiedGroupKFold``.
    scale : bool, default=True
        Standardise the numeric columns on each training fold, before the samplers and the
        classifiers see them. False for features on one scale already, such as pixels
        (:func:`vaeaug.image_evaluate.evaluate_images`).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> from vaeaug.datasets import load_dataset
    >>> from vaeaug.evaluate import evaluate
    >>> X, y = load_dataset("breast_cancer")
    >>> result = evaluate(X, y, samplers=["none", "vaeaug"], classifiers=["logreg"], cv=3)
    >>> result.scores.groupby("sampler", sort=False).size().to_dict()  # one row per fold
    {'none': 3, 'vaeaug': 3}
    >>> table = result.versus("logreg")  # texts such as "+0.012 2/0/1": mean difference to
    >>> table.index.tolist()             # no oversampling, folds higher/the same/lower
    ['vaeaug vs none']
    """
    grid = prepared(X, y, samplers, classifiers, cv, repeats, random_state, groups)
    results = run_jobs(grid.jobs(scale), n_jobs, backend, progress)
    rows = [row for fold_rows, _ in results for row in fold_rows]
    return Evaluation(checked_scores(rows, [w for _, caught in results for w in caught]),
                      METRICS)


@dataclass
class Grid:
    """One data set's cross-validation, checked and ready to run: the table as the folds
    see it, the labels, the samplers and classifiers by name, and the folds."""

    X: pd.DataFrame
    y: pd.Series
    samplers: dict[str, Any]
    classifiers: dict[str, Any]
    folds: list[tuple[np.ndarray, np.ndarray]]

    def jobs(self, scale: bool = True) -> list[Any]:
        """One joblib job per fold and sampler: the progress bar moves once per sampler fit
        and the classifiers after it, not once per fold (a random forest on 40,000 rows
        takes half a minute per fit), and ``n_jobs`` has as many jobs to share out."""
        return [delayed(_fold_and_warnings)(self.X, self.y, train, test, {name: sampler},
                                            self.classifiers, i, scale)
                for i, (train, test) in enumerate(self.folds)
                for name, sampler in self.samplers.items()]


def prepared(X: Any, y: Any, samplers: Any, classifiers: Any, cv: Any, repeats: int,
             random_state: int, groups: Any = None) -> Grid:
    """Check and convert one data set, choose its samplers and classifiers and cut its
    folds, as :func:`evaluate` does before any fold runs."""
    X = pandas_if_polars(X)  # its columns' names and kinds, not one array of objects
    X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    # set_axis returns a new frame: the caller's column names stay as they were
    X = X.set_axis([str(c) for c in X.columns], axis=1).reset_index(drop=True)
    # decimal and date objects, dates and durations as the numbers vaeaug models them as:
    # the scaler and the classifiers take numbers only, and every sampler sees the same table
    X = times_as_numbers(objects_as_numbers_all(X))
    # said once for the whole table here, not per fold (a fold may miss the odd value)
    warn_numbers_as_text(X, categorical_columns(X))
    warn_counters(X)  # a fold's rows of a row counter have gaps: no fit would say it
    check_label_values(y)
    check_classification_targets(y)  # a continuous target: scikit-learn's own message
    y = pd.Series(np.asarray(y)).reset_index(drop=True)
    chosen_samplers = choose_samplers(samplers, X, random_state)
    chosen_classifiers = choose_classifiers(classifiers, random_state)
    check_roles(chosen_samplers, chosen_classifiers)
    folds = list(_splitter(cv, repeats, random_state, y).split(X, y, groups))
    return Grid(X, y, chosen_samplers, chosen_classifiers, folds)


def run_jobs(jobs: list[Any], n_jobs: int | None, backend: str | None,
             progress: bool) -> list[tuple[list[dict[str, Any]], list[tuple[type, str]]]]:
    """Run :meth:`Grid.jobs` (of one data set or several) through joblib, in order: each
    job's score rows and the warnings it gave."""
    config = {"n_jobs": n_jobs} if backend is None else {"backend": backend, "n_jobs": n_jobs}
    with parallel_config(**config):
        return list(tqdm(Parallel(return_as="generator")(jobs), total=len(jobs),
                         desc="vaeaug evaluate", unit="fit", disable=not progress))


def checked_scores(rows: list[dict[str, Any]], caught: list[tuple[type, str]]) -> pd.DataFrame:
    """The score rows as a table; an error when no fit could be scored at all, and each
    distinct warning of the folds once, here, where the caller's filters apply."""
    caught = list(dict.fromkeys(caught))
    failures = [message for category, message in caught if category is FitFailedWarning]
    scores = pd.DataFrame(rows)
    if failures and scores[list(METRICS)].isna().all(axis=None):
        # as cross_validate: when nothing could be scored, say why instead of a table of NaN
        first = failures[0].replace(FAILED_ON_A_FOLD, ":")
        raise ValueError(f"Every fit failed, on every fold. The first failure, {first}")
    for category, message in caught:
        warnings.warn(message, category, stacklevel=3)
    return scores


def _fold_and_warnings(*args: Any) -> tuple[list[dict[str, Any]], list[tuple[type, str]]]:
    """:func:`run_fold`, and the warnings it gave: worker processes would print their own,
    once per fold and in Python's long format.

    The fold runs on one thread: scikit-learn's nearest neighbours merge equal distances in
    an order that depends on the OpenMP thread count, so on data with repeated rows (kc1)
    k-NN's scores and SMOTE's rows differed between a process of two threads and a joblib
    worker of one. One is the count that every process can have. torch shares its OpenMP
    runtime with scikit-learn once imported, so its pool cannot be left out of the limit."""
    with warnings.catch_warnings(record=True) as caught, one_thread():
        warnings.simplefilter("always")
        rows = run_fold(*args)
    # Deprecations concern the libraries' code, not the user's data: Python hides them
    return rows, [(w.category, str(w.message)) for w in caught
                  if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                                 NumbersAsTextWarning))]


def check_roles(samplers: Mapping[str, Any], classifiers: Mapping[str, Any]) -> None:
    """Refuse, before any fold runs, a sampler without ``fit_resample`` or a classifier
    without ``fit`` and ``predict`` (given in each other's place, say)."""
    for name, sampler in samplers.items():
        if sampler is not None and not hasattr(sampler, "fit_resample"):
            raise ValueError(f"sampler {name!r} ({type(sampler).__name__}) has no "
                             "fit_resample; give an oversampler, or None for no oversampling.")
    for name, classifier in classifiers.items():
        if not (hasattr(classifier, "fit") and hasattr(classifier, "predict")):
            raise ValueError(f"classifier {name!r} ({type(classifier).__name__}) has no "
                             "fit and predict; give a scikit-learn classifier.")


def _splitter(cv: Any, repeats: int, random_state: int, y: pd.Series) -> Any:
    if not is_count(repeats) or repeats < 1:
        raise ValueError(f"repeats must be a whole number >= 1, got {repeats!r}.")
    if isinstance(cv, bool) or not isinstance(cv, int | np.integer):
        # a splitter, or folds given as (train, test) pairs; anything else is named there
        return check_cv(cv, y, classifier=True)
    if cv < 2:
        raise ValueError(f"cv must be at least 2 folds, got {cv}.")
    rarest = int(y.value_counts().min())
    n_splits = min(int(cv), rarest)
    if n_splits < 2:
        raise ValueError("Every class needs at least 2 rows for cross-validation; the "
                         f"rarest class has {rarest}.")
    if n_splits < cv:  # said, not only shown in the header: a user compares fold counts
        warnings.warn(f"{cv} folds cut to {n_splits}: the rarest class has {rarest} rows, "
                      "and every test fold needs one of them.", UserWarning, stacklevel=3)
    return RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=repeats,
                                   random_state=random_state)


def run_fold(X: pd.DataFrame, y: pd.Series, train: np.ndarray, test: np.ndarray,
             samplers: Mapping[str, Any], classifiers: Mapping[str, BaseEstimator],
             fold: int, scale: bool = True) -> list[dict[str, Any]]:
    """Scores of every sampler x classifier on one fold (samplers see the training part only)."""
    categorical = categorical_columns(X)
    X_train, X_test = filled(X.iloc[train], X.iloc[test], categorical)
    if scale:
        scaler = _scaler(categorical).fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    y_train, y_test = y.iloc[train].reset_index(drop=True), y.iloc[test].to_numpy()
    classes = np.unique(y)
    rows = []
    for s_name, sampler in samplers.items():
        start = time.perf_counter()
        resampled = (X_train, y_train) if sampler is None else _failed_as_nan(
            f"sampler {s_name!r}", _fit_for_fold(sampler, y_train, fold).fit_resample,
            X_train, y_train)
        seconds = time.perf_counter() - start
        for c_name, clf in classifiers.items():
            scores = resampled and _failed_as_nan(
                f"classifier {c_name!r} (sampler {s_name!r})", _test_scores, clone(clf),
                categorical, *resampled, X_test, y_test, classes)
            rows.append({"sampler": s_name, "classifier": c_name, "fold": fold,
                         **(scores or dict.fromkeys(METRICS, np.nan)),
                         "fit_resample_seconds": seconds if resampled else np.nan,
                         "n_synthetic": (len(resampled[1]) - len(y_train)) if resampled
                         else np.nan})
    return rows


#: What :func:`filled` writes for a missing value of a categorical column.
MISSING_CATEGORY = "(missing)"


def filled(train: pd.DataFrame, test: pd.DataFrame,
           categorical: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both parts with their missing values filled from the training part: a numeric
    column's median (0 if it has no value there), a category of their own in a categorical
    one. SMOTE and most classifiers refuse missing values, and every sampler should see the
    same table, so the comparison fills them for all of them (vaeaug alone could model them)."""
    gaps = [c for c in train.columns if train[c].isna().any() or test[c].isna().any()]
    if not gaps:
        return train, test
    values: dict[Any, Any] = {}
    for c in gaps:
        if c in categorical:
            values[c] = MISSING_CATEGORY
        else:
            median = train[c].median()
            values[c] = 0.0 if pd.isna(median) else median
    # categories as objects: a new category needs no dtype; numbers as floats: a median of
    # whole numbers (Int64) may be a half
    dtypes = {c: object if c in categorical else np.float64 for c in gaps}
    train, test = (part.astype(dtypes).fillna(values) for part in (train, test))
    return train, test


def _test_scores(clf: BaseEstimator, categorical: list, X_res: Any, y_res: Any,
                 X_test: pd.DataFrame, y_test: np.ndarray, classes: np.ndarray
                 ) -> dict[str, float]:
    model = make_pipeline(_encoder(categorical), clf).fit(X_res, y_res)
    return classification_scores(y_test, model.predict(X_test),
                                 _decision_scores(model, X_test), classes)


def _failed_as_nan(what: str, fit: Callable[..., Any], *args: Any) -> Any:
    """``fit(*args)``, or ``None`` with a warning if it raised: as scikit-learn's
    ``cross_validate`` (``error_score=np.nan``), one failing sampler or classifier leaves
    NaN scores in its rows instead of ending the whole comparison."""
    try:
        return fit(*args)
    except Exception as exc:  # noqa: BLE001 -- any fit's failure, reported in the warning
        detail = f"{type(exc).__name__}: {first_line(exc)}" if str(exc).strip() else \
            type(exc).__name__
        warnings.warn(f"{what}{FAILED_ON_A_FOLD} {detail}", FitFailedWarning, stacklevel=2)
        return None


def _scaler(categorical: list) -> ColumnTransformer:
    return ColumnTransformer([("cat", "passthrough", categorical)], remainder=StandardScaler(),
                             verbose_feature_names_out=False).set_output(transform="pandas")


def _encoder(categorical: list) -> ColumnTransformer:
    return ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical)],
                             remainder="passthrough")


def _fit_for_fold(sampler: Any, y_train: pd.Series, fold: int) -> Any:
    """A fresh copy; neighbour counts cut to what the rarest class allows."""
    sampler = clone(sampler)
    smallest = int(y_train.value_counts().min())
    params = sampler.get_params()
    for key in ("k_neighbors", "n_neighbors"):
        if isinstance(params.get(key), int) and params[key] >= smallest:
            sampler.set_params(**{key: max(1, smallest - 1)})
    return sampler


def _decision_scores(model: Any, X: pd.DataFrame) -> np.ndarray | None:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    return None


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None,
                          classes: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro-F1, G-mean, ROC-AUC, and per-class recall and F1."""
    out = {
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "f1_macro": f1_score(y_true, y_pred, average="macro", labels=classes, zero_division=0),
        "gmean": geometric_mean_score(y_true, y_pred, labels=classes, average="multiclass"),
        "roc_auc": _roc_auc(y_true, scores, classes),
    }
    recalls = recall_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    f1s = f1_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    for label, r, f in zip(classes, recalls, f1s):
        out[f"recall[{label}]"] = r
        out[f"f1[{label}]"] = f
    return {k: float(v) for k, v in out.items()}


def _roc_auc(y_true: np.ndarray, scores: np.ndarray | None, classes: np.ndarray) -> float:
    if scores is None or len(np.unique(y_true)) < 2:
        return float("nan")
    if len(classes) == 2:
        return roc_auc_score(y_true == classes[1], scores if scores.ndim == 1 else scores[:, 1])
    if len(np.unique(y_true)) < len(classes):
        return float("nan")
    if (scores < 0).any() or not np.allclose(scores.sum(axis=1), 1.0):  # decision_function,
        # e.g. LinearSVC's: the same one-vs-rest macro average, which scikit-learn computes
        # for probabilities only
        return float(np.mean([roc_auc_score(y_true == c, scores[:, k])
                              for k, c in enumerate(classes)]))
    return roc_auc_score(y_true, scores, multi_class="ovr", labels=classes)


class AugmentedClassifier(ClassifierMixin, BaseEstimator):
    """A classifier trained on resampled data; prediction sees the data unchanged.

    Lets scikit-learn's own ``Pipeline``, ``cross_validate`` and ``GridSearchCV`` use
    augmentation without imbalanced-learn's Pipeline.

    Parameters
    ----------
    classifier : estimator
        Any scikit-learn classifier.
    sampler : object with ``fit_resample``, default=None
        Defaults to ``CVAEOverSampler()``.
    """

    def __init__(self, classifier: BaseEstimator, sampler: Any = None) -> None:
        self.classifier = classifier
        self.sampler = sampler

    def fit(self, X: Any, y: Any, **fit_params: Any) -> AugmentedClassifier:
        """Resample ``X, y`` with a copy of ``sampler``, then fit a copy of ``classifier``."""
        self.sampler_ = clone(self.sampler) if self.sampler is not None else CVAEOverSampler()
        X_res, y_res = self.sampler_.fit_resample(X, y)
        self.classifier_ = clone(self.classifier).fit(X_res, y_res, **fit_params)
        self.classes_ = self.classifier_.classes_
        if hasattr(self.classifier_, "n_features_in_"):
            self.n_features_in_ = self.classifier_.n_features_in_
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "classifier_")
        return self.classifier_.predict(X)

    def _has(name: str) -> Callable[[Any], bool]:  # noqa: N805 - used as a decorator factory below
        return lambda self: hasattr(self.classifier, name)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "classifier_")
        return self.classifier_.predict_proba(X)

    @available_if(_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "classifier_")
        return self.classifier_.decision_function(X)
