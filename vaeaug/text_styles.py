"""How a CSV file wrote its values, so that new rows are written alike: dates as the file
wrote them (ISO 8601, or day and month in a spreadsheet's order), formatted numbers
(``$1,037.72``, ``1.037,72 €``), fixed decimals and bare whole numbers, decimal commas, the
markers of its missing cells, and its separator; a Parquet file's decimals and dates.

:func:`vaeaug.io.read_table` fills a ``read_as`` dict with these styles, and :func:`as_read`
puts the written values back before :func:`vaeaug.io.write_table`. Nothing here opens a
file but to read the text of its columns."""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_datetime64_any_dtype, is_float_dtype

from .preprocessing import numbers_as_objects, object_columns, objects_as_numbers_all

#: A number written with a decimal comma, as ';'-separated files from many locales have them.
DECIMAL_COMMA = r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?|[-+]?\d+"


def _text_values(col: pd.Series) -> pd.Series | None:
    """A text column's distinct values (missing left out), or ``None`` for a column that is
    not text or has no values: what the readers below test against their patterns."""
    if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
        return None
    values = pd.Series(col.dropna().unique(), dtype=object)
    return values.astype(str) if len(values) else None


@dataclass
class TextStyle:
    """A CSV column read as numbers or dates (:func:`read_columns`): its text, kept for the
    original rows (written back unchanged), and how subclasses write new rows
    (``format(values)``, values as read to text)."""

    original: pd.Series
    #: only text outputs need the text back (Parquet keeps numbers and dates as such)
    text_only = True

    def original_values(self) -> pd.Series:
        """The original rows' values as the file wrote them."""
        return self.original


def read_columns(df: pd.DataFrame, pattern: str,
                 parse: Callable[[Any, pd.Series, pd.Series], tuple[pd.Series, Any] | None],
                 read_as: dict[Any, Any] | None = None) -> pd.DataFrame:
    """``df`` with each text column whose every value is ``pattern`` replaced by what
    ``parse(name, column, distinct values)`` makes of it: its new values and their
    :class:`TextStyle`, which ``read_as`` receives; or None, which leaves it as text."""
    for name in df.columns:
        text = _matching_values(df[name], pattern)
        parsed = None if text is None else parse(name, df[name], text)
        if parsed is not None:
            df[name], style = parsed
            if read_as is not None:
                read_as[name] = style
    return df


def _matching_values(col: pd.Series, pattern: str) -> pd.Series | None:
    """A text column's distinct values if every one of them is ``pattern``, else None."""
    if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
        return None
    # the first values rule most columns out without a pass over all rows (each reader
    # asks this of every text column)
    head = col.iloc[:1000].dropna().astype(str)
    if len(head) and not head.str.fullmatch(pattern).all():
        return None
    text = _text_values(col)
    return text if text is not None and text.str.fullmatch(pattern).all() else None


#: How many leading lines of a CSV :func:`numbers_written` looks at.
NUMBERS_WRITTEN_PEEK = 1000


@dataclass
class NumbersWritten(TextStyle):
    """A CSV float column whose numbers the file writes by a rule pandas does not follow
    (subclasses: ``format``). ``original`` holds the column's numbers; every row, original
    or new, is written by the rule."""

    #: ``40,90`` rather than ``40.90``
    decimal_comma: bool

    def original_values(self) -> pd.Series:
        """The original rows' values by the rule, made when written (a Parquet output
        needs none of them); missing ones stay missing."""
        return pd.Series(formatted(self, self.original), index=self.original.index)

    def _marked(self, text: list[str]) -> pd.Series:
        series = pd.Series(text, dtype=object)
        return series.str.replace(".", ",", regex=False) if self.decimal_comma else series


@dataclass
class FixedDecimals(NumbersWritten):
    """A CSV float column written with one number of decimals throughout, trailing zeros
    included (prices: ``40.90``), which pandas would write in shortest form (``40.9``)."""

    decimals: int = 0

    def format(self, values: pd.Series) -> pd.Series:
        """``values`` (floats) with this column's decimals: ``40.90``, or ``40,90``."""
        return self._marked([f"{v:.{self.decimals}f}" for v in values])


@dataclass
class BareWholeNumbers(NumbersWritten):
    """A CSV float column written in shortest form with its whole numbers bare (``2``
    beside ``0.25``, as spreadsheets and R write them), which pandas would write ``2.0``."""

    def format(self, values: pd.Series) -> pd.Series:
        """``values`` (floats) in shortest form, whole ones without ``.0``."""
        return self._marked([(text[:-2] if text.endswith(".0") else text)
                             for text in map(repr, map(float, values))])


def numbers_written(df: pd.DataFrame, path: Path, sep: str, compression: str | None,
                     na_values: Sequence[str], read_as: dict[Any, Any]) -> None:
    """A :class:`NumbersWritten` in ``read_as`` for each float column whose text in the
    file's first :data:`NUMBERS_WRITTEN_PEEK` lines pandas would not write back alike:

    - :class:`FixedDecimals`: one number of decimals, some with a trailing zero, where no
      value of the column has more decimals than that (so writing them so changes no
      number);
    - :class:`BareWholeNumbers`: whole numbers without a decimal mark beside others with
      one, every value of those lines as the rule writes it.

    Only those lines are read again, as text."""
    floats = [i for i, c in enumerate(df.columns)
              if df[c].dtype == np.float64 and c not in read_as]
    if not floats or not isinstance(df.index, pd.RangeIndex):  # else columns would not align
        return
    text = pd.read_csv(path, sep=sep, compression=compression, usecols=floats, dtype=str,
                       nrows=NUMBERS_WRITTEN_PEEK, na_values=list(na_values) or None,
                       encoding_errors="replace")
    for i, position in enumerate(floats):
        name = df.columns[position]
        written = text.iloc[:, i].dropna().str.strip()
        if written.empty or not written.str.fullmatch(r"-?\d+(?:[.,]\d+)?").all():
            continue  # exponents, signs, spaces: pandas' way is as good as any
        parts = written.str.extract(r"([.,])(\d+)$")
        marks = set(parts[0].dropna())
        if len(marks) != 1:
            continue
        comma = marks == {","}
        lengths = parts[1].str.len()
        if parts[0].notna().all():  # every value has decimals
            if lengths.nunique() != 1 or not parts[1].str.endswith("0").any():
                continue  # shortest form writes them as they are
            values = df[name].dropna().to_numpy()
            decimals = int(lengths.iat[0])
            if np.allclose(np.round(values, decimals), values, rtol=1e-12, atol=0):
                read_as[name] = FixedDecimals(df[name], comma, decimals)
            continue
        bare = BareWholeNumbers(df[name], comma)
        numbers = pd.to_numeric(written.str.replace(",", ".", regex=False))
        if (bare.format(numbers).to_numpy() == written.to_numpy()).all():
            read_as[name] = bare


class _Key:
    """An :func:`as_read` key for something of the whole file: a key no column can have."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: ``read_as[MARKS]``: ``{column: the marker text of its missing cells, by row position}``
#: (``NA``, ``null``, ``N/A``, ... as pandas reads them).
MARKS = _Key("MARKS")
#: ``read_as[DIALECT]``: how a CSV wrote fields and decimals where it differs from its kind's
#: default (``{"sep": ";", "decimal": ","}``, as spreadsheets save CSV in much of Europe),
#: for :func:`vaeaug.io.write_table`.
DIALECT = _Key("DIALECT")
#: ``read_as[LAYOUT]``: the file's columns in order, each as ``[name, dtype]`` with the dtype
#: of a column that has no value in any row and ``None`` for the others, so that a model's
#: new rows can be written with the file's header (:func:`vaeaug.cli.tables.in_file_order`).
LAYOUT = _Key("LAYOUT")


def gaps_as_written(df: pd.DataFrame, path: Path, sep: str, compression: str | None,
                     read_as: dict[Any, Any] | None) -> pd.DataFrame:
    """What pandas' reading loses in columns with missing values, taken from their text (a
    second read of those columns only):

    - columns of whole numbers with gaps, which pandas reads as floats (the file's ``25``
      would be written back ``25.0``, and new rows get fractions), as nullable integers
      (``Int64``), if their text has no decimal point or exponent (``25.0`` stays a float);
    - in ``read_as[MARKS]``, the cells written as a marker rather than left empty (R writes
      ``NA``), so that the original rows are written back as they were."""
    gappy = [i for i, c in enumerate(df.columns) if df[c].isna().any()]
    if not gappy or not isinstance(df.index, pd.RangeIndex):  # else columns would not align
        return df
    text = pd.read_csv(path, sep=sep, compression=compression, usecols=gappy, dtype=str,
                       keep_default_na=False, encoding_errors="replace")
    marks = {}
    for i, position in enumerate(gappy):
        name, written = df.columns[position], text.iloc[:, i]
        col = df[name]
        missing = col.isna().to_numpy()
        if (col.dtype == np.float64 and (col.dropna() % 1 == 0).all()
                and col.abs().max() < 2 ** 53  # exact as int64 and as float64
                and not written[~missing].str.contains(r"[.eE]", regex=True).any()):
            df[name] = col.astype("Int64")
        marked = missing & (written != "").to_numpy()
        if marked.any():
            marks[name] = pd.Series(written.to_numpy()[marked], index=np.flatnonzero(marked))
    if marks and read_as is not None:
        read_as[MARKS] = marks
    return df


def _with_marks(out: pd.DataFrame, marks: dict[Any, pd.Series], n_original: int,
                decimal: str = ".") -> pd.DataFrame:
    """``out`` with the original rows' missing-value markers back in their cells; the new
    rows' missing values get a column's marker where the file marked all its gaps alike.
    A float column so marked holds text and numbers, and ``to_csv`` writes no ``decimal``
    mark but ``.`` in such a column, so its numbers are written here with ``decimal``."""
    for name, marked in marks.items():
        if name not in out.columns:
            continue
        values = out[name].to_numpy(dtype=object, na_value=None).copy()
        if decimal != "." and is_float_dtype(out[name]):
            present = ~pd.isna(values)
            values[present] = [repr(v).replace(".", decimal) for v in values[present]]
        gaps = pd.isna(values[:n_original]).sum()
        values[marked.index.to_numpy()] = marked.to_numpy()
        markers = marked.unique()
        if len(markers) == 1 and len(marked) == gaps:  # every gap written one way
            new = values[n_original:]
            new[pd.isna(new)] = markers[0]
        out[name] = values
    return out


def decimal_commas_as_numbers(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Text columns whose every value is a number with a decimal comma, as floats; and
    whether there were any."""
    found = False
    for name in df.columns:
        text = _text_values(df[name])
        if (text is not None and text.str.contains(",", regex=False).any()
                and text.str.fullmatch(DECIMAL_COMMA).all()):
            values = df[name].dropna().astype(str)
            numbers = pd.to_numeric(values.str.replace(",", ".", regex=False))
            df[name] = numbers.reindex(df.index).astype(np.float64)  # missing stays NaN
            found = True
    return df, found


#: A number as spreadsheets format it: a currency sign before it (``$1,037.72``), a percent
#: sign, currency sign or short unit after it (``12.5%``, ``3.2 kg``), thousands separated by
#: commas (``1,037,719``). Groups: sign, prefix, whole part, fraction, suffix.
FORMATTED_NUMBER = (r"(-?)([$€£¥]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
                    r"( ?(?:%|[$€£¥]|[^\W\d_]{1,5}))?")
#: The same as a ``;``-separated file writes it where the decimal mark is a comma:
#: ``1.037,72 €``, ``12,5 %``, and with a space between thousands (``1 037,72 €``, as
#: French spreadsheets write it, often with a no-break space).
THOUSANDS_MARKS = ". \u00a0\u202f"
FORMATTED_NUMBER_COMMA = (rf"(-?)([$€£¥]?)(\d{{1,3}}(?:[{THOUSANDS_MARKS}]\d{{3}})+|\d+)(,\d+)?"
                          rf"([{THOUSANDS_MARKS[1:]}]?(?:%|[$€£¥]|[^\W\d_]{{1,5}}))?")
# (the spaces themselves, not \u escapes, which pandas 3's pyarrow-backed regex refuses)


@dataclass
class NumberText(TextStyle):
    """How a CSV wrote a column of :data:`FORMATTED_NUMBER` numbers."""

    prefix: str
    suffix: str
    thousands: bool
    decimals: int
    #: ``1.037,72`` rather than ``1,037.72`` (absent from older model files)
    decimal_comma: bool = False
    #: between thousands where the decimal mark is a comma: ``.``, or a (no-break) space
    group: str = "."

    def format(self, values: pd.Series) -> pd.Series:
        """``values`` (floats) as text in this column's style: ``-$1,037.72``."""
        spec = f"{',' if self.thousands else ''}.{self.decimals}f"
        swap = str.maketrans({",": self.group, ".": ","}) if self.decimal_comma else {}
        return pd.Series([f"{'-' if v < 0 else ''}{self.prefix}"
                          f"{format(abs(v), spec).translate(swap)}{self.suffix}"
                          for v in values], dtype=object)


def formatted_number(name: Any, raw: pd.Series, text: pd.Series,
                      decimal_comma: bool = False) -> tuple[pd.Series, NumberText] | None:
    """A :func:`read_columns` parser: a column of :data:`FORMATTED_NUMBER` (or, with
    ``decimal_comma``, :data:`FORMATTED_NUMBER_COMMA`) with one prefix and one suffix
    throughout (and some formatting) as floats."""
    pattern = FORMATTED_NUMBER_COMMA if decimal_comma else FORMATTED_NUMBER
    parts = text.str.extract(f"^{pattern}$").fillna("")
    prefix, suffix = set(parts[1]), set(parts[4])
    group = ","
    if decimal_comma:  # the one mark between thousands, if any: '.' or a kind of space
        marks = set("".join(parts[2])) - set("0123456789")
        if len(marks) > 1:
            return None  # 1.037 beside 2 500: not one way of writing them
        group = marks.pop() if marks else "."
    thousands = bool(parts[2].str.contains(group, regex=False).any())
    if len(prefix) > 1 or len(suffix) > 1 or not (prefix | suffix != {""} or thousands):
        return None  # $5 beside 5 €, or 3 kg beside 3kg: not one way of writing them
    numbers = pd.Series((parts[0] + parts[2].str.replace(group, "", regex=False)
                         + parts[3].str.replace(",", ".", regex=False)
                         ).astype(float).to_numpy(), index=text.to_numpy())
    decimals = max(0, int(parts[3].str.len().max()) - 1)  # ".72": 2
    return (raw.map(numbers, na_action="ignore").astype(np.float64),
            NumberText(raw, prefix.pop(), suffix.pop(), thousands, decimals, decimal_comma,
                       group if decimal_comma else "."))


#: A date, or a date and time, as ISO 8601 writes them (what pandas, R, databases and
#: JavaScript export), with or without a zone (``Z``, ``+02:00``): a CSV has no dtypes, so
#: such a column would be text, a category per date (and refused past 1,000 of them). Dates
#: written day and month first are :data:`NUMERIC_DATE`.
ISO_ZONE = r"(?:Z|[+-]\d{2}:?\d{2})"
ISO_DATE = (r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
            + ISO_ZONE + "?)?")


@dataclass
class IsoText(TextStyle):
    """How a CSV wrote a column of ISO dates."""

    sep: str = "T"
    dates_only: bool = False
    #: "Z", the offset every row shares ("+02:00"), "+00:00" for mixed offsets (summer and
    #: winter time), or None for times without a zone
    zone: str | None = None

    def format(self, values: pd.Series) -> pd.Series:
        """``values`` (datetimes) as text in this column's style."""
        if self.dates_only:
            return values.dt.strftime("%Y-%m-%d")
        if self.zone is not None:
            offset = "+00:00" if self.zone == "Z" else self.zone
            sign = -1 if offset.startswith("-") else 1
            values = values.dt.tz_convert(datetime.timezone(sign * datetime.timedelta(
                hours=int(offset[1:3]), minutes=int(offset[4:6]))))
        text = pd.Series([v.isoformat(sep=self.sep) for v in values], dtype=object)
        if self.zone == "Z":
            text = text.str.replace(r"\+00:00$", "Z", regex=True)
        return text


def _iso_style(raw: pd.Series, text: pd.Series) -> IsoText:
    """The :class:`IsoText` of a column with its distinct values ``text``."""
    zones = text.str.extract("(" + ISO_ZONE + ")$", expand=False)
    zone = None
    if zones.notna().all():
        offsets = set(zones.str.replace(":", "").replace("Z", "+0000"))
        zone = ("Z" if (zones == "Z").all() else
                f"{min(offsets)[:3]}:{min(offsets)[3:]}" if len(offsets) == 1 else "+00:00")
    return IsoText(raw, sep="T" if text.str.contains("T").any() else " ",
                   dates_only=bool((text.str.len() == 10).all()), zone=zone)


#: A date as spreadsheets write it, day and month (in either order) before a 4-digit year,
#: with ``/``, ``.`` or ``-`` between them, and perhaps a time, 24-hour or with AM/PM:
#: 05/03/2021, 5.3.2021, 03-05-2021 14:30, 5/3/2021 9:05:00, 9/18/2024 2:30:00 PM (Excel's
#: and .NET's US default). Read as dates when the values tell the order (a number above 12
#: in one of the two places).
NUMERIC_DATE = (r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
                r"(?: (\d{1,2}):(\d{2})(:\d{2})?( ?[AaPp][Mm])?)?")


@dataclass
class NumericDateText(TextStyle):
    """How a CSV wrote a column of :data:`NUMERIC_DATE` dates."""

    day_first: bool
    sep: str
    #: 05/03/2021 rather than 5/3/2021
    padded: bool
    #: the time after the date: None, "minutes" (14:30) or "seconds" (14:30:05)
    time: str | None = None
    #: 09:05 rather than 9:05
    hour_padded: bool = True
    #: a 12-hour clock, and how its PM is written (" PM", "pm", ...); None for 24 hours
    am_pm: str | None = None

    def format(self, values: pd.Series) -> pd.Series:
        """``values`` (datetimes) as text in this column's style."""
        width, hour_width = 2 if self.padded else 1, 2 if self.hour_padded else 1

        def text(v: pd.Timestamp) -> str:
            day, month = f"{v.day:0{width}d}", f"{v.month:0{width}d}"
            first, second = (day, month) if self.day_first else (month, day)
            date = f"{first}{self.sep}{second}{self.sep}{v.year}"
            if self.time is None:
                return date
            seconds = f":{v.second:02d}" if self.time == "seconds" else ""
            hour, half = v.hour, ""
            if self.am_pm is not None:  # 12 AM is midnight, 12 PM noon
                hour = (v.hour - 1) % 12 + 1
                half = (self.am_pm.replace("P", "A").replace("p", "a") if v.hour < 12
                        else self.am_pm)
            return f"{date} {hour:0{hour_width}d}:{v.minute:02d}{seconds}{half}"

        return pd.Series([text(v) for v in values], dtype=object)


def numeric_date(path: Path, name: Any, raw: pd.Series,
                  text: pd.Series) -> tuple[pd.Series, NumericDateText] | None:
    """A :func:`read_columns` parser: a column of :data:`NUMERIC_DATE` whose order the
    values tell as datetimes; a warning for one that reads both ways."""
    parts = text.str.extract(f"^{NUMERIC_DATE}$")
    if parts[1].nunique() != 1 or any(  # 05/03-2021, times in some rows only: not one way
            parts[g].isna().any() and parts[g].notna().any() for g in (4, 6, 7)):
        return None
    # how AM/PM is written (" PM", "pm", ...), told by the PM form
    halves = set(parts[7].dropna().str.replace("A", "P").str.replace("a", "p"))
    if len(halves) > 1:  # " PM" beside "pm": not one way either
        return None
    first, second = parts[0].astype(int), parts[2].astype(int)
    orders = [day_first for day_first, month in ((True, second), (False, first))
              if month.between(1, 12).all()]
    if len(orders) == 2:
        warnings.warn(f"{path}: column {name!r} holds dates that read as day/month and as "
                      "month/day alike (no number above 12), so it is read as text, a "
                      "category per date; write them as ISO dates (2021-03-05) to model "
                      "them as dates.", UserWarning, stacklevel=2)
    if len(orders) != 1:
        return None
    sep, day_first = parts[1].iat[0], orders[0]
    time = (None if parts[4].isna().all() else
            "minutes" if parts[6].isna().all() else "seconds")
    am_pm = halves.pop() if halves else None
    clock = "%I" if am_pm else "%H"
    fmt = sep.join(["%d", "%m"][:: 1 if day_first else -1] + ["%Y"]) + {
        None: "", "minutes": f" {clock}:%M", "seconds": f" {clock}:%M:%S"}[time] + (
        " %p" if am_pm and am_pm.startswith(" ") else "%p" if am_pm else "")
    try:
        dates = pd.to_datetime(raw, format=fmt)
    except ValueError:  # 31/02/2021 matches, but is no date
        return None
    padded = bool((parts[0].str.len() == 2).all() and (parts[2].str.len() == 2).all())
    return dates, NumericDateText(raw, day_first, sep, padded, time, bool(
        time is None or (parts[4].str.len() == 2).all()), am_pm)


def iso_date(name: Any, raw: pd.Series,
              text: pd.Series) -> tuple[pd.Series, IsoText] | None:
    """A :func:`read_columns` parser: a column of ISO 8601 dates (or dates and times) as
    datetimes, which vaeaug models as numbers (docs/cli.md); with a zone, as UTC."""
    zoned = text.str.contains(ISO_ZONE + "$")
    if zoned.any() and not zoned.all():  # local times beside zoned ones: no one instant
        return None
    try:
        dates = pd.to_datetime(raw, format="ISO8601", utc=bool(zoned.all()))
    except ValueError:  # 2021-02-30 matches, but is no date
        return None
    return dates, _iso_style(raw, text)


@dataclass
class ObjectValues:
    """A Parquet column of Python objects that vaeaug models as numbers: decimals (SQL
    DECIMAL: money, say) as floats, dates (Parquet's DATE) as datetimes
    (:func:`vaeaug.preprocessing.object_values`). Read as they are, each would be a category
    per value. New values are made decimals (at the column's scale) or dates again; the
    original rows keep their own."""

    original: pd.Series
    kind: dict[str, Any]
    text_only = False

    def format(self, values: pd.Series) -> pd.Series:
        """``values`` (floats or datetimes) as this column's objects."""
        return numbers_as_objects(values, self.kind)

    def original_values(self) -> pd.Series:
        """The original rows' objects, as read."""
        return self.original


def objects_read_as_numbers(df: pd.DataFrame,
                        read_as: dict[Any, Any] | None = None) -> pd.DataFrame:
    """Object columns of decimals or dates (Parquet's DECIMAL and DATE), as floats and
    datetimes; ``read_as`` receives each one's :class:`ObjectValues`."""
    kinds = object_columns(df)
    if read_as is not None:
        read_as.update({name: ObjectValues(df[name], kind) for name, kind in kinds.items()})
    return objects_as_numbers_all(df, kinds)


@dataclass
class EmptyColumn:
    """A column with no value in any row, left out of the model: where it was, and its
    dtype, to write it back empty."""

    position: int
    dtype: Any


def formatted(style: Any, values: pd.Series) -> np.ndarray:
    """``values`` as ``style`` writes them, as objects; a missing value stays missing (an
    empty cell), which no style's ``format`` is asked to write."""
    present = values.notna().to_numpy()
    out = np.full(len(values), None, dtype=object)
    out[present] = style.format(values[present]).to_numpy(dtype=object)
    return out


def as_read(out: pd.DataFrame, read_as: dict[Any, Any],
            n_original: int, text: bool) -> pd.DataFrame:
    """``out`` (``n_original`` rows as read, then new ones) with the columns of ``read_as``
    as the file had them: the original rows' values as read (pandas would write
    ``2024-05-01 08:30:00`` for ``2024-05-01T08:30:00Z``), the new rows in the same kind
    and style, and empty columns back in their places. A CSV's dates stay dates in a
    Parquet output."""
    out = out.copy()
    empty = sorted((kept.position, name) for name, kept in read_as.items()
                   if isinstance(kept, EmptyColumn))
    for position, name in empty:  # in the file's order, so each lands where it was
        out.insert(position, name, pd.Series(index=out.index, dtype=read_as[name].dtype))
    for name, kept in read_as.items():
        if isinstance(kept, EmptyColumn):
            continue
        if (name in out.columns and (text or not kept.text_only)
                and (is_datetime64_any_dtype(out[name]) or is_float_dtype(out[name]))):
            new = formatted(kept, out[name].iloc[n_original:])
            out[name] = np.concatenate([kept.original_values().to_numpy(dtype=object), new])
    marks = read_as.get(MARKS)
    if marks and text:  # a Parquet file has real nulls
        decimal = (read_as.get(DIALECT) or {}).get("decimal", ".")
        out = _with_marks(out, marks, n_original, decimal)
    return out


#: The kinds of :func:`as_read` entry a model keeps (:func:`styles`): how new values of a
#: column are written. Empty columns are left out: their places are the input file's.
STYLES = {kind.__name__: kind for kind in (IsoText, NumericDateText, NumberText, ObjectValues,
                                           FixedDecimals, BareWholeNumbers)}


def styles(read_as: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    """The styles of ``read_as`` as plain data, for a model file: what :func:`as_read` needs
    to write a model's new rows as the training file wrote its values, without the file's
    own values."""
    return {name: {"style": type(kept).__name__,
                   **{f.name: getattr(kept, f.name) for f in fields(kept)
                      if f.name != "original"}}
            for name, kept in read_as.items() if type(kept).__name__ in STYLES}


def styles_as_read(stored: dict[str, dict[str, Any]] | None) -> dict[Any, Any]:
    """:func:`styles` back as :func:`as_read` entries (with no original rows)."""
    return {name: STYLES[style["style"]](pd.Series([], dtype=object), **{
        k: v for k, v in style.items() if k != "style"})
        for name, style in (stored or {}).items() if style.get("style") in STYLES}
