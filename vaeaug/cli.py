"""The ``vaeaug`` command line: parse arguments, call the library, print or write results."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import signal
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np
import pandas as pd

from . import __version__
from .defaults import DEVICE, EPOCHS, LATENT_DIM
from .io import (
    STDIN,
    STDOUT,
    InputError,
    as_shown,
    check_output,
    check_table_output,
    first_line,
    has_own_index,
    index_for,
    names_a_table,
    read_table,
    stdin_as_file,
    table_path,
    write_atomic,
    write_table,
    writes_text,
)
from .preprocessing import (
    NUMERIC,
    asinh_scaled,
    cardinality_problem,
    counter_problem,
    heavy_tailed,
    is_time_dtype,
    pandas_dtype,
)
from .text_styles import (
    DIALECT,
    EmptyColumn,
    NumbersWritten,
    NumberText,
    as_read,
    styles,
    styles_as_read,
)

if TYPE_CHECKING:
    from .sampler import CVAEOverSampler

# torch, scikit-learn and imbalanced-learn (some seconds to import) are imported by the
# commands that use them, so that --help and errors in the arguments come at once; the
# defaults the options show are the estimators' own (vaeaug.defaults)


#: The column --mark-synthetic adds: True for the new rows.
SYNTHETIC_COLUMN = "synthetic"


class CLIError(click.ClickException):
    """A user error: one line on stderr, exit code 2, no traceback."""

    exit_code = 2


def user_errors(func: Callable) -> Callable:
    """Turn the library's errors about input into one-line CLI errors."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():  # the library's warnings as one line each
                warnings.showwarning = WarningPrinter()
                return func(*args, **kwargs)
        except (InputError, ValueError, TypeError, FileNotFoundError, PermissionError,
                IsADirectoryError, NotADirectoryError, MemoryError) as exc:
            raise CLIError(as_shown(first_line(exc))) from None

    return wrapper


def piped(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """INPUT ``-`` (one of them, for ``fit``): the table piped to stdin, saved as a file
    (:func:`vaeaug.io.stdin_as_file`)."""
    values = value if isinstance(value, tuple) else (value,)
    if values.count(STDIN) > 1:
        raise CLIError(f"'{STDIN}' (stdin) may be given once.")
    try:
        files = tuple(stdin_as_file() if v == STDIN else v for v in values)
    except InputError as exc:
        raise CLIError(str(exc)) from None
    return files if isinstance(value, tuple) else files[0]


class WarningPrinter:
    """``warnings.showwarning`` for the CLI: ``Warning: message`` on stderr, without file
    and line, and each message once (``evaluate`` fits once per fold)."""

    def __init__(self) -> None:
        self.shown: set[str] = set()

    def __call__(self, message: Warning | str, *args: Any, **kwargs: Any) -> None:
        if str(message) not in self.shown:
            self.shown.add(str(message))
            click.echo(f"Warning: {as_shown(str(message))}", err=True)


def _epochs(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither an integer nor 'auto'.") from None


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _split_names(value: str | None, known: Callable[[str], bool]) -> list[str]:
    """``value`` split at its commas, except where the pieces around one make up a
    ``known`` name together: a class called "yes, often" can be named as it is."""
    pieces = value.split(",") if value else []
    names, i = [], 0
    while i < len(pieces):
        j = next(j for j in range(len(pieces), i, -1)
                 if j == i + 1 or known(",".join(pieces[i:j]).strip()))
        names.append(",".join(pieces[i:j]).strip())
        i = j
    return [n for n in names if n]


def _is_class(y: pd.Series, name: str) -> bool:
    try:
        find_class(y, name)
    except InputError:
        return False
    return True


def _image_size(ctx: click.Context, param: click.Parameter,
                value: str | None) -> tuple[int, int] | None:
    """``--image-size`` as (width, height): ``64x48``, or ``64`` for a square."""
    if value is None:
        return None
    parts = value.lower().replace(" ", "").split("x")
    if len(parts) > 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise click.BadParameter(f"{value!r} is not a size; give WIDTHxHEIGHT in pixels, "
                                 "e.g. 64x48, or one number for a square.")
    return int(parts[0]), int(parts[-1])


def seed_option(**kwargs: Any) -> Callable:
    """``--seed``, also spelled ``--random-state`` (the name scikit-learn's users try first)."""
    return click.option("--seed", "--random-state", "seed", type=int, callback=_seed, **kwargs)


def _seed(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    # numpy's seeds are 32-bit: say so at the option, not from inside check_random_state
    if value is not None and not 0 <= value < 2**32:
        raise click.BadParameter(f"{value} is not a seed; give a whole number from 0 to "
                                 f"{2**32 - 1}.")
    return value


def _markers(ctx: click.Context, param: click.Parameter, value: str | None
             ) -> tuple[str, ...]:
    return tuple(_split(value))


def na_option(handling: str = "Missing values are modelled.") -> Callable:
    """``--na-values``, for the commands that read tables; ``handling`` says what is done
    with the missing values."""
    return click.option(
        "--na-values", metavar="TEXT[,TEXT]", callback=_markers,
        help="Texts that mark a missing value in a CSV, besides empty cells and NA, null, "
             f"N/A, ... (e.g. '?'). {handling}")


def model_options(func: Callable) -> Callable:
    """Options shared by the commands that train a model (defaults from the estimator)."""
    options = [
        click.option("--categorical", help="Comma-separated columns to treat as categorical, "
                     "besides the text columns (default: text and boolean columns)."),
        click.option("--epochs", default=str(EPOCHS), show_default=True,
                     callback=lambda c, p, v: _epochs(v),
                     help="Training epochs, or 'auto' for a fixed number of steps."),
        click.option("--latent-dim", type=int, default=LATENT_DIM,
                     show_default=True, help="Size of the latent code."),
        seed_option(default=0, show_default=True,
                    help="Random seed: the same seed gives the same output."),
        click.option("--device", default=DEVICE, show_default=True,
                     help="torch device: auto, cpu, cuda, cuda:1 ..."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def read_labelled(path: str, target: str, one_part: bool = False, read_as: dict | None = None,
                  na_values: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.Series, int]:
    """Read a table and split off the target column (and say where it was).

    ``one_part``: the file is one of several read together, so it may hold a single class
    (files split by class, or by date with the rare class in some of them). ``read_as``
    receives the feature columns converted to be modelled as numbers
    (:func:`vaeaug.io.read_table`)."""
    read_as = {} if read_as is None else read_as
    df = read_table(path, read_as, na_values)
    if target not in df.columns:
        close = [c for c in df.columns if str(c).strip().casefold() == target.strip().casefold()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(f"{path}: no target column {target!r}; columns are "
                         f"{list(df.columns)[:20]}.{hint}")
    y = df[target]
    if target in read_as:  # classes named by dates (or decimals): as the file has them
        y = read_as.pop(target).original
    elif is_time_dtype(y.dtype):  # a Parquet file's datetime column
        y = y.astype(str).where(y.notna())
    if y.isna().any():
        missing = int(y.isna().sum())
        raise InputError(f"{path}: target column {target!r} has {missing} missing "
                         f"label{'s' * (missing != 1)} (empty, or written as NA, N/A, null, "
                         "None or nan, which a CSV reader takes for missing); drop those rows "
                         "first.")
    warn_spaced_labels(y, str(path), target)
    if not one_part:
        require_two_classes(y, str(path), target)
    if not one_part:  # parts are checked together: a column may be empty in one of them,
        y = as_classes(y, path, target)  # or its fractional labels all whole numbers
        df = drop_empty_columns(df, path, read_as, keep=target)
    X = df.drop(columns=[target])
    if X.shape[1] == 0:
        raise InputError(f"{path}: there are no feature columns besides {target!r}.")
    return X, y, list(df.columns).index(target)


#: A target of fractional numbers with at most this many distinct values is read as classes.
FEW_VALUES = 20


def as_classes(y: pd.Series, where: str | os.PathLike, target: str) -> pd.Series:
    """``y`` as class labels: a few fractional values (doses 0.5, 1.5, ...; see
    :func:`few_values`) as their text, which scikit-learn takes; more are refused."""
    from sklearn.utils.multiclass import type_of_target

    if type_of_target(y.to_numpy()) != "continuous":
        return y
    if not few_values(y):
        raise InputError(f"{where}: target column {target!r} holds continuous numbers "
                         f"({y.nunique()} distinct values), not classes; bin them into "
                         "classes first, or name the class column.")
    return y.map(lambda v: repr(float(v))).astype(object)


def few_values(y: pd.Series) -> bool:
    """Whether a target of fractional numbers holds few values, each repeated: classes such
    as doses or grades rather than measurements."""
    return y.nunique() <= min(FEW_VALUES, len(y) // 2)


def drop_empty_columns(df: pd.DataFrame, path: str | os.PathLike, read_as: dict,
                       keep: Any = None) -> pd.DataFrame:
    """Leave out the columns (but ``keep``, the target) with no value in any row (a field
    never filled in), which no model can learn; ``read_as`` records them, so that
    :func:`vaeaug.text_styles.as_read` writes them back, empty, where they were."""
    empty = [c for c in df.columns if c != keep and df[c].isna().all()]
    if not empty:
        return df
    warnings.warn(f"{path}: column{'s' * (len(empty) > 1)} {empty[:10]} "
                  f"{'have' if len(empty) > 1 else 'has'} no value in any row and "
                  f"{'are' if len(empty) > 1 else 'is'} left out of the model (written back "
                  "empty by augment).", UserWarning, stacklevel=2)
    for name in empty:
        read_as[name] = EmptyColumn(list(df.columns).index(name), df[name].dtype)
    return df.drop(columns=empty)


def warn_spaced_labels(y: pd.Series, path: str, target: str) -> None:
    """Warn of class labels that differ only in spaces around them ('rare' and 'rare '):
    a typing slip in a file, which would otherwise make a class of a few rows of its own."""
    if y.dtype.kind not in "OSU" and not isinstance(y.dtype, pd.StringDtype):
        return
    # as objects: grouping a categorical's labels into lists fails in pandas 3.0
    # ("unhashable type: 'list'", casting the lists back to the categories)
    labels = pd.Series(np.asarray(y.unique(), dtype=object))
    labels = labels[labels.map(lambda v: isinstance(v, str))]
    same = labels.groupby(labels.str.strip()).agg(list)
    same = same[same.map(len) > 1]
    if len(same):
        warnings.warn(f"{path}: target column {target!r} has labels that differ only in "
                      f"spaces around them, {same.iloc[0]}, so they are separate classes; "
                      "strip the spaces if they are one class.", UserWarning, stacklevel=2)


#: Column names that usually hold the class, for the hint of :func:`target_required`.
TARGET_NAMES = ("label", "labels", "target", "class", "y", "outcome")


def target_required(path: str) -> InputError:
    """The error for a table given without --target: it names the table's columns, and the
    likely class column."""
    columns = list(read_table(path).columns)
    likely = [c for c in columns if str(c).strip().casefold() in TARGET_NAMES]
    hint = f" (--target {likely[0]}?)" if likely else ""
    return InputError(f"--target (-t) is required for a table: name its class column{hint}. "
                      f"{path}'s columns are {columns[:20]}.")


def find_class(y: pd.Series, name: str) -> Any:
    """The label in ``y`` whose text is ``name`` (labels read from files may be numbers):
    ``1`` also names a label 1.0, as a column of 0.0/1.0 labels has them."""
    from .validation import listed

    labels = pd.unique(y)
    for label in labels:
        if str(label) == name:
            return label
    try:
        number = float(name)
    except ValueError:
        number = None
    numeric = [label for label in labels if isinstance(label, (int, float, np.number))
               and not isinstance(label, (bool, np.bool_)) and label == number]
    if number is not None and len(numeric) == 1:
        return numeric[0]
    raise InputError(f"unknown class {name!r}; classes are "
                     f"{listed(sorted(map(str, labels)))}.")


def sampling_plan(y: pd.Series, class_balance: bool, ratio: float | None,
                  counts: str | None, classes: str | None) -> dict:
    """{label: rows wanted after augmentation} from the augment command's options."""
    if sum([class_balance, ratio is not None, counts is not None]) > 1:
        raise InputError("use only one of --class-balance, --ratio and --counts.")
    current = class_counts(y)
    if counts is not None:
        if classes:
            raise InputError("--classes goes with --class-balance or --ratio; --counts names "
                             "its classes itself.")
        plan = {}
        pair = re.compile(r"(.*)=\s*(\d+)\s*")  # greedy: a class may hold "=" itself

        def names_a_count(text: str) -> bool:
            match = pair.fullmatch(text)
            return match is not None and _is_class(y, match.group(1).strip())

        for item in _split_names(counts, names_a_count):
            name, sep, value = item.rpartition("=")
            if not sep or not value.strip().isdigit():
                raise InputError(f"--counts expects CLASS=COUNT pairs, got {item!r}.")
            label = find_class(y, name.strip())
            if label in plan:
                raise InputError(f"--counts names class {name.strip()!r} twice.")
            plan[label] = int(value)
            if plan[label] < current[label]:
                raise InputError(f"--counts asks for {plan[label]} rows of class {name!r}, "
                                 f"which already has {current[label]}; counts are totals "
                                 "after augmentation.")
        return plan
    fraction = 1.0 if ratio is None else ratio
    if not 0 < fraction <= 1:
        raise InputError(f"--ratio must be in (0, 1], got {ratio}.")
    majority = int(current.max())
    chosen = [find_class(y, c) for c in _split_names(classes, functools.partial(_is_class, y))
              ] or list(current.index)
    goal = math.ceil(fraction * majority)
    return {label: max(int(current[label]), goal) for label in chosen}


def class_counts(y: pd.Series) -> pd.Series:
    """Rows per class, largest first; a categorical's declared but unused classes left out
    (there is nothing to learn them from, and imbalanced-learn refuses them)."""
    counts = y.value_counts()
    return counts[counts > 0]


def with_target(X: pd.DataFrame, y: pd.Series, target: str, position: int) -> pd.DataFrame:
    """Put the target column back where it was in the input file."""
    out = X.copy()
    out.insert(position, target, y.set_axis(out.index))  # a Series keeps its dtype
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vaeaug")
def main() -> None:
    """Conditional-VAE oversampling for imbalanced classification.

    \b
    Examples:
      vaeaug info data.csv --target label
      vaeaug augment data.csv --target label --class-balance -o balanced.csv
      vaeaug fit data.csv --target label -o model.vaeaug
      vaeaug sample model.vaeaug -n 500 --class rare -o synth.csv
      vaeaug evaluate data.csv --target label
    """


@main.command()
@click.argument("input", type=click.Path(), callback=piped)
@click.option("--target", "-t", help="Name of the class column (tables).")
@click.option("--output", "-o", required=True, type=click.Path(),
              help="Where to write the original rows plus the synthetic ones ('-': CSV "
                   "on stdout).")
@click.option("--class-balance", is_flag=True,
              help="Top up every class to the majority count (the default).")
@click.option("--ratio", type=float, help="Top up classes to RATIO x the majority count.")
@click.option("--counts", help="Rows wanted per class after augmentation: rare=300,other=120.")
@click.option("--classes", help="Only top up these classes (comma-separated).")
@click.option("--mark-synthetic", is_flag=True,
              help=f"Add a boolean column {SYNTHETIC_COLUMN!r}.")
@click.option("--save-model", type=click.Path(dir_okay=False), help="Also save the model.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Generate with a model saved by `vaeaug fit` instead of training one.")
@click.option("--grid", type=click.Path(dir_okay=False),
              help="Images: also save a PNG grid of synthetic images, one row per class.")
@click.option("--image-size", metavar="WxH", callback=_image_size,
              help="Images: read every image at this size (64x64, or 64), for folders of "
                   "images of several sizes.")
@click.option("--force", "-f", is_flag=True, help="Overwrite OUTPUT if it exists.")
@na_option()
@model_options
@user_errors
def augment(input: str, target: str | None, output: str, class_balance: bool,
            ratio: float | None, counts: str | None, classes: str | None,
            mark_synthetic: bool, save_model: str | None, model_path: str | None,
            grid: str | None, image_size: tuple[int, int] | None, force: bool,
            na_values: tuple[str, ...], **model: Any) -> None:
    """Train on INPUT and write it with synthetic rows (or images) added.

    \b
    INPUT is a table (CSV, TSV or Parquet; needs --target) or a folder of images with
    one sub-folder per class (OUTPUT is then a folder too).
    Original rows come first and unchanged; columns keep their order and types.
    Examples:
      vaeaug augment data.csv --target label --class-balance -o out.csv
      vaeaug augment data.csv -t label --ratio 0.5 --mark-synthetic -o out.csv
      vaeaug augment data.csv -t label --counts rare=300,other=120 -o out.parquet
      vaeaug augment images/ --class-balance -o images_balanced/ --grid grid.png
    """
    if Path(input).is_dir():
        if na_values:
            raise InputError(f"--na-values is for tables, and {input} is a folder of images.")
        augment_images(input, output, (class_balance, ratio, counts, classes), grid, force,
                       model_path, save_model, model, image_size)
        return
    if image_size:
        raise InputError(f"--image-size is for folders of images, and {input} is a table.")
    if target is None:
        raise target_required(input)
    check_table_output(output, force, inputs=(input,))
    if save_model:
        check_model_output(save_model, force, inputs=(input, output))
    read_as: dict = {}
    X, y, position = read_labelled(input, target, read_as=read_as, na_values=na_values)
    if mark_synthetic and (SYNTHETIC_COLUMN in X.columns or SYNTHETIC_COLUMN == target):
        raise InputError(f"--mark-synthetic adds a column {SYNTHETIC_COLUMN!r}, and {input} "
                         "already has one; rename it first.")
    plan = sampling_plan(y, class_balance, ratio, counts, classes)
    if model_path:
        from .sampler import CVAEOverSampler

        sampler = CVAEOverSampler.load(model_path, device=model["device"])
        sampler.verbose = not model["quiet"]  # not as the model was saved
        X_res, y_res = augment_with(sampler, X, y, plan, model["seed"], read_as)
    else:
        sampler = build_sampler(model, sampling_strategy=plan)
        X_res, y_res = sampler.fit_resample(X, y)
    # the labels' dtype as read (a categorical Parquet column stays categorical)
    labels = pd.Series(np.asarray(y_res)).astype(y.dtype)
    out = as_read(with_target(X_res, labels, target, position), read_as, len(X),
                  writes_text(output))
    if has_own_index(X):  # a Parquet file's index ("id", say): kept on the original rows
        out.index = index_for(X.index, len(out))
    if mark_synthetic:
        out[SYNTHETIC_COLUMN] = np.arange(len(out)) >= len(X)
    write_table(out, output, read_as.get(DIALECT))
    if save_model:
        save(sampler, save_model, None if model_path else read_as)
    added = labels.iloc[len(y):].value_counts()  # a categorical's lists classes with 0 too
    summary = ", ".join(f"{label}: +{n}" for label, n in added.items() if n) or "nothing to add"
    click.echo(f"wrote {'stdout' if output == STDOUT else output}: {len(X)} original + "
               f"{len(out) - len(X)} synthetic rows ({summary})", err=True)


def augment_images(input: str, output: str, plan_options: tuple, grid: str | None,
                   force: bool, model_path: str | None, save_model: str | None,
                   model: dict[str, Any], size: tuple[int, int] | None = None) -> None:
    """The augment command for a folder of images (one sub-folder per class)."""
    from .image_io import read_image_folder, save_grid, write_image_folder
    from .image_sampler import ImageCVAEOverSampler

    if output == STDOUT:
        raise InputError(f"-o {STDOUT} writes a table to stdout; images need a folder "
                         f"(-o {Path(input).name}_balanced, say).")
    if Path(output).resolve() == Path(input).resolve():
        raise InputError(f"{output}: the output may not be the input folder.")
    if Path(input).resolve() in Path(output).resolve().parents:
        raise InputError(f"{output} is inside the input folder {input}, where a later run "
                         "would read its images as training images; write it beside the input.")
    if Path(output).exists() and not force:
        raise InputError(f"{output} exists; pass --force to replace it.")
    if save_model:
        check_model_output(save_model, force, inputs=(input, output))
    images, labels, files = read_image_folder(input, size)
    if len(set(labels)) < 2:
        raise InputError(f"{input}: one class folder ({labels[0]!r}); oversampling needs at "
                         "least two, each in its own sub-folder.")
    plan = sampling_plan(pd.Series(labels), *plan_options)
    if model_path:
        sampler = ImageCVAEOverSampler.load(model_path, device=model["device"])
        sampler.check_compatible(images)
        new, new_y = sampler.sample(y=additions(sampler, labels, plan),
                                    random_state=model["seed"])
    else:
        sampler = ImageCVAEOverSampler(
            sampling_strategy=plan, epochs=model["epochs"], random_state=model["seed"],
            device=model["device"], verbose=not model["quiet"])
        X_res, y_res = sampler.fit_resample(images, labels)
        new, new_y = X_res[len(images):], np.asarray(y_res[len(images):])
    write_image_folder(output, input, files, new, new_y, force)
    if save_model:
        save(sampler, save_model)
    if grid:
        save_grid(grid, new, new_y)
    click.echo(f"wrote {output}: {len(images)} original + {len(new)} synthetic images", err=True)


def augment_with(sampler: CVAEOverSampler, X: pd.DataFrame, y: pd.Series, plan: dict,
                 seed: int, read_as: dict | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Originals plus rows from an already trained model, ``plan`` = {label: total}.

    A file's columns are found by name: the model's columns in another order are taken in
    the model's order, and the new rows are written in the file's."""
    trained = [str(info["name"]) for info in sampler.transformer_.columns_]
    by_name = {str(c): c for c in X.columns}
    X = X.copy()
    for info in sampler.transformer_.columns_:
        name = by_name.get(str(info["name"]))
        # a model fitted before vaeaug read a CSV's ISO dates as dates (or a Parquet file's
        # decimals and dates as numbers) holds them as categories: give it them as such
        if name is None or info["kind"] == NUMERIC:
            continue
        if read_as and name in read_as:
            X[name] = read_as[name].original
        elif is_time_dtype(X[name].dtype):
            X[name] = X[name].astype(str)
    ordered = X[[by_name[c] for c in trained]] if sorted(by_name) == sorted(trained) else X
    sampler.check_compatible(ordered)
    X_new, y_new = sampler.sample(y=additions(sampler, y, plan), random_state=seed)
    X_new.columns = ordered.columns
    X_new = X_new[X.columns]
    return (pd.concat([X, X_new], ignore_index=True),
            pd.concat([y, pd.Series(y_new, name=y.name)], ignore_index=True))


def additions(sampler: Any, y: Any, plan: dict) -> dict:
    """Rows to generate per class so that ``y`` reaches ``plan`` = {label: total}."""
    known = set(sampler.classes_.tolist())
    unknown = [label for label in plan if label not in known]
    if unknown:
        raise InputError(f"the model was not trained on classes {unknown}.")
    current = pd.Series(y).value_counts()
    return {label: total - int(current[label]) for label, total in plan.items()}


def build_sampler(model: dict[str, Any], verbose: bool = True,
                  **params: Any) -> CVAEOverSampler:
    from .sampler import CVAEOverSampler

    return CVAEOverSampler(
        epochs=model["epochs"], latent_dim=model["latent_dim"], random_state=model["seed"],
        device=model["device"], verbose=verbose and not model["quiet"],
        categorical_features=_split(model["categorical"]) or None, **params)


def save(sampler: CVAEOverSampler, path: str, read_as: dict | None = None) -> None:
    """Write a model; with the training file's ``read_as``, its text styles and CSV dialect
    go with it, so that `vaeaug sample` writes dates, formatted numbers, separators and
    decimal commas as that file did."""
    if read_as is not None:
        sampler._text_styles = styles(read_as)
        sampler._csv_dialect = read_as.get(DIALECT)
    write_atomic(path, sampler.save)


@main.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(),
                callback=piped)
@click.option("--target", "-t", required=True, help="Name of the class column.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Model file to write (e.g. model.vaeaug).")
@click.option("--force", "-f", is_flag=True, help="Overwrite OUTPUT if it exists.")
@na_option()
@model_options
@user_errors
def fit(inputs: tuple[str, ...], target: str, output: str, force: bool,
        na_values: tuple[str, ...], **model: Any) -> None:
    """Train a model on INPUT (one or more files with the same columns) once; generate from
    it later with `vaeaug sample`. Each file may hold some of the classes (files split by
    class, say); together they need two.

    Started by torchrun with several processes, it trains one model on all of them with
    PyTorch DDP (gloo on CPUs, NCCL on GPUs): each process reads only its share of the
    files (or, with fewer files than processes, every n-th row), and process 0 writes OUTPUT.

    \b
    Examples:
      vaeaug fit data.csv --target label -o model.vaeaug
      torchrun --nproc_per_node 4 -m vaeaug fit part-*.csv --target label -o model.vaeaug
    """
    for path in inputs:
        table_path(path)
    check_model_output(output, force, inputs=inputs)
    from . import distributed

    read_as: dict = {}  # the first file's, whose styles `vaeaug sample` writes in
    if distributed.is_launched():
        sampler = fit_shard(inputs, target, model, read_as, na_values)
        if sampler is None:  # not process 0
            return
    else:
        sampler = build_sampler(model).fit(*read_many(inputs, target, read_as=read_as,
                                                      na_values=na_values))
    save(sampler, output, read_as)
    click.echo(f"wrote {output}: classes {[str(c) for c in sampler.classes_]}, "
               f"{sampler.n_features_in_} columns", err=True)


def fit_shard(inputs: tuple[str, ...], target: str, model: dict[str, Any],
              read_as: dict | None = None, na_values: tuple[str, ...] = ()
              ) -> CVAEOverSampler | None:
    """This torchrun process's part of a data-parallel fit; the sampler on process 0."""
    from . import distributed

    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if len(inputs) >= world:
        X, y = read_many(inputs[rank::world], target, shard=True, read_as=read_as,
                         na_values=na_values)
    else:
        X, y = read_many(inputs, target, shard=True, read_as=read_as, na_values=na_values)
        X, y = X.iloc[rank::world], y.iloc[rank::world]
    distributed.init(model["device"])
    try:
        sampler = distributed.fit_distributed(build_sampler(model, verbose=rank == 0), X, y)
    finally:
        distributed.dist.destroy_process_group()
    return sampler if rank == 0 else None


def read_many(paths: tuple[str, ...], target: str, shard: bool = False,
              read_as: dict | None = None, na_values: tuple[str, ...] = ()
              ) -> tuple[pd.DataFrame, pd.Series]:
    """Rows of one or more files with the same columns (in any order; the first file's is
    kept), in file order. Each file may hold a
    single class; together they need two, unless they are one process's ``shard`` of a
    data-parallel fit (the classes of all shards are checked together). ``read_as``
    receives the first file's :func:`~vaeaug.text_styles.as_read` entries."""
    parts = [read_labelled(path, target, one_part=True, read_as=read_as if i == 0 else None,
                           na_values=na_values)[:2] for i, path in enumerate(paths)]
    columns = list(parts[0][0].columns)
    for i, (path, (X, y)) in enumerate(zip(paths[1:], parts[1:]), start=1):
        if sorted(map(str, X.columns)) != sorted(map(str, columns)):
            raise InputError(f"{path}: columns {list(X.columns)[:20]} differ from "
                             f"{paths[0]}'s {columns[:20]}.")
        parts[i] = X[columns], y  # the same columns in another order: found by name
    X, y = (parts[0] if len(parts) == 1 else
            (pd.concat([X for X, _ in parts], ignore_index=True),
             pd.concat([y for _, y in parts], ignore_index=True)))
    where = paths[0] if len(paths) == 1 else f"{', '.join(paths[:5])} together"
    y = as_classes(y, where, target)
    if not shard:
        require_two_classes(y, where, target)
        X = drop_empty_columns(X, where, {})
    return X, y


def check_model_output(path: str, force: bool, inputs: tuple[str, ...]) -> None:
    """:func:`check_output` for a model file, which a table's name would disguise (`vaeaug
    info` and the other commands would then read it as a table)."""
    if path == STDOUT:
        raise InputError(f"{STDOUT}: a model is written to a file, not to stdout; name one, "
                         f"e.g. model{MODEL_SUFFIX}.")
    if names_a_table(path):
        stem = Path(path).name.split(".")[0] or "model"
        raise InputError(f"{path}: a model file, not a table; give it another name, e.g. "
                         f"{Path(path).with_name(stem + MODEL_SUFFIX)}.")
    check_output(path, force, inputs=inputs)


def require_two_classes(y: pd.Series, where: str, target: str) -> None:
    if y.nunique() < 2:
        raise InputError(f"{where}: target column {target!r} has only one class "
                         f"({y.iloc[0]!r}); oversampling needs at least two.")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-n", "--n-samples", type=click.IntRange(min=0), required=True,
              help="Rows to generate.")
@click.option("--class", "class_", help="Class of the rows (default: spread over all classes).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="File to write (CSV, TSV or Parquet); default (or '-'): CSV on stdout.")
@seed_option(help="Seed for this draw (default: the model's own).")
@click.option("--device", default=DEVICE, show_default=True, help="torch device.")
@click.option("--force", "-f", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress bar (shown for over a million rows) and no summary.")
@user_errors
def sample(model: str, n_samples: int, class_: str | None, output: str | None,
           seed: int | None, device: str, force: bool, quiet: bool) -> None:
    """Generate N synthetic rows from a MODEL written by `vaeaug fit` or --save-model.

    \b
    Examples:
      vaeaug sample model.vaeaug -n 500 --class rare -o synth.csv
      vaeaug sample model.vaeaug -n 10 --seed 1
    """
    from .sampler import CVAEOverSampler
    from .validation import pandas_if_polars

    output = output or STDOUT
    check_table_output(output, force, inputs=(model,))
    sampler = CVAEOverSampler.load(model, device=device)
    sampler.verbose = not quiet  # not as the model was saved
    label = None
    if class_ is not None:
        label = find_class(pd.Series(sampler.classes_), class_)
    try:
        X_new, y_new = sampler.sample(n_samples, y=label, random_state=seed)
    except MemoryError as exc:  # its advice is for Python's sample(n)
        raise InputError(f"{str(exc).split(';')[0]}; ask for fewer rows (-n), or write them "
                         "in parts: several runs, each with its own --seed.") from None
    X_new = pandas_if_polars(X_new)  # a model fitted on a polars frame in Python
    X_new = X_new if isinstance(X_new, pd.DataFrame) else pd.DataFrame(X_new)
    target = sampler._input_format.y_name or "target"
    out = with_target(X_new, pd.Series(y_new), str(target), X_new.shape[1])
    # dates and formatted numbers as the training file wrote them (models that remember it)
    out = as_read(out, styles_as_read(getattr(sampler, "_text_styles", None)), 0,
                  writes_text(output))
    write_table(out, output, getattr(sampler, "_csv_dialect", None))  # ';' and 1,5 too
    if output != STDOUT and not quiet:
        counts = ", ".join(f"{c}: {n}" for c, n in pd.Series(y_new).value_counts(
            sort=False).items())
        click.echo(f"wrote {output}: {len(out)} rows ({counts or 'none asked for'})", err=True)


@main.command()
@click.argument("input", type=click.Path(), callback=piped)
@click.option("--target", "-t", help="Name of the class column (tables).")
@click.option("--categorical", help="Comma-separated columns to treat as categorical.")
@click.option("--image-size", metavar="WxH", callback=_image_size,
              help="Images: read every image at this size, as `vaeaug augment --image-size`.")
@na_option()
@user_errors
def info(input: str, target: str | None, categorical: str | None,
         image_size: tuple[int, int] | None, na_values: tuple[str, ...]) -> None:
    """Class counts, imbalance ratio and column types of INPUT as vaeaug sees them.

    \b
    INPUT is a table (needs --target), a folder of images with one sub-folder per class,
    or a model file written by `vaeaug fit` or --save-model (its classes, columns and
    settings).
    Examples:
      vaeaug info data.csv --target label
      vaeaug info images/
      vaeaug info model.vaeaug
    """
    from .validation import NumbersAsTextWarning, as_table, numbers_as_text

    if image_size and not Path(input).is_dir():
        raise InputError(f"--image-size is for folders of images, and {input} is not one.")
    if na_values and (Path(input).is_dir() or not names_a_table(input)):
        raise InputError(f"--na-values is for tables, and {input} is not one.")
    if Path(input).is_file() and not names_a_table(input):
        from . import persistence

        try:
            kind = persistence.kind(input)
        except ValueError:  # neither a model nor a table: the table reader says why
            if Path(input).suffix.lower() != MODEL_SUFFIX:
                table_path(input)
            raise
        describe_model(input, kind)
        return
    if Path(input).is_dir():
        from .image_io import read_image_folder
        from .image_preprocessing import size_text

        images, labels, _ = read_image_folder(input, image_size)
        channels = images.shape[3] if images.ndim == 4 else 1
        click.echo(f"{input}: {len(labels)} images of "
                   f"{size_text(images.shape[2], images.shape[1], channels)}, "
                   f"{len(set(labels))} classes")
        click.echo(class_table(pd.Series(labels, name="class"), "images"))
        return
    if target is None:
        raise target_required(input)
    read_as: dict = {}
    X, y, _ = read_labelled(input, target, read_as=read_as, na_values=na_values)
    named = _split(categorical)
    with warnings.catch_warnings():  # said below, under the column, as the other problems
        warnings.simplefilter("ignore", NumbersAsTextWarning)
        _, cats, _ = as_table(X, named or None)
    click.echo(f"{as_shown(input)}: {len(y)} rows, {X.shape[1]} feature "
               f"column{'s' * (X.shape[1] != 1)}, {y.nunique()} classes"
               + dialect_text(read_as.get(DIALECT), ", read as "))
    click.echo(class_table(y, "rows"))
    click.echo("\ncolumns:")
    for col in X.columns:
        kind = (f"categorical ({X[col].nunique()} levels)" if col in cats
                else f"numeric ({number_kind(X[col].dtype)}{HEAVY * heavy_tailed(X[col])})")
        missing = int(X[col].isna().sum())
        kind += f", {missing:,} missing (modelled)" if missing else ""
        problems = []
        if col in cats:
            cardinality = cardinality_problem(col, X[col].nunique(), len(X))
            problems = [cardinality[1] if cardinality else None,
                        None if col in named else numbers_as_text(col, X[col])]
        else:
            problems = [counter_problem(col, X[col])]
        click.echo(f"  {col}: {kind}" + "".join(f"\n    {p}" for p in problems if p))


#: How ``info`` marks a numeric column modelled on the asinh scale.
HEAVY = "; heavy-tailed: modelled on an asinh scale"


def describe_model(path: str, kind: str) -> None:
    """What ``vaeaug info MODEL`` prints: the sampler (of class ``kind``), its classes,
    columns and settings."""
    from .image_sampler import ImageCVAEOverSampler
    from .sampler import CVAEOverSampler

    images = kind == ImageCVAEOverSampler.__name__
    sampler = (ImageCVAEOverSampler if images else CVAEOverSampler).load(path, device="cpu")
    unit = "images" if images else "rows"
    kept = pd.Series({label: int(rows.shape[0]) for label, rows in
                      zip(sampler.classes_, sampler._class_rows)}, name=unit)
    if images:
        channels, height, width = sampler._image_shape
        shape = f"{width}x{height} images, {channels} channel{'s' * (channels > 1)}"
    else:
        shape = (f"{sampler.n_features_in_} feature "
                 f"column{'s' * (sampler.n_features_in_ != 1)}")
    click.echo(f"{path}: {'an' if images else 'a'} {kind} for {shape}, "
               f"{len(sampler.classes_)} classes")
    click.echo(f"\nreal {unit} kept per class (new {unit} start from them):")
    click.echo(kept.rename_axis("class").to_frame().to_string())
    if not images:
        click.echo("\ncolumns:")
        written = styles_as_read(getattr(sampler, "_text_styles", None))
        for info in sampler.transformer_.columns_:
            missing = None in info.get("categories", ())
            kind_ = (f"categorical ({len(info['categories']) - missing} levels)"
                     if info["kind"] != NUMERIC else
                     f"numeric ({number_kind(pandas_dtype(info))}{HEAVY * asinh_scaled(info)})")
            if info.get("missing") or missing:
                kind_ += ", can be missing"
            if info["name"] in written:
                kind_ += written_like(written[info["name"]])
            click.echo(f"  {info['name']}: {kind_}")
    params = sampler.get_params()
    shown = ", ".join(f"{k}={params[k]!r}" for k in MODEL_SETTINGS if k in params)
    history = sampler.history_
    click.echo(f"\nsettings: {shown}")
    if history:
        click.echo(f"trained {len(history)} epoch{'s' * (len(history) > 1)}; last epoch's "
                   f"loss {history[-1]:.4g}")
    dialect = dialect_text(getattr(sampler, "_csv_dialect", None), "vaeaug sample writes CSV ")
    if dialect:
        click.echo(f"{dialect}, as the training file was")


def dialect_text(dialect: dict[str, str] | None, before: str) -> str:
    """How a CSV with ``dialect`` (:data:`vaeaug.text_styles.DIALECT`) is separated, after
    ``before``: ``;-separated with decimal commas``; nothing for a plain CSV."""
    if not dialect:
        return ""
    names = {";": "';'", "\t": "tab", "|": "'|'", ",": "','"}
    sep = dialect.get("sep", ",")
    commas = " with decimal commas" if dialect.get("decimal") == "," else ""
    return f"{before}{names.get(sep, repr(sep))}-separated{commas}"


def written_like(style: Any) -> str:
    """How ``vaeaug sample`` writes a column of a model's text ``style`` (``vaeaug info``):
    an example value, or nothing for a style that only Parquet output shows."""
    if not style.text_only:
        return ""
    if isinstance(style, (NumberText, NumbersWritten)):
        example = pd.Series([1234.56])
    else:  # dates: 18 September 2024, 14:30:05 (in UTC for a zone)
        example = pd.Series([pd.Timestamp("2024-09-18 14:30:05",
                                          tz="UTC" if getattr(style, "zone", None) else None)])
    return f", written like {style.format(example).iat[0]}"


#: The extension ``vaeaug fit`` and the docs give model files (any other works too).
MODEL_SUFFIX = ".vaeaug"
#: The settings ``vaeaug info MODEL`` shows, in this order.
MODEL_SETTINGS = ("hidden_dims", "channels", "latent_dim", "beta", "epochs", "batch_size",
                  "learning_rate", "generation", "temperature", "balance_classes",
                  "random_state")


def number_kind(dtype: Any) -> str:
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "duration"
    return "integer" if pd.api.types.is_integer_dtype(dtype) else "float"


def class_table(y: pd.Series, unit: str) -> str:
    """The imbalance ratio, and each class's count, share and what --class-balance adds."""
    from .validation import few_rows_problem

    counts = class_counts(y)
    majority = int(counts.max())
    table = pd.DataFrame({unit: counts, "share": (counts / len(y)).round(3),
                          "--class-balance adds": majority - counts})
    few = [few_rows_problem(label, int(n), unit[:-1]) for label, n in counts.items()]
    return (f"imbalance ratio (majority / minority): {majority / counts.min():.2f}\n\n"
            f"{table.to_string()}" + "".join(f"\n{p}" for p in few if p))


@main.command()
@click.argument("input", required=False, type=click.Path(), callback=piped)
@click.option("--target", "-t", help="Name of the class column (with INPUT).")
@click.option("--dataset", help="A bundled data set instead of INPUT (see `vaeaug datasets`).")
@click.option("--samplers", default="none,vaeaug,smote,ros", show_default=True,
              help="Comma-separated: none, vaeaug, smote, ros; also borderline, adasyn "
                   "(Borderline-SMOTE, ADASYN; numeric tables).")
@click.option("--classifiers", default="logreg,knn,tree,forest", show_default=True,
              help="Comma-separated: logreg, knn, tree, forest.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True)
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True)
@seed_option(default=0, show_default=True)
@click.option("--jobs", type=int, default=1, show_default=True,
              help="Jobs run in parallel (one per fold and sampler); -1: one per core.")
@click.option("--backend", help="joblib backend for --jobs, e.g. loky (default) or dask.")
@click.option("--scheduler", help="With --backend dask: a dask.distributed scheduler address "
              "(default: a local cluster).")
@click.option("--report", type=click.Path(file_okay=False),
              help="Also write a Markdown report with PNG plots into this folder.")
@click.option("--force", "-f", is_flag=True, help="Overwrite a report already in --report.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@na_option("Each fold fills them from its training part, for every sampler.")
@user_errors
def evaluate(input: str | None, target: str | None, dataset: str | None, samplers: str,
             classifiers: str, folds: int, repeats: int, seed: int, jobs: int,
             backend: str | None, scheduler: str | None, report: str | None, force: bool,
             quiet: bool, na_values: tuple[str, ...]) -> None:
    """Cross-validated scores with and without augmentation, side by side.

    Each fold's sampler is fit on its training part only; the test part is untouched.

    \b
    Examples:
      vaeaug evaluate data.csv --target label
      vaeaug evaluate --dataset glass1 --classifiers logreg,knn --folds 5 --repeats 3
      vaeaug evaluate --dataset wine --report wine-report/
      vaeaug evaluate data.csv -t label --jobs 8 --backend dask --scheduler tcp://head:8786
    """
    from .evaluate import choose, choose_samplers, default_classifiers
    from .evaluate import evaluate as run_evaluation

    if report and not force:  # before the work, as for the other commands' outputs
        from .report import REPORT_FILES

        existing = [name for name in REPORT_FILES if (Path(report) / name).exists()]
        if existing:
            raise InputError(f"{Path(report) / existing[0]} exists; pass --force to "
                             "overwrite the report.")
    if jobs == 0:  # joblib's own words: "n_jobs == 0 in Parallel has no meaning"
        raise InputError("--jobs 0 would run nothing; give a number of processes, or -1 for "
                         "one per core.")
    X, y = load_input(input, target, dataset, na_values)
    chosen_s = choose_samplers(samplers, X, seed)
    chosen_c = choose(classifiers, default_classifiers(seed), "classifier")
    with dask_client(backend, scheduler):
        result = run_evaluation(X, y, chosen_s, chosen_c, cv=folds, repeats=repeats,
                                random_state=seed, n_jobs=jobs, backend=backend,
                                progress=not quiet)
    click.echo(format_summary(result, name=dataset or input))
    if report:
        from .report import write_report

        path = write_report(result, X, y, report, title=as_shown(str(dataset or input)),
                            random_state=seed)
        click.echo(f"wrote {path}", err=True)


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


def load_input(input: str | None, target: str | None, dataset: str | None,
               na_values: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.Series]:
    if (input is None) == (dataset is None):
        raise InputError("give either INPUT (with --target) or --dataset NAME.")
    if dataset is not None:
        from .datasets import load_dataset

        if na_values:
            raise InputError("--na-values is for an INPUT file, not a bundled --dataset.")
        return load_dataset(dataset)
    assert input is not None  # one of the two, as checked above
    table_path(input)
    if target is None:
        raise target_required(input)
    X, y, _ = read_labelled(input, target, na_values=na_values)
    return X, y


def format_summary(result: Any, name: str | None) -> str:
    """Mean ± std per classifier and sampler, and the best sampler per metric."""
    from .evaluate import VERSUS, VERSUS_NOTE

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


@main.command()
def datasets() -> None:
    """List the bundled data sets that `vaeaug evaluate --dataset` accepts.

    \b
    Example:
      vaeaug datasets
    """
    from .datasets import list_datasets

    click.echo(list_datasets().to_string(index=False))


def _terminate(signum: int, frame: Any) -> None:
    # SIGTERM unwinds like Ctrl-C, so temporary files are removed on the way out.
    raise SystemExit(128 + signum)


def run() -> None:
    """Console entry point: ``vaeaug`` and ``python -m vaeaug``."""
    signal.signal(signal.SIGTERM, _terminate)
    main()
