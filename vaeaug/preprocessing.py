"""Tables <-> float matrices: per-column encoders, output spans and their inverse.

This module knows nothing of the model. It publishes ``spans``, the one contract between
the decoder's output heads and the loss (as CTGAN's data transformer does): each span is a
slice of the encoded matrix with the kind of likelihood that models it.
"""

from __future__ import annotations

import datetime
import decimal
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

NUMERIC = "numeric"
CATEGORICAL = "categorical"

#: Most categories a categorical column may have. Each category is one input and one output
#: of the network, and one float per row of the encoded table: an identifier column of a
#: 20,000-row table needed all of a 24 GiB machine's memory before this limit.
MAX_CATEGORIES = 1000
#: Rows from which a categorical column with a different value in every row is reported as a
#: likely identifier (synthetic rows can only repeat its values).
IDENTIFIER_ROWS = 20
#: A categorical column with at least this share of its rows' values distinct (but not all)
#: is reported too: free text, or an identifier with a few repeats (ticket numbers).
NEARLY_IDENTIFIER_SHARE = 0.9


#: A numeric column whose standard deviation is more than this many times its robust spread
#: (interquartile range / 1.349) is scaled by that spread around its median and through
#: asinh (linear near the middle, logarithmic in the tails) instead of being standardised.
#: A few far values (a 99999999 for "missing", a heavy tail) otherwise squeeze the other
#: values into a sliver of the model's scale: the network's small errors, scaled back,
#: spread a class's new rows in such a column ten times as wide as its real rows.
HEAVY_TAIL_RATIO = 10.0


@dataclass(frozen=True)
class Span:
    """A slice ``[start, start + width)`` of the encoded matrix and how it is modelled."""

    start: int
    width: int
    kind: str  # NUMERIC (Gaussian, one column) or CATEGORICAL (softmax over one-hot)

    @property
    def stop(self) -> int:
        return self.start + self.width


def categorical_blocks(spans: Sequence[Span]) -> list[tuple[int, int]]:
    """``(start, stop)`` of every categorical block of the encoded matrix, in order."""
    return [(s.start, s.stop) for s in spans if s.kind != NUMERIC]


def is_categorical_dtype(dtype: Any) -> bool:
    """Whether vaeaug treats a pandas column of this dtype as categorical."""
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def is_time_dtype(dtype: Any) -> bool:
    """Datetimes (with or without a time zone) and durations: modelled as numbers, their
    counts of the dtype's unit (``datetime64[us]``: microseconds since 1970)."""
    return (pd.api.types.is_datetime64_any_dtype(dtype)
            or pd.api.types.is_timedelta64_dtype(dtype))


def numbers(col: pd.Series) -> np.ndarray:
    """A numeric (or datetime) column's values as float64, NaN where they are missing."""
    if is_time_dtype(col.dtype):
        missing = col.isna().to_numpy()
        if not missing.any():
            return col.astype("int64").to_numpy(dtype=np.float64)
        values = np.full(len(col), np.nan)
        values[~missing] = col[~missing].astype("int64").to_numpy(dtype=np.float64)
        return values
    # a column of a 2-D block is a strided view: one copy first makes the scans that
    # follow (moments, quantiles, decimals) 3x faster on a 1,000,000 x 50 table
    return np.ascontiguousarray(col.to_numpy(dtype=np.float64, na_value=np.nan))


def times_as_numbers(df: pd.DataFrame, columns: Sequence[Any] | None = None) -> pd.DataFrame:
    """``df`` with its datetime and timedelta columns (of ``columns``, default all) as the
    numbers vaeaug models them as: for code that takes numbers only (scalers, classifiers)."""
    names = df.columns if columns is None else columns
    return df.assign(**{c: numbers(df[c]) for c in names if is_time_dtype(df[c].dtype)})


#: Steps a time column's values may all be whole multiples of, in seconds, coarsest first:
#: a column of dates gets dates back, a column of whole seconds whole seconds.
TIME_STEPS = (86400, 3600, 60, 1, 1e-3, 1e-6, 1e-9)


def _time_step(col: pd.Series) -> int:
    """The coarsest of :data:`TIME_STEPS` that every value of a time column is a multiple
    of, in counts of the column's unit (1: no rounding beyond the unit)."""
    counts = col.dropna().astype("int64").to_numpy()
    unit: Any = np.datetime_data(col.dtype.base if hasattr(col.dtype, "base") else col.dtype)[0]
    per_second = int(np.timedelta64(1, "s") // np.timedelta64(1, unit))
    for seconds in TIME_STEPS:
        step = round(seconds * per_second)
        if step >= 1 and not (counts % step).any():
            return step
    return 1


def object_values(col: pd.Series) -> dict[str, Any] | None:
    """How vaeaug models a column of Python objects as numbers, or None: decimals (SQL
    DECIMAL, money) as floats, ``{"objects": "decimal", "scale": digits after the point}``;
    dates (SQL DATE, ``Series.dt.date``) as datetimes, ``{"objects": "date"}``. As
    categories each would be one per value, and new rows could only repeat them."""
    if not pd.api.types.is_object_dtype(col.dtype):
        return None
    # the first value rules out a text column without a pass over all its rows (every fit
    # looks at every categorical column)
    head = col.iloc[:1000].dropna()
    first = head if len(head) else col.dropna()
    if not len(first) or type(first.iat[0]) not in (decimal.Decimal, datetime.date):
        return None
    values = col.dropna()
    kinds = set(values.map(type))
    if kinds == {decimal.Decimal} and all(v.is_finite() for v in values):
        return {"objects": "decimal",
                "scale": max(0, *(-int(v.as_tuple().exponent) for v in values))}
    if kinds == {datetime.date}:  # exactly dates: a datetime is a date too
        return {"objects": "date"}
    return None


def objects_as_numbers(col: pd.Series, kind: dict[str, Any]) -> pd.Series:
    """A column of :func:`object_values` ``kind`` as floats or datetimes."""
    return pd.to_datetime(col) if kind["objects"] == "date" else col.astype(np.float64)


def object_columns(df: pd.DataFrame, columns: Sequence[Any] | None = None
                   ) -> dict[Any, dict[str, Any]]:
    """The columns of ``df`` (of ``columns``, default all) that :func:`object_values` models
    as numbers, and the kind of each."""
    names = df.columns if columns is None else columns
    return {c: kind for c in names for kind in [object_values(df[c])] if kind}


def objects_as_numbers_all(df: pd.DataFrame,
                           kinds: dict[Any, dict[str, Any]] | None = None) -> pd.DataFrame:
    """``df`` with its columns of decimal or date objects (``kinds``, default
    :func:`object_columns`) as floats or datetimes: a copy where there are any."""
    kinds = object_columns(df) if kinds is None else kinds
    if kinds:
        df = df.copy()  # the caller's frame is left as it is
        for c, kind in kinds.items():
            df[c] = objects_as_numbers(df[c], kind)
    return df


def numbers_as_objects(values: pd.Series, kind: dict[str, Any]) -> pd.Series:
    """Floats or datetimes back as the objects of :func:`object_values` ``kind``: dates, or
    decimals at the column's scale."""
    if kind["objects"] == "date":
        dates = pd.Series(values.dt.date, dtype=object)
        return dates.where(values.notna().to_numpy(), None)
    step = decimal.Decimal(1).scaleb(-kind["scale"])
    return pd.Series([None if np.isnan(v) else decimal.Decimal(repr(float(v))).quantize(step)
                      for v in values], dtype=object)


#: A float column whose values have at most this many decimals (prices, measurements to a
#: given resolution) gets new values rounded to as many; finer columns are left as they are.
MAX_DECIMALS = 6
#: Values of a column that :func:`_decimals` looks at, spread over all its rows.
DECIMALS_SAMPLE = 10_000


def _decimals(values: np.ndarray) -> int | None:
    """The fewest decimals, at most :data:`MAX_DECIMALS`, that hold every value of a float
    column (those of a spread-out sample), or None: numbers read from ``12.5`` and ``3.25``
    hold 2, full-precision floats none."""
    # the range's ends too, so that rounding keeps new values within it
    sample = np.r_[values[:: max(1, len(values) // DECIMALS_SAMPLE)], values.min(),
                   values.max()]
    for decimals in range(MAX_DECIMALS + 1):
        scaled = sample * 10.0 ** decimals
        # 12.35 is read as the double nearest to it: scaled, a few units in the last place
        # from a whole number
        if np.all(np.abs(scaled - np.rint(scaled)) <= 8 * np.spacing(np.abs(scaled))):
            return decimals
    return None


def _python_scalar(value: Any) -> Any:
    """numpy scalars -> plain Python values, so they serialise safely."""
    return value.item() if isinstance(value, np.generic) else value


def _dtype_to_str(dtype: Any) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.StringDtype) and str(dtype) == "string":
        return f"string[{dtype.storage}]"  # str() drops the storage ("str", pandas 3's
    return str(dtype)  # default, keeps its NaN as missing value and its default storage)


class TableTransformer:
    """Encode a table as a float32 matrix and decode model output back to a table.

    Numeric columns are standardised, heavy-tailed ones put on an asinh scale (see
    :data:`HEAVY_TAIL_RATIO`); categorical columns are one-hot encoded. Decoding
    clips numeric values to each column's observed range, rounds integer columns (and float
    columns to their decimals, :func:`_decimals`), takes the
    most likely category, and restores every column's original dtype.

    Parameters
    ----------
    categorical : list
        Labels of the columns to treat as categorical.
    """

    def __init__(self, categorical: list | None = None) -> None:
        self.categorical = list(categorical or [])

    def fit(self, df: pd.DataFrame,
            objects: dict[Any, dict[str, Any]] | None = None) -> TableTransformer:
        """Learn each column's encoder from ``df``. ``objects`` names the numeric columns
        that were Python objects (:func:`object_values`), to decode them as such."""
        self.columns_: list[dict[str, Any]] = []
        for name in df.columns:
            col = df[name]
            if name in self.categorical:
                self.columns_.append(self._fit_categorical(name, col))
            else:
                problem = counter_problem(name, col)
                if problem:  # evaluate says it for the whole table, before the folds
                    warnings.warn(problem, UserWarning, stacklevel=2)
                self.columns_.append({**self._fit_numeric(name, col),
                                      **(objects or {}).get(name, {})})
        self._build_spans()
        return self

    @staticmethod
    def _fit_numeric(name: Any, col: pd.Series) -> dict[str, Any]:
        values = numbers(col)
        gaps = np.isnan(values)
        missing = bool(gaps.any())
        values = values[~gaps] if missing else values
        # Moments of values divided by their largest magnitude: squares of 1e300 overflow.
        scale = float(np.abs(values).max()) or 1.0
        shrunk = values / scale
        mean = float(shrunk.mean() * scale)
        std = float(shrunk.std() * scale)
        decimals = (_decimals(values) if pd.api.types.is_float_dtype(col.dtype) else None)
        return {**_robust_scale_if_heavy_tailed(values, std),
            **({} if decimals is None else {"decimals": decimals}),
            "name": _python_scalar(name),
            "kind": NUMERIC,
            "dtype": _dtype_to_str(col.dtype),
            "integer": bool(pd.api.types.is_integer_dtype(col.dtype)
                            or is_time_dtype(col.dtype)),
            "mean": mean,
            "std": std if np.isfinite(std) and std > 0 else 1.0,
            "min": float(values.min()),
            "max": float(values.max()),
            **({"step": _time_step(col)} if is_time_dtype(col.dtype) else {}),
            # rows without a value: a two-way block (present, missing) follows the column
            **({"missing": True} if missing else {}),
        }

    @staticmethod
    def _fit_categorical(name: Any, col: pd.Series) -> dict[str, Any]:
        if isinstance(col.dtype, pd.CategoricalDtype):
            categories = list(col.cat.categories)
            ordered = bool(col.cat.ordered)
        else:
            categories = sorted(pd.unique(col.dropna()), key=lambda v: (str(type(v)), v))
            ordered = False
        if col.isna().any():  # a category of its own, last: None (NaN in pandas' eyes)
            categories.append(None)
        problem = cardinality_problem(name, len(categories), len(col))
        if problem:
            kind, message = problem
            if not issubclass(kind, Warning):
                raise kind(message)
            warnings.warn(message, kind, stacklevel=2)
        return {
            "name": _python_scalar(name),
            "kind": CATEGORICAL,
            "dtype": _dtype_to_str(col.dtype),
            "categories": [_python_scalar(c) for c in categories],
            "ordered": ordered,
        }

    def _build_spans(self) -> None:
        """``spans_``, every block of the encoded matrix in order; ``_column_spans``, the
        blocks of each column (a numeric column with missing values has two)."""
        spans, self._column_spans, start = [], [], 0
        for info in self.columns_:
            if info["kind"] == NUMERIC:
                own = [Span(start, 1, NUMERIC)]
                if info.get("missing"):
                    own.append(Span(start + 1, 2, CATEGORICAL))
            else:
                own = [Span(start, len(info["categories"]), CATEGORICAL)]
            spans += own
            self._column_spans.append(own)
            start = own[-1].stop
        self.spans_ = spans
        self.n_outputs_ = start

    # -- encode ------------------------------------------------------------------------------
    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Encode ``df`` (same columns as in ``fit``) as a float32 matrix."""
        n = len(df)
        out = np.zeros((n, self.n_outputs_), dtype=np.float32)
        # Columns are encoded one at a time. Written straight into the row-major result, a
        # column touches a cache line per row (0.9 s against 0.3 s at 1,000,000 x 50), so
        # runs of consecutive columns go into a column-major buffer first, copied into the
        # result a block of rows at a time. The buffer holds at most GROUP_ELEMENTS numbers
        # whatever the table's size (a second copy of the whole table would not).
        width = max(1, GROUP_ELEMENTS // max(1, n))
        buffer = np.empty((n, min(width, self.n_outputs_)), dtype=np.float32, order="F")
        for columns in _column_groups(self._column_spans, width):
            first = self._column_spans[columns[0]][0].start
            stop = self._column_spans[columns[-1]][-1].stop
            if stop - first > width:  # one wide column (one-hot): one number a row to write
                self._encode_column(columns[0], df, out, 0)
                continue
            part = buffer[:, :stop - first]
            part.fill(0.0)
            for i in columns:
                self._encode_column(i, df, part, first)
            for row in range(0, n, ROW_BLOCK):
                out[row:row + ROW_BLOCK, first:stop] = part[row:row + ROW_BLOCK]
        return out

    def _encode_column(self, i: int, df: pd.DataFrame, out: np.ndarray, offset: int) -> None:
        """Write column ``i``'s encoding into ``out``, whose column 0 is encoded column
        ``offset``."""
        info = self.columns_[i]
        span, *missing_span = self._column_spans[i]
        col = df[info["name"]]
        if info["kind"] == NUMERIC:
            if is_time_dtype(col.dtype) != is_time_dtype(pandas_dtype(info)):
                raise ValueError(
                    f"Column {info['name']!r} held {info['dtype']} values in fit but "
                    f"holds {col.dtype} now; give it the values it was fitted on."
                )
            try:
                values = numbers(col)
            except (ValueError, TypeError):
                text = pd.to_numeric(col, errors="coerce").isna() & col.notna()
                raise ValueError(
                    f"Column {info['name']!r} held numbers in fit but holds text now, "
                    f"e.g. {col[text].iloc[0]!r}; the model needs numbers there."
                ) from None
            missing = np.isnan(values)
            if missing.any() and not missing_span:
                raise _unplaced_missing(info)
            scaled = (to_asinh_scale(values, info) if asinh_scaled(info)
                      else (values - info["mean"]) / info["std"])
            # a missing value sits at the column's centre; the block says it is missing
            out[:, span.start - offset] = np.where(missing, 0.0, scaled)
            if missing_span:
                out[np.arange(len(df)), missing_span[0].start - offset + missing] = 1.0
            return
        codes = _category_codes(info["categories"], col)
        if (codes < 0).any() and col[codes < 0].isna().any():
            raise _unplaced_missing(info)
        if (codes < 0).any():
            unseen = sorted({str(v) for v in col[codes < 0]})[:5]
            raise ValueError(
                f"Column {info['name']!r} holds categories not seen in fit: {unseen}."
            )
        out[np.arange(len(df)), span.start - offset + codes] = 1.0

    # -- decode ------------------------------------------------------------------------------
    def inverse_transform(self, matrix: np.ndarray) -> pd.DataFrame:
        """Decode model output (numeric values, category scores) into a typed table."""
        data = {}
        for info, (span, *missing_span) in zip(self.columns_, self._column_spans):
            block = matrix[:, span.start : span.stop]
            if info["kind"] == NUMERIC:
                values = self._decode_numeric(info, block[:, 0])
                values = (numbers_as_objects(values, info) if "objects" in info
                          else values)
                if missing_span:  # NaN, <NA>, NaT or None, as the dtype has it
                    flags = matrix[:, missing_span[0].start : missing_span[0].stop]
                    values = values.mask(flags.argmax(axis=1) == 1)
                data[info["name"]] = values
            else:
                data[info["name"]] = self._decode_categorical(info, block)
        return pd.DataFrame(data, columns=[info["name"] for info in self.columns_])

    @staticmethod
    def _decode_numeric(info: dict[str, Any], values: np.ndarray) -> pd.Series:
        values = values.astype(np.float64)
        values = (from_asinh_scale(values, info) if asinh_scaled(info)
                  else values * info["std"] + info["mean"])
        values = np.clip(values, info["min"], info["max"])
        if info["integer"]:
            values = np.rint(values)
        elif "decimals" in info:  # prices in cents get cents (the range's ends have them too)
            values = np.round(values, info["decimals"])
        dtype = pandas_dtype(info)
        if is_time_dtype(dtype):  # from counts of the dtype's unit, as they were read
            step = info.get("step", 1)
            counts = _castable(np.rint(values / step), np.dtype(np.int64)).astype(np.int64)
            return pd.Series(counts * step).astype(dtype)
        if info["integer"]:
            values = _castable(values, np.dtype(getattr(dtype, "numpy_dtype", dtype)))
        return pd.Series(values).astype(dtype)

    @staticmethod
    def _decode_categorical(info: dict[str, Any], scores: np.ndarray) -> pd.Series:
        categories = np.empty(len(info["categories"]), dtype=object)
        categories[:] = info["categories"]
        values = categories[scores.argmax(axis=1)]
        return pd.Series(values, dtype=object).astype(pandas_dtype(info))

    # -- combining shards ----------------------------------------------------------------------
    @classmethod
    def merge(cls, parts: list[tuple[int, TableTransformer]]) -> TableTransformer:
        """One transformer for the union of shards, from ``(rows, transformer)`` per shard.

        Numeric columns get the pooled mean and standard deviation and the overall range;
        categorical columns the union of categories (the first shard's order, then the
        others' new categories). The result equals fitting on the concatenated shards, up to
        rounding, except for columns with missing values (each shard's statistics are of its
        values, weighted by its rows) and heavy-tailed columns: the shards' averages of the
        median and spread of the asinh scale are close to, not equal to, the whole table's
        (and a column that some shard does not find heavy-tailed is standardised). Used by
        data-parallel training, where no process sees all rows.
        """
        parts = [(n, t) for n, t in parts if n > 0]
        if not parts:
            raise ValueError("Every shard is empty: there are no rows to train on.")
        first = parts[0][1]
        names = [info["name"] for info in first.columns_]
        for _, other in parts[1:]:
            theirs = [info["name"] for info in other.columns_]
            if theirs != names:  # column i of one shard is merged with column i of the others
                raise ValueError(f"The shards' columns differ: {names[:20]} in one, "
                                 f"{theirs[:20]} in another; give every file the same "
                                 "columns in the same order.")
        total = sum(n for n, _ in parts)
        merged = cls(first.categorical)
        merged.columns_ = []
        for i, info in enumerate(first.columns_):
            infos = [(n, t.columns_[i]) for n, t in parts]
            if any(other["kind"] != info["kind"] for _, other in infos):
                raise ValueError(f"Column {info['name']!r} is numeric in some shards and "
                                 "categorical in others.")
            out = dict(info)
            if info["kind"] == NUMERIC:
                mean = sum(n * c["mean"] for n, c in infos) / total
                # A constant column stores std 1.0 (see _fit_numeric); its true spread is 0.
                var = sum(n * ((c["std"] if c["max"] > c["min"] else 0.0) ** 2
                               + (c["mean"] - mean) ** 2) for n, c in infos)
                std = float(np.sqrt(var / total))
                out.update(mean=float(mean), std=std if np.isfinite(std) and std > 0 else 1.0,
                           min=min(c["min"] for _, c in infos),
                           max=max(c["max"] for _, c in infos),
                           integer=all(c["integer"] for _, c in infos))
                if any(c.get("missing") for _, c in infos):
                    out["missing"] = True
                if "step" in info:  # each step divides the coarser ones (TIME_STEPS)
                    out["step"] = min(c["step"] for _, c in infos)
                out.pop("decimals", None)  # the finest of the shards', if all have some
                if all("decimals" in c for _, c in infos):
                    out["decimals"] = max(c["decimals"] for _, c in infos)
                # the asinh scale where every shard found the column heavy-tailed (shards of
                # one table agree but for rare splits), its centre and spread the shards'
                # averages (close to, not equal to, the whole table's); else standardised
                out.pop("center", None)
                out.pop("spread", None)
                if all(asinh_scaled(c) for _, c in infos):
                    out.update(center=sum(n * c["center"] for n, c in infos) / total,
                               spread=sum(n * c["spread"] for n, c in infos) / total)
            else:
                categories = list(info["categories"])
                for _, c in infos[1:]:
                    categories += [v for v in c["categories"] if v not in categories]
                if None in categories:  # the missing values' category stays last
                    categories = [v for v in categories if v is not None] + [None]
                problem = cardinality_problem(info["name"], len(categories))
                if problem:
                    raise ValueError(problem[1])
                out["categories"] = categories
            merged.columns_.append(out)
        merged._build_spans()
        return merged

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python description (safe to store with ``torch.save(weights_only)``)."""
        return {"categorical": [_python_scalar(c) for c in self.categorical],
                "columns": self.columns_}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> TableTransformer:
        """Rebuild a fitted transformer from :meth:`to_dict` output."""
        self = cls(state["categorical"])
        self.columns_ = [dict(info) for info in state["columns"]]
        self._build_spans()
        return self


#: Numbers :meth:`TableTransformer.transform` encodes at a time into its column-major
#: buffer (64 MiB of float32).
GROUP_ELEMENTS = 1 << 24
#: Rows of that buffer copied into the result at a time: a block of a few hundred KiB stays
#: in the caches while its columns are read.
ROW_BLOCK = 4096


def _column_groups(column_spans: Sequence[Sequence[Span]], width: int) -> list[list[int]]:
    """The table's columns in runs of consecutive ones whose encoded columns number at most
    ``width`` (a wider column makes a run of its own)."""
    groups: list[list[int]] = []
    used = 0
    for i, spans in enumerate(column_spans):
        size = spans[-1].stop - spans[0].start
        if groups and used + size <= width:
            groups[-1].append(i)
            used += size
        else:
            groups.append([i])
            used = size
    return groups


def heavy_tailed(col: pd.Series) -> bool:
    """Whether vaeaug puts this numeric column on the asinh scale (:data:`HEAVY_TAIL_RATIO`)."""
    return asinh_scaled(TableTransformer._fit_numeric(col.name, col))


def asinh_scaled(info: dict[str, Any]) -> bool:
    """Whether a fitted column (an entry of ``TableTransformer.columns_``) is on the asinh
    scale rather than standardised."""
    return "center" in info


def _robust_scale_if_heavy_tailed(values: np.ndarray, std: float) -> dict[str, float]:
    """``{"center": median, "spread": IQR / 1.349}`` for a column that
    :data:`HEAVY_TAIL_RATIO` says to put on the asinh scale, else ``{}``."""
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    spread = float((q75 - q25) / 1.349)
    # a column that is mostly one value (spread 0) keeps that value exactly when standardised
    if not (spread > 0 and std > HEAVY_TAIL_RATIO * spread):
        return {}
    return {"center": float(median), "spread": spread}


def to_asinh_scale(values: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """A heavy-tailed column's values on the model's scale: asinh of robust z-scores."""
    return np.arcsinh((values - info["center"]) / info["spread"])


def from_asinh_scale(scaled: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """The inverse of :func:`to_asinh_scale`, kept within the column's range (sinh of a
    large network output would overflow)."""
    low, high = to_asinh_scale(np.array([info["min"], info["max"]]), info)
    return info["center"] + info["spread"] * np.sinh(np.clip(scaled, low, high))


def cardinality_problem(name: Any, n_categories: int,
                        n_rows: int | None = None) -> tuple[type[Warning | ValueError], str] | None:
    """What is wrong with a categorical column of ``n_categories`` values in ``n_rows`` rows.

    Returns
    -------
    (ValueError, message)
        Over :data:`MAX_CATEGORIES` values: fitting refuses the column.
    (UserWarning, message)
        A different value in every row (or in :data:`NEARLY_IDENTIFIER_SHARE` of them) of at
        least :data:`IDENTIFIER_ROWS` rows: fitting warns.
    None
        Nothing to report.
    """
    if n_categories > MAX_CATEGORIES:
        return ValueError, (
            f"Column {name!r} has {n_categories:,} categories; vaeaug models at most "
            f"{MAX_CATEGORIES:,} per categorical column. An identifier or free text? Drop it, "
            "or group its rare values, before fitting.")
    if n_rows is not None and n_categories == n_rows >= IDENTIFIER_ROWS:
        return UserWarning, (
            f"Column {name!r} has a different value in every row: an identifier? Synthetic rows "
            "can only repeat its values; consider dropping it.")
    if (n_rows is not None and n_rows >= IDENTIFIER_ROWS
            and n_categories >= NEARLY_IDENTIFIER_SHARE * n_rows):
        return UserWarning, (
            f"Column {name!r} has a different value in almost every row (90 % or more): an "
            "identifier or free text? Synthetic rows can only repeat its values; consider "
            "dropping it.")
    return None


def counter_problem(name: Any, col: pd.Series) -> str | None:
    """A warning for an integer column that numbers the rows (every value from its minimum
    to its maximum, once each, in at least :data:`IDENTIFIER_ROWS` rows) or, without a name,
    holds distinct whole numbers (a saved index); or None.

    Modelled as a number, its synthetic values fall in that range and so repeat real rows'
    numbers; used as a feature, it tells a classifier where a row sits in the file. pandas
    names a column without a header ``Unnamed: 0``: one of whole numbers, each once, is an
    index saved by ``to_csv``, counting from 0 or, after rows were filtered or sorted, not."""
    if (len(col) < IDENTIFIER_ROWS or not pd.api.types.is_integer_dtype(col.dtype)
            or col.isna().any() or not col.is_unique):
        return None
    low, high = int(col.min()), int(col.max())
    counts = low == 0 and high + 1 == len(col)
    if str(name).startswith("Unnamed: "):
        held = "counts 0, 1, 2, ..." if counts else "a different whole number in every row"
        return (f"Column {name!r} has no name and {held}: a DataFrame index saved by to_csv? "
                "It is used as a feature; drop it, or save the file with index=False.")
    if high - low + 1 != len(col):
        return None
    return (f"Column {name!r} numbers the rows ({low} to {high}, each once): a row number or "
            "identifier? Synthetic rows get numbers from that range, which repeat real rows' "
            "numbers; consider dropping it.")


def _unplaced_missing(info: dict[str, Any]) -> ValueError:
    return ValueError(f"Column {info['name']!r} has missing values, and had none in fit; the "
                      "model cannot place them.")


def _category_codes(categories: list, col: pd.Series) -> np.ndarray:
    """Each value's position in ``categories``; a missing value's is that of ``None``, the
    missing values' category, if the column had one in fit (-1: not seen in fit)."""
    known = [c for c in categories if c is not None]
    codes = pd.Index(known).get_indexer(col)
    missing = col.isna().to_numpy()
    if missing.any():
        codes[missing] = len(known) if None in categories else -1
    return codes


def _castable(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Whole floats clipped to what ``dtype`` holds. An int64 maximum (a common sentinel)
    is 2**63 as a float, which would wrap around to the minimum when cast."""
    limits = np.iinfo(dtype)
    top = float(limits.max)
    if int(top) > limits.max:  # the float rounded up past the maximum
        top = float(np.nextafter(top, 0.0))
    return np.clip(values, float(limits.min), top)


def pandas_dtype(info: dict[str, Any]) -> Any:
    """The pandas dtype a column had in fit, rebuilt from its description."""
    if info["dtype"] == "category":
        return pd.CategoricalDtype([c for c in info["categories"] if c is not None],
                                   ordered=info["ordered"])
    try:
        return pd.api.types.pandas_dtype(info["dtype"])
    except ImportError:  # "string[pyarrow]" from a model saved where pyarrow was installed
        return pd.StringDtype()
