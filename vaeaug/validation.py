"""Input checks and format round trips: whatever the user passes <-> a pandas table.

The estimator works on a :class:`pandas.DataFrame` internally. :func:`as_table` turns arrays,
lists, sparse matrices and frames into one (with clear errors for bad input) and records
what came in, so :func:`restore_X` and :func:`restore_y` hand results back in the same form.

scikit-learn and imbalanced-learn are imported by the functions that use them: the command
line's ``info`` reads tables with this module, and should not wait a second for them.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .preprocessing import (
    counter_problem,
    is_categorical_dtype,
    is_time_dtype,
    numbers,
    object_columns,
    objects_as_numbers_all,
)


@dataclass
class InputFormat:
    """How ``X`` and ``y`` came in, so outputs can go back in the same form."""

    x_kind: str  # "dataframe" | "ndarray" | "sparse" | "list"
    x_dtype: Any = None
    sparse_format: str | None = None
    y_kind: str = "ndarray"  # "ndarray" | "series" | "frame" | "list" | "onehot"
    y_name: Any = None  # Series name, or DataFrame columns
    #: DataFrame columns of decimal or date objects, modelled as numbers: {column: kind}
    objects: dict = field(default_factory=dict)
    #: A polars DataFrame's schema (an empty frame, serialized as polars' JSON): X came in
    #: as polars, and goes back so
    polars_schema: str | None = None


def is_polars(obj: Any, kind: str = "DataFrame") -> bool:
    """Whether ``obj`` is a polars DataFrame (or ``kind``: Series), told without importing
    polars, which vaeaug does not need."""
    cls = type(obj)
    return cls.__module__.split(".")[0] == "polars" and cls.__name__ == kind


def polars_as_pandas(frame: Any) -> pd.DataFrame:
    """A polars DataFrame as pandas, column by column through numpy (polars' own
    ``to_pandas`` needs pyarrow). Integer columns with nulls become nullable ``Int64``, so
    that they stay whole numbers; categorical and enum columns become text."""
    columns = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype.is_integer() and col.null_count():
            columns[name] = pd.arrays.IntegerArray(
                col.fill_null(0).to_numpy().astype(np.int64), col.is_null().to_numpy())
        else:
            columns[name] = col.to_numpy()
    return pd.DataFrame(columns)


def pandas_if_polars(X: Any) -> Any:
    """``X`` as pandas if it is a polars DataFrame (:func:`polars_as_pandas`), else as it
    is: for the entry points that take a frame but give none back."""
    return polars_as_pandas(X) if is_polars(X) else X


def pandas_as_polars(table: pd.DataFrame, schema: str) -> Any:
    """``table`` as a polars DataFrame of the ``schema`` that :func:`as_table` recorded."""
    import io

    try:
        import polars as pl
    except ImportError:
        raise ImportError("This model was fitted on a polars DataFrame and gives its rows back "
                          "as one, which needs polars: pip install polars.") from None
    like = pl.DataFrame.deserialize(io.StringIO(schema), format="json")
    series = []
    for name, col in zip(like.columns, table.columns):
        values = table[col]
        if pd.api.types.is_integer_dtype(values.dtype) and values.isna().any():
            values = values.astype(np.float64)  # nulls as NaN, made null below
        elif isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)  # the cast puts it back
        values = values.to_numpy()
        if values.dtype == object:  # text, bools with gaps: built as the schema's type,
            # with gaps as None (pandas 3 gives text's as NaN); from a numpy array of objects,
            # values beside None would be polars' Object type, which casts to nothing
            objects = values.copy()  # to_numpy may give the table's own array
            objects[pd.isna(values)] = None
            series.append(pl.Series(name, objects.tolist(), dtype=like.schema[name]))
            continue
        if values.dtype.kind in "mM":  # polars takes no seconds resolution from numpy
            values = values.astype(f"{values.dtype.name.split('[')[0]}[us]")
        series.append(pl.Series(name, values, nan_to_null=values.dtype.kind == "f"))
    return pl.DataFrame(series).cast(like.schema)


def listed(values: Any, limit: int = 20) -> str:
    """``values`` as a list in a message, its first ``limit`` only when there are more
    (a model of 1,000 classes would otherwise print them all)."""
    values = list(values)
    if len(values) <= limit:
        return str(values)
    return f"{str(values[:limit])[:-1]}, ...] ({len(values)} in all)"


def as_table(X: Any, categorical_features: Any = None) -> tuple[pd.DataFrame, list, InputFormat]:
    """Return ``X`` as a DataFrame, the labels of its categorical columns, and its format.

    Raises
    ------
    ValueError
        Empty input, wrong number of dimensions, duplicate column names, NaN or infinite
        values, unknown categorical columns.
    """
    polars_schema = None
    if is_polars(X, "LazyFrame"):
        raise ValueError("X is a polars LazyFrame, a query not yet run; pass X.collect().")
    if is_polars(X):  # modelled as pandas, given back as polars
        polars_schema = X.clear().serialize(format="json")
        X = polars_as_pandas(X)
    if isinstance(X, pd.DataFrame):
        duplicated = X.columns[X.columns.duplicated()].unique().tolist()
        if duplicated:  # df[name] would be a table, not a column
            raise ValueError(f"X has duplicate column names {duplicated[:5]}; give every "
                             "column its own name.")
        df, fmt = _dense_frame(X), InputFormat("dataframe", polars_schema=polars_schema)
    elif sparse.issparse(X):
        df = pd.DataFrame(X.toarray())
        fmt = InputFormat("sparse", x_dtype=X.dtype, sparse_format=X.format)
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(
                f"Expected a 2D array of shape (n_samples, n_features), got {arr.ndim}D "
                f"with shape {arr.shape}. Reshape your data, e.g. X.reshape(-1, 1) for a "
                "single feature."
            )
        kind = "list" if isinstance(X, list) else "ndarray"
        # A copy, as pandas 3 makes anyway: pandas 2 would keep a view of the array, whose
        # columns are strided, and every column's checks and encoding would gather one
        # number per row from far apart (about 1 s of a 12 s fit of 1,000,000 x 50 floats)
        df, fmt = pd.DataFrame(arr, copy=True), InputFormat(kind, x_dtype=arr.dtype)
    _check_shape(df)
    named = _named_columns(df, categorical_features)
    categorical = _categorical_columns(df, named, detect=fmt.x_kind == "dataframe")
    if fmt.x_kind == "dataframe":
        df, fmt.objects = _objects_as_numbers(df, categorical, named or [])
        categorical = [c for c in categorical if c not in fmt.objects]
    _check_hashable(df, categorical)
    df = _numeric_columns_as_float(df, categorical, fmt)
    _check_finite(df, categorical)
    return df, categorical, fmt


def _objects_as_numbers(df: pd.DataFrame, categorical: list,
                        named: list) -> tuple[pd.DataFrame, dict[Any, dict[str, Any]]]:
    """Columns of decimal or date objects (:func:`~vaeaug.preprocessing.object_values`)
    that were not ``named`` categorical, as floats and datetimes; and what each one was."""
    objects = object_columns(df, [c for c in categorical if c not in named])
    return objects_as_numbers_all(df, objects), objects


def _check_hashable(df: pd.DataFrame, categorical: list) -> None:
    """Categories must be hashable: a column of lists or dicts (nested Parquet or JSON data)
    would otherwise end in pandas' bare ``unhashable type: 'list'``."""
    for c in categorical:
        if not pd.api.types.is_object_dtype(df[c].dtype):
            continue
        try:
            pd.unique(df[c])  # hashes every value once, in C
        except TypeError:
            kind = next(type(v).__name__ for v in df[c] if not _hashable(v))
            raise ValueError(
                f"Column {c!r} holds {kind} values, which cannot be categories (or "
                "numbers); expand them into columns of their own, or drop the column.") from None


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _dense_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Sparse pandas columns made dense for training (restore_X makes the output sparse)."""
    sparse_cols = [c for c in df.columns if isinstance(df[c].dtype, pd.SparseDtype)]
    if not sparse_cols:
        return df
    df = df.copy()
    for c in sparse_cols:
        df[c] = df[c].sparse.to_dense()
    return df


def _check_shape(df: pd.DataFrame) -> None:
    # Worded as scikit-learn words them, so users see the same message everywhere.
    if df.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={df.shape}) while a minimum "
                         "of 1 is required.")
    if df.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={df.shape}) while a minimum "
                         "of 1 is required.")
    complex_cols = [c for c in df.columns if pd.api.types.is_complex_dtype(df[c].dtype)]
    if complex_cols:
        raise ValueError(f"Complex data not supported (columns {complex_cols[:10]}).")


def _named_columns(df: pd.DataFrame, requested: Any) -> list | None:
    """The columns ``categorical_features`` names, indexes or masks; None for ``"auto"``."""
    if requested is None or (isinstance(requested, str) and requested == "auto"):
        return None
    return _requested_columns(df, list(np.atleast_1d(np.asarray(requested, dtype=object))))


def _categorical_columns(df: pd.DataFrame, named: list | None, detect: bool) -> list:
    """Column labels to treat as categorical: ``named`` (:func:`_named_columns`) or
    detected.

    Detection covers pandas dtypes and, in arrays of dtype object, columns holding strings.
    """
    if named is None:
        if detect:
            found = [c for c in df.columns if is_categorical_dtype(df[c].dtype)]
        else:
            found = [c for c in df.columns if pd.api.types.is_string_dtype(df[c].dtype)
                     and df[c].map(lambda v: isinstance(v, str)).any()]
        warn_numbers_as_text(df, found, stacklevel=5)
        return found
    chosen = list(named)
    if detect:  # a text or category column cannot be numeric, whether it was named or not
        chosen += [c for c in df.columns if c not in chosen
                   and is_categorical_dtype(df[c].dtype) and not pd.api.types.is_bool_dtype(df[c])]
    return chosen


#: Share of a text column's values that must read as numbers for it to be reported as a
#: column of numbers spoiled by a few other values (a '?' for missing, say).
MOSTLY_NUMBERS = 0.8
#: What people write around numbers in spreadsheets: thousands separators, units, spaces.
NUMBER_DECORATION = re.compile(r"[,\s%$€£]|^'")


class NumbersAsTextWarning(UserWarning):
    """A column detected as categorical looks like numbers read as text."""


def warn_numbers_as_text(df: pd.DataFrame, columns: list, stacklevel: int = 2) -> None:
    """A :class:`NumbersAsTextWarning` for each of ``columns`` that :func:`numbers_as_text`
    reports."""
    for c in columns:
        problem = numbers_as_text(c, df[c])
        if problem:
            warnings.warn(problem, NumbersAsTextWarning, stacklevel=stacklevel)


def warn_counters(df: pd.DataFrame, stacklevel: int = 2) -> None:
    """A ``UserWarning`` for each column of ``df`` that :func:`counter_problem` reports."""
    for c in df.columns:
        problem = counter_problem(c, df[c])
        if problem:
            warnings.warn(problem, UserWarning, stacklevel=stacklevel)


#: A class with at most this many rows gets new rows with a warning: they can only vary
#: those rows, which adds little a classifier can use.
FEW_ROWS = 2


def few_rows_problem(label: Any, n_rows: int, unit: str = "row") -> str | None:
    """Why new rows (or images: ``unit``) of a class of ``n_rows`` real ones say little, or
    None.

    SMOTE refuses such a class (it needs neighbours); vaeaug can vary one or two rows with
    the model it learned from all classes, but the user should know what those rows are.
    The message holds no count of new rows, so that evaluate's folds repeat it once.
    """
    if n_rows > FEW_ROWS:
        return None
    them, itself = (("it", f"the {unit} itself") if n_rows == 1
                    else ("those two", f"the two {unit}s"))
    # vaeaug evaluate measures tables, and needs two rows of a class (one per test fold)
    check = ("; vaeaug evaluate shows whether the new ones help"
             if unit == "row" and n_rows > 1 else "")
    return (f"Class {label!r} has only {n_rows} real {unit}{'s' * (n_rows > 1)}: its new "
            f"{unit}s are variations of {them}, which tell a classifier little more than "
            f"{itself}. More real {unit}s of the class would help more{check}.")


def numbers_as_text(name: Any, col: pd.Series) -> str | None:
    """Why a column detected as categorical looks like numbers read as text, or None.

    A numeric column with a ``?`` or ``n/a`` for missing values, or numbers written as
    ``9,420`` or ``12.5%``, is read as text; modelled as a category, its synthetic values can
    only repeat the column's values. Columns of pandas' ``category`` or bool dtype are taken
    as they are. Each distinct value is looked at once (this runs in every fit).
    """
    if isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(col.dtype):
        return None
    counts = col.value_counts(sort=False)  # distinct values and their rows; NaN left out
    scalar = counts.index.map(lambda v: isinstance(v, (str, int, float, np.number))
                              and not isinstance(v, bool)).to_numpy(dtype=bool)
    rows = counts.sum()
    counts = counts[scalar]
    if counts.sum() < max(2, rows * MOSTLY_NUMBERS):
        return None
    text = pd.Series(counts.index.astype(str), index=counts.index).str.strip()

    def share(parsed: pd.Series) -> float:  # of the rows, not of the distinct values
        return counts[parsed.notna().to_numpy()].sum() / counts.sum()

    parsed = pd.to_numeric(text, errors="coerce")
    if share(parsed) >= MOSTLY_NUMBERS:
        others = counts[parsed.isna().to_numpy()]
        if not len(others):
            return (f"Column {name!r} holds numbers stored as text: it is modelled as a "
                    "category, so synthetic rows can only repeat its values. Convert it "
                    "(pd.to_numeric) to model it as numbers.")
        first = col[col.isin(others.index)].drop_duplicates()  # in the order of the rows
        shown = ", ".join(repr(v) for v in first[:3]) + (", ..." if len(first) > 3 else "")
        n = int(others.sum())
        return (f"Column {name!r} holds numbers except in {n} row{'s' * (n > 1)} "
                f"({shown}), so it is read as text and modelled as a category: synthetic "
                f"rows can only repeat its values. If {first.iloc[0]!r} marks a missing "
                f"value, read it as one (--na-values {first.iloc[0]!r}, or pandas' "
                "na_values): missing values are modelled; if the column is categorical, name "
                "it as such (categorical_features, or --categorical) to silence this.")
    if share(pd.to_numeric(text.str.replace(NUMBER_DECORATION, "", regex=True),
                           errors="coerce")) >= MOSTLY_NUMBERS:
        shown = ", ".join(repr(v) for v in col.dropna().drop_duplicates()[:3])
        return (f"Column {name!r} holds numbers written as text ({shown}, ...): it is "
                "modelled as a category, so synthetic rows can only repeat its values. Write "
                "them as plain numbers (no thousands separators, units or % signs) to model "
                "them as numbers.")
    return None


def did_you_mean(name: Any, known: Sequence[Any], cutoff: float = 0.75) -> str:
    """`` Did you mean 'x'?`` for the entry of ``known`` nearest to ``name``: one that differs
    only in case or surrounding spaces, else the closest spelling (``difflib``, similarity at
    least ``cutoff``); ``""`` when none is near."""
    def key(value: Any) -> str:
        return str(value).strip().casefold()

    close = [v for v in known if key(v) == key(name)]
    if not close:  # a typo: 'lable' for 'label'
        keys = {key(v): v for v in known}
        close = [keys[k] for k in difflib.get_close_matches(key(name), list(keys), n=1,
                                                             cutoff=cutoff)]
    return f" Did you mean {close[0]!r}?" if close else ""


def class_hint(label: Any, classes: Any) -> str:
    """:func:`did_you_mean` for a class label that is text, among the classes that are:
    ``'Positve'`` gets ``'positive'``, while a number (``10`` among ``1`` and ``100``) gets no
    guess, since a near spelling of a number is another number, not a typo."""
    if not isinstance(label, str):
        return ""
    return did_you_mean(label, [c for c in classes if isinstance(c, str)])


def _requested_columns(df: pd.DataFrame, requested: list) -> list:
    """The columns that ``categorical_features`` names, indexes or masks."""
    if requested and all(isinstance(v, (bool, np.bool_)) for v in requested):
        if len(requested) != df.shape[1]:
            raise ValueError(f"categorical_features is a mask of length {len(requested)}, "
                             f"but X has {df.shape[1]} columns.")
        return [c for c, m in zip(df.columns, requested) if m]
    columns = list(df.columns)
    chosen = []
    for v in requested:
        if v in columns:
            chosen.append(v)
        elif isinstance(v, (int, np.integer)) and -len(columns) <= v < len(columns):
            chosen.append(columns[v])
        else:
            raise ValueError(f"categorical_features names column {v!r}, which is not in X. "
                             f"Columns: {columns[:20]}.{did_you_mean(v, columns)}")
    return chosen


def _numeric_columns_as_float(
    df: pd.DataFrame, categorical: list, fmt: InputFormat
) -> pd.DataFrame:
    """Arrays of dtype object carry numbers as Python objects: make them floats."""
    if fmt.x_kind == "dataframe" or not pd.api.types.is_object_dtype(fmt.x_dtype):
        bad = [c for c in df.columns if c not in categorical
               and not pd.api.types.is_numeric_dtype(df[c].dtype)
               and not is_time_dtype(df[c].dtype)]
        if bad:
            raise ValueError(f"Columns {bad[:10]} are neither numeric nor categorical; "
                             "convert them or name them in categorical_features.")
        return df
    df = df.copy()
    for c in df.columns:
        if c not in categorical:
            try:
                df[c] = df[c].astype(np.float64)
            except ValueError as exc:
                raise ValueError(f"Column {c!r} holds non-numeric values ({exc}); name it in "
                                 "categorical_features to treat it as categorical.") from None
    return df


def _check_finite(df: pd.DataFrame, categorical: list) -> None:
    empty = [c for c in df.columns if df[c].isna().all()]
    if empty:  # nothing to model there, not even how often a value is missing
        raise ValueError(f"Columns {empty[:10]} have no value in any row; drop them (e.g. "
                         "df.dropna(axis=1, how='all')).")
    # missing values (NaN, None, NaT, <NA>) are modelled: a category of their own in a
    # categorical column, a present/missing block beside a numeric one
    numeric = [c for c in df.columns if c not in categorical]
    infinite = [c for c in numeric if np.isinf(numbers(df[c])).any()]
    if infinite:
        raise ValueError(f"Input contains infinity in columns {infinite[:10]}; replace "
                         "infinite values (e.g. clip them, or set them to NaN: missing values are "
                         "modelled).")


def as_labels(y: Any, n_rows: int) -> tuple[np.ndarray, InputFormat]:
    """Check the target and return it as a 1-D array, with how it came in."""
    from imblearn.utils._validation import check_target_type
    from sklearn.utils.multiclass import check_classification_targets, type_of_target

    if y is None:
        raise ValueError("CVAEOverSampler requires y to be passed, but the target y is None: "
                         "it is trained on labelled data.")
    fmt = InputFormat("", y_kind="list" if isinstance(y, list) else "ndarray")
    if is_polars(y, "Series"):
        fmt.y_kind, fmt.y_name = "polars", y.name
        y = y.to_numpy()
    if isinstance(y, pd.Series):
        fmt.y_kind, fmt.y_name = "series", y.name
    elif isinstance(y, pd.DataFrame):
        fmt.y_kind, fmt.y_name = "frame", list(y.columns)
    check_label_values(y)
    check_classification_targets(y)
    if type_of_target(y) == "multilabel-indicator":
        fmt.y_kind = "onehot"
    labels = check_target_type(y, indicate_one_vs_all=False)
    labels = np.asarray(labels)
    if labels.shape[0] != n_rows:
        raise ValueError(f"X has {n_rows} rows but y has {labels.shape[0]} labels.")
    return labels, fmt


def check_label_values(y: Any) -> None:
    """Refuse missing labels and labels that mix text and numbers, before anything sorts
    them: numpy would raise "'<' not supported between instances of 'NoneType' and 'str'"
    (or 'int' and 'str')."""
    if pd.isna(np.asarray(y, dtype=object)).any():
        raise ValueError("y contains missing labels (NaN/None); drop those rows first.")
    values = np.asarray(y)
    if values.dtype != object:  # numbers, or text alone
        return
    values = values.ravel()  # no missing label is left to skip (checked above)
    texts = {isinstance(v, str) for v in values}
    if len(texts) > 1:
        kinds = sorted({type(v).__name__ for v in values})
        raise ValueError(f"y mixes labels of types {kinds}; give them one type, e.g. "
                         "y.astype(str).")


def restore_X(original: Any, synthetic: pd.DataFrame, fmt: InputFormat) -> Any:
    """Stack the untouched original ``X`` and the synthetic rows, in the input's format."""
    if fmt.polars_schema is not None:
        import polars as pl

        return pl.concat([original, as_input_format(synthetic, fmt)])
    if fmt.x_kind == "dataframe":
        synthetic.columns = original.columns
        synthetic = synthetic.astype(original.dtypes)  # e.g. back to sparse columns
        return pd.concat([original, synthetic], ignore_index=True)
    new = as_input_format(synthetic, fmt)
    if fmt.x_kind == "sparse":
        return sparse.vstack([original, new]).asformat(fmt.sparse_format)
    if fmt.x_kind == "list":
        return list(original) + new
    return np.concatenate([np.asarray(original), new], axis=0)


def as_input_format(table: pd.DataFrame, fmt: InputFormat) -> Any:
    """Synthetic rows alone, in the format of the fitted input."""
    if fmt.polars_schema is not None:
        return pandas_as_polars(table, fmt.polars_schema)
    if fmt.x_kind == "dataframe":
        return table
    arr = table.to_numpy(dtype=fmt.x_dtype)
    if fmt.x_kind == "sparse":
        return sparse.csr_matrix(arr).asformat(fmt.sparse_format)
    if fmt.x_kind == "list":
        return arr.tolist()
    return arr


def restore_y(original: Any, new: np.ndarray, classes: np.ndarray, fmt: InputFormat,
              index: pd.Index | None = None) -> Any:
    """Stack the original labels and the synthetic ones, in the input's format."""
    if fmt.y_kind == "onehot":
        from sklearn.preprocessing import label_binarize

        return np.concatenate([np.asarray(original), label_binarize(new, classes=classes)])
    labels = np.concatenate([np.asarray(original).ravel(), new])
    if fmt.y_kind == "polars":
        import polars as pl

        return pl.Series(original.name, labels).cast(original.dtype)
    if fmt.y_kind == "series":
        return pd.Series(labels, name=fmt.y_name, index=index, dtype=original.dtype)
    if fmt.y_kind == "frame":
        return pd.DataFrame({fmt.y_name[0]: labels}, index=index).astype(original.dtypes)
    if fmt.y_kind == "list":
        return labels.tolist()
    return labels


def is_count(value: Any) -> bool:
    """A whole number of rows, not negative: an int (numpy's too) or a whole float (a
    computed ``0.5 * 200``), not a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value) and float(value).is_integer() and value >= 0)
    return isinstance(value, (Integral, np.integer)) and int(value) >= 0


def sampling_counts(strategy: Any, labels: np.ndarray, sampling_type: str) -> dict:
    """imbalanced-learn's ``{class: rows to add}`` for ``strategy``, with ints, refusing
    fractions: a dict strategy of ``{1: 80.5}`` left 60.5 to add, which would be cut to 60
    without a word."""
    from imblearn.utils import check_sampling_strategy

    counts = {}
    for label, n in check_sampling_strategy(strategy, labels, sampling_type).items():
        if not is_count(n):
            asked = float(n) + int(np.sum(labels == label))
            name = label.item() if isinstance(label, np.generic) else label
            raise ValueError(f"sampling_strategy asks for {asked!r} rows of class {name!r}; "
                             "counts must be whole numbers.")
        counts[label] = int(n)
    return counts

