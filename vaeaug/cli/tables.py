"""Labelled data for the commands: a table's target column split off and checked, a folder
of images read by class, classes named on the command line found, and the rows wanted per
class."""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..io import InputError, read_table
from ..preprocessing import is_time_dtype
from ..text_styles import LAYOUT, EmptyColumn
from ..validation import class_hint, did_you_mean
from .options import split_names


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
        raise InputError(f"{path}: no target column {target!r}; columns are "
                         f"{list(df.columns)[:20]}.{did_you_mean(target, list(df.columns))}")
    read_as[LAYOUT] = file_layout(df)
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


def file_layout(df: pd.DataFrame) -> list[list[Any]]:
    """``read_as[LAYOUT]`` (:data:`vaeaug.text_styles.LAYOUT`) of a table as read: its column
    names in order, each with the dtype of a column with no value in any row (which the
    model leaves out), else ``None``."""
    return [[str(name), str(df[name].dtype) if df[name].isna().all() else None]
            for name in df.columns]


def in_file_order(out: pd.DataFrame, layout: list[list[Any]] | None) -> pd.DataFrame:
    """A model's new rows and their target (``out``) with the columns of its training file
    (``layout``, :func:`file_layout`): in the file's order, and the columns the file had
    with no value in any row back, empty, so that the rows go under the file's header.
    ``out`` as it is for a model without a layout (saved from Python, or before vaeaug
    kept it) or one whose columns are not the file's."""
    if not layout:
        return out
    by_name = {str(c): c for c in out.columns}
    names = [str(name) for name, _ in layout]
    absent = {str(name): dtype for name, dtype in layout if str(name) not in by_name}
    if len(by_name) != out.shape[1] or not set(by_name) <= set(names) or any(
            dtype is None for dtype in absent.values()):
        return out
    out = out.copy()
    for name, dtype in absent.items():
        try:
            kind = pd.api.types.pandas_dtype(dtype)
        except TypeError:  # a dtype this pandas does not know (written by another version)
            kind = np.dtype(object)
        out[name] = pd.Series(index=out.index, dtype=kind)
        by_name[name] = name
    return out[[by_name[name] for name in names]]


#: A target of fractional numbers with at most this many distinct values is read as classes.
FEW_VALUES = 20


def as_classes(y: pd.Series, where: str | os.PathLike, target: str) -> pd.Series:
    """``y`` as class labels: a few fractional values (doses 0.5, 1.5, ...; see
    :func:`few_values`) as their text, which scikit-learn takes; more are refused."""
    values = y.to_numpy()
    if values.dtype.kind == "f" and np.isinf(values).any():
        rows = int(np.isinf(values).sum())
        raise InputError(f"{where}: target column {target!r} holds infinite numbers ({rows} "
                         f"row{'s' * (rows != 1)}), which are not classes; fix or drop those "
                         "rows first.")
    if not fractional(y):
        return y
    if not few_values(y):
        raise InputError(f"{where}: target column {target!r} holds continuous numbers "
                         f"({y.nunique()} distinct values), not classes; bin them into "
                         "classes first, or name the class column.")
    return y.map(lambda v: repr(float(v))).astype(object)


def fractional(y: pd.Series) -> bool:
    """Whether scikit-learn takes ``y`` for a continuous target, which it refuses as classes:
    floats not all whole (``type_of_target``'s test, without importing scikit-learn)."""
    values = y.to_numpy()
    if values.dtype.kind != "f":
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.any(values != np.trunc(values)))


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
                  "empty by augment and sample).", UserWarning, stacklevel=2)
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
    from ..validation import listed

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
                     f"{listed(sorted(map(str, labels)))}.{class_hint(name, labels)}")


def _is_class(y: pd.Series, name: str) -> bool:
    try:
        find_class(y, name)
    except InputError:
        return False
    return True


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

        for item in split_names(counts, names_a_count):
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
    chosen = [find_class(y, c) for c in split_names(classes, functools.partial(_is_class, y))
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


def require_two_classes(y: pd.Series, where: str, target: str) -> None:
    if y.nunique() < 2:
        raise InputError(f"{where}: target column {target!r} has only one class "
                         f"({y.iloc[0]!r}); oversampling needs at least two.")


def read_image_classes(path: str, size: tuple[int, int] | None = None
                       ) -> tuple[np.ndarray, np.ndarray, list]:
    """:func:`vaeaug.image_io.read_image_folder`, refusing a folder of one class."""
    from ..image_io import read_image_folder

    images, labels, files = read_image_folder(path, size)
    if len(set(labels)) < 2:
        raise InputError(f"{path}: one class folder ({labels[0]!r}); oversampling needs at "
                         "least two, each in its own sub-folder.")
    return images, labels, files
