"""A self-contained Markdown report of an evaluation, with PNG plots (matplotlib).

Plots: metric differences against no augmentation per classifier, per-class recall with and
without vaeaug, real-vs-synthetic distributions of the most important features, and a 2-D view
of the latent space (real vs synthetic, by class); for an image set, instead of the last two,
real and synthetic images side by side.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .evaluate import VERSUS, VERSUS_NOTE, Evaluation, _best
from .io import write_atomic
from .preprocessing import (
    is_time_dtype,
    numbers,
    object_columns,
    objects_as_numbers_all,
    times_as_numbers,
)
from .sampler import CVAEOverSampler


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Reports need matplotlib: pip install 'vaeaug[report]'.") from exc
    return plt


#: The files :func:`write_report` writes into its folder.
REPORT_FILES = ("report.md", "metric_deltas.png", "class_recall.png", "features.png",
                "latent.png", "images.png")
#: The files :func:`write_datasets_report` writes into its folder.
DATASETS_REPORT_FILES = ("report.md", "pair_differences.png")
#: Every file either report writes: a folder holds one report, so each removes the other's.
ALL_REPORT_FILES = tuple(dict.fromkeys(REPORT_FILES + DATASETS_REPORT_FILES))


def write_report(result: Evaluation, X: pd.DataFrame | None, y: pd.Series, out_dir: str | Path,
                 title: str, random_state: int = 0, images: np.ndarray | None = None) -> Path:
    """Write ``report.md`` and its plots (:data:`REPORT_FILES`) into ``out_dir``, each file
    atomically; return the report's path. For an image set (``images``, labelled ``y``;
    ``X`` unused) real and synthetic images take the place of the table's plots."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = {}
    samplers = set(result.scores.sampler)
    if "none" in samplers and len(samplers) > 1:  # else there is no difference to draw
        plots["metric_deltas.png"] = plot_metric_deltas(result)
    plots["class_recall.png"] = plot_class_recall(result)
    if images is None:
        assert X is not None  # a table's report
        sampler = CVAEOverSampler(random_state=random_state).fit(X, y)
        plots["features.png"] = plot_feature_distributions(sampler, X, y)
        plots["latent.png"] = plot_latent(sampler, X, y)
    for name, fig in plots.items():
        _save(fig, out / name)
    written = list(plots)
    if images is not None:
        write_real_and_synthetic(out / "images.png", images, y, random_state)
        written.append("images.png")
    return _finish(out, markdown(result, title, written), written)


def _save(fig: Any, path: Path) -> None:
    write_atomic(path, functools.partial(fig.savefig, format="png", dpi=100,
                                         bbox_inches="tight"))
    _pyplot().close(fig)


def _finish(out: Path, text: str, written: list[str]) -> Path:
    """Remove the plots of an earlier report that this one did not draw, write report.md."""
    for name in set(ALL_REPORT_FILES) - set(written) - {"report.md"}:
        (out / name).unlink(missing_ok=True)
    path = out / "report.md"
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def write_datasets_report(result: Any, out_dir: str | Path, title: str) -> Path:
    """Write ``report.md`` for an evaluation over several data sets
    (:class:`vaeaug.benchmark.DatasetsEvaluation`): the table across the (data set,
    classifier) pairs, one row per data set, and ``pair_differences.png`` (vaeaug's score
    minus each other sampler's, pair by pair) when vaeaug ran with others. Returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if result.pairs(VERSUS):
        _save(plot_pair_differences(result), out / "pair_differences.png")
        written.append("pair_differences.png")
    return _finish(out, datasets_markdown(result, title, written), written)


def datasets_markdown(result: Any, title: str, plots: list[str]) -> str:
    """The text of :func:`write_datasets_report`."""
    scores = result.scores
    lines = [f"# vaeaug evaluation: {title}", "",
             f"{result.size()}: (data set, classifier) pairs, cross-validation folds; "
             "samplers fit on training folds only.", "",
             "## Across the pairs", "", result.note(VERSUS), "",
             _md_table(result.table(VERSUS)), "",
             "## By data set", "",
             "Mean G-mean / mean AUC on the test folds, averaged over the classifiers.", ""]
    by_set = scores.groupby(["dataset", "sampler"], sort=False)[["gmean", "roc_auc"]].mean()
    wide = by_set.unstack("sampler")
    samplers = list(dict.fromkeys(scores.sampler))
    table = pd.DataFrame({s: [f"{g:.3f} / {a:.3f}" for g, a in
                              zip(wide["gmean"][s], wide["roc_auc"][s], strict=True)]
                          for s in samplers}, index=wide.index)
    table["best G-mean"] = [_best(row) for _, row in wide["gmean"][samplers].iterrows()]
    lines += [_md_table(table.loc[list(dict.fromkeys(scores.dataset))]), ""]
    if plots:
        lines += ["## Plots", "", f"`pair_differences.png`: {VERSUS}'s mean score minus each "
                  "other sampler's, one point per (data set, classifier) pair, sorted; above "
                  f"the line {VERSUS} does better.", "", "![pair_differences.png]"
                  "(pair_differences.png)", ""]
    return "\n".join(lines)


def plot_pair_differences(result: Any) -> Any:
    """For G-mean and AUC, vaeaug's mean score minus each other sampler's over the (data
    set, classifier) pairs, sorted, one line per other sampler."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))  # AUC differences are the smaller
    for ax, metric in zip(axes, ("gmean", "roc_auc"), strict=True):
        means = result.means(metric)
        counts = result.versus(metric)
        for other in counts.index:
            diff = np.sort((means[VERSUS] - means[other]).dropna().to_numpy())[::-1]
            row = counts.loc[other]
            ax.plot(np.arange(1, len(diff) + 1), diff, marker="o" if len(diff) <= 30 else "",
                    label=f"vs {other}: "
                    f"{int(row.wins)}/{int(row.ties)}/{int(row.losses)}")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(f"{metric}: {VERSUS} minus X")
        ax.set_xlabel("(data set, classifier) pairs, sorted")
        ax.legend(title="wins/ties/losses", fontsize=8)
        ax.set_ylabel("difference of mean scores")
    fig.tight_layout()
    return fig


def markdown(result: Evaluation, title: str, plots: list[str]) -> str:
    """The report's text: summary tables, comparisons, and the plots."""
    scores = result.scores
    lines = [f"# vaeaug evaluation: {title}", "",
             f"{scores.fold.nunique()} cross-validation folds; samplers fit on training folds "
             "only. Mean ± standard deviation on the test folds.", ""]
    for clf in scores.classifier.unique():
        table = result.table(clf, "**best**", seconds=False, versus=VERSUS)
        lines += [f"## {clf}", "", _md_table(table), ""]
    if result.pairs(VERSUS):
        lines += [VERSUS_NOTE, ""]
    samplers = set(scores.sampler)
    for baseline in [b for b in ("none", "smote") if b in samplers]:
        table = result.compare(baseline, "balanced_accuracy")
        if len(table):
            lines += [f"## Balanced accuracy against `{baseline}` (paired over folds, Wilcoxon)",
                      "", _md_table(table.drop(columns=["baseline", "metric"])
                                    .set_index(["classifier", "sampler"]).round(4)), ""]
    lines += ["## Plots", ""]
    if "images.png" in plots:
        lines += ["`images.png`: for each class, a row of real images and a row of new ones "
                  "from vaeaug's image model fit on all of them.", ""]
    if "metric_deltas.png" not in plots:
        lines += ["No differences to no augmentation are plotted: that needs the `none` "
                  "sampler and at least one other.", ""]
    lines += [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(lines)


def _md_table(df: pd.DataFrame) -> str:
    index_names = [str(n) if n else "" for n in df.index.names]
    header = "| " + " | ".join(index_names + [str(c) for c in df.columns]) + " |"
    rule = "|" + "---|" * (len(index_names) + len(df.columns))
    rows = []
    for key, row in df.astype(object).iterrows():  # object: counts stay 2, not 2.0
        keys = key if isinstance(key, tuple) else (key,)
        rows.append("| " + " | ".join([str(k) for k in keys] + [str(v) for v in row]) + " |")
    return "\n".join([header, rule, *rows])


def plot_metric_deltas(result: Evaluation) -> Any:
    """Mean difference to "none" per metric, one panel per classifier."""
    plt = _pyplot()
    scores = result.scores
    classifiers = list(dict.fromkeys(scores.classifier))
    fig, axes = plt.subplots(1, len(classifiers), figsize=(4 * len(classifiers), 3.5),
                             squeeze=False, sharey=True)
    for ax, clf in zip(axes[0], classifiers):
        mean = scores[scores.classifier == clf].groupby("sampler")[list(result.metrics)].mean()
        if "none" in mean.index:
            (mean.drop(index="none") - mean.loc["none"]).T.plot.bar(ax=ax, rot=45)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_title(clf)
        ax.set_ylabel("difference to no augmentation")
    fig.tight_layout()
    return fig


def plot_class_recall(result: Evaluation) -> Any:
    """Per-class recall of every sampler, averaged over classifiers and folds."""
    plt = _pyplot()
    cols = [c for c in result.scores.columns if c.startswith("recall[")]
    mean = result.scores.groupby("sampler")[cols].mean()
    mean.columns = [c[len("recall["):-1] for c in cols]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    mean.T.plot.bar(ax=ax, rot=0)
    ax.set_xlabel("class")
    ax.set_ylabel("recall")
    ax.set_ylim(0, 1)
    fig.tight_layout()
    return fig


def plot_feature_distributions(sampler: CVAEOverSampler, X: pd.DataFrame, y: pd.Series,
                               n_features: int = 4) -> Any:
    """Real vs synthetic rows of the rarest class for its most important features (ranked
    by a random forest's impurity importance): histograms of numeric columns, the share of
    each category (the 10 most common) for categorical ones."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.preprocessing import OrdinalEncoder

    plt = _pyplot()
    rare = y.value_counts().idxmin()
    categorical = set(sampler.transformer_.categorical)
    cats = [c for c in X.columns if c in categorical]
    # decimal and date objects as the numbers they are modelled as, for the forest and the
    # histograms (the sampler gives such objects back)
    objects = object_columns(X, [c for c in X.columns if c not in categorical])
    as_numbers = functools.partial(objects_as_numbers_all, kinds=objects)
    ranked = times_as_numbers(as_numbers(X), [c for c in X.columns if c not in categorical])
    if cats:  # category codes are enough for a ranking
        ranked[cats] = OrdinalEncoder().fit_transform(X[cats].astype(str))
    forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(ranked, y)
    top = [X.columns[i] for i in np.argsort(forest.feature_importances_)[::-1][:n_features]]
    X_new, _ = sampler.sample(max(200, int((y == rare).sum())), y=rare, random_state=0)
    X, X_new = as_numbers(X), as_numbers(X_new)
    fig, axes = plt.subplots(1, len(top), figsize=(3.2 * len(top), 3), squeeze=False)
    for ax, col in zip(axes[0], top):
        real = X.loc[y == rare, col]
        if col in categorical:
            shares = pd.DataFrame({"real": real.astype(str).value_counts(normalize=True),
                                   "synthetic": X_new[col].astype(str)
                                   .value_counts(normalize=True)}).fillna(0)
            shares = shares.sort_values("real", ascending=False).head(10)
            where = np.arange(len(shares))
            ax.bar(where - 0.2, shares["real"], width=0.4, alpha=0.8, label="real")
            ax.bar(where + 0.2, shares["synthetic"], width=0.4, alpha=0.8, label="synthetic")
            ax.set_xticks(where, [str(v)[:10] for v in shares.index], rotation=45,
                          fontsize=7)
            ax.set_ylabel("share")
        else:  # dates and durations as the numbers they are modelled as
            # missing values have no place on the axis (their share is the model's concern)
            real_values, new_values = (v[~np.isnan(v)] for v in (numbers(real),
                                                                  numbers(X_new[col])))
            bins = np.histogram_bin_edges(np.r_[real_values, new_values], bins=20)
            ax.hist(real_values, bins=bins, alpha=0.6, density=True, label="real")
            ax.hist(new_values, bins=bins, alpha=0.6, density=True, label="synthetic")
            if is_time_dtype(X[col].dtype):
                ax.set_xlabel(f"{X[col].dtype} as a count of its unit", fontsize=7)
        ax.set_title(str(col))
    axes[0][0].legend()
    fig.suptitle(f"class {rare}: real vs synthetic")
    fig.tight_layout()
    return fig


#: Images per row of :func:`write_real_and_synthetic`'s grid.
IMAGES_PER_ROW = 8


def write_real_and_synthetic(path: Path, images: np.ndarray, y: pd.Series,
                             random_state: int = 0) -> None:
    """A PNG with two rows per class: real images, then new ones from an
    ``ImageCVAEOverSampler`` fit on all of them."""
    from .image_io import save_grid
    from .image_sampler import ImageCVAEOverSampler

    labels = y.to_numpy()
    classes = list(dict.fromkeys(labels.tolist()))
    sampler = ImageCVAEOverSampler(random_state=random_state).fit(images, labels)
    new, new_labels = sampler.sample(y={c: IMAGES_PER_ROW for c in classes}, random_state=0)
    rows, names = [], []
    for c in classes:
        real = images[labels == c][:IMAGES_PER_ROW]
        rows += [real, new[new_labels == c]]
        names += [f"{c} real"] * len(real) + [f"{c} synthetic"] * IMAGES_PER_ROW
    save_grid(path, np.concatenate(rows), np.asarray(names), per_class=IMAGES_PER_ROW)


def plot_latent(sampler: CVAEOverSampler, X: pd.DataFrame, y: pd.Series) -> Any:
    """Latent means of real rows and of synthetic rows, by class, in two PCA dimensions."""
    from sklearn.decomposition import PCA

    plt = _pyplot()
    counts = y.value_counts()
    X_new, y_new = sampler.sample(y={c: int(counts.max() - n) for c, n in counts.items()},
                                  random_state=0)
    z_real = sampler.encode(X, y)
    z_new = sampler.encode(X_new, y_new) if len(y_new) else np.zeros((0, z_real.shape[1]))
    pca = PCA(n_components=min(2, z_real.shape[1])).fit(z_real)
    fig, ax = plt.subplots(figsize=(5, 4))
    for label in counts.index:
        p = pca.transform(z_real[y.to_numpy() == label])
        ax.scatter(p[:, 0], p[:, -1], s=8, alpha=0.6, label=f"{label} real")
        if (y_new == label).any():
            q = pca.transform(z_new[y_new == label])
            ax.scatter(q[:, 0], q[:, -1], s=8, alpha=0.4, marker="x",
                       label=f"{label} synthetic")
    ax.set_xlabel("latent PC 1")
    ax.set_ylabel("latent PC 2")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
