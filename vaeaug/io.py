"""Reading and writing tables; every write is atomic (temporary file, then rename)."""

from __future__ import annotations

import atexit
import contextlib
import csv
import datetime
import functools
import io
import os
import shutil
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_datetime64_any_dtype, is_float_dtype

from .preprocessing import numbers_as_objects, object_columns, objects_as_numbers_all

READERS = {".csv": ",", ".tsv": "\t", ".txt": ","}
TABLE_SUFFIXES = (*READERS, ".parquet", ".pq")
#: Spreadsheet files, which get a hint to save them as CSV.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
#: Compressed text tables (``data.csv.gz``), read and written as pandas does them.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
#: Separators tried when a file's header has none of the separator its extension implies
#: (spreadsheets in many locales write ';'-separated ".csv" files).
OTHER_SEPARATORS = (";", "\t", "|")
#: The output name that means standard output (CSV), as in many Unix tools.
STDOUT = "-"
#: The input name that means standard input (a CSV, TSV or Parquet table).
STDIN = "-"


class InputError(ValueError):
    """A problem with a user's file or arguments, reported in one line."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def table_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path, if it names an existing CSV, TSV or Parquet file.

    Raises
    ------
    InputError
        For a folder, an unknown extension or a missing file.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: a folder, not a table. Of the commands that train, only "
                         "`vaeaug augment` reads folders of images (one sub-folder per class; "
                         "--save-model FILE keeps the model).")
    table_kind(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    return path


def stdin_as_file() -> str:
    """What is piped to standard input, saved as a file that the table readers take
    (``stdin.parquet`` for Parquet, ``stdin.csv.gz`` and the like for a compressed CSV
    (:data:`STDIN_KINDS`), else ``stdin.csv``, whose separator is found as any CSV's), and
    removed when the process ends.

    Raises
    ------
    InputError
        When nothing is piped in (stdin is a terminal) or it is empty.
    """
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError(f"'{STDIN}' reads a table piped to stdin, and nothing is piped in; "
                         f"e.g. cat data.csv | vaeaug augment {STDIN} -t label -o out.csv.")
    data = sys.stdin.buffer.read()
    if not data.strip():
        raise InputError("stdin: nothing was piped in (no table).")
    folder = tempfile.mkdtemp(prefix="vaeaug-stdin-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    name = next((n for magic, n in STDIN_KINDS if data.startswith(magic)), "stdin.csv")
    path = Path(folder) / name
    path.write_bytes(data)
    _STDIN_FILES.append(str(path))
    return str(path)


#: What piped data is, by its first bytes: Parquet, or a compressed CSV (of COMPRESSIONS).
STDIN_KINDS = ((b"PAR1", "stdin.parquet"), (b"\x1f\x8b", "stdin.csv.gz"),
               (b"BZh", "stdin.csv.bz2"), (b"\xfd7zXZ\x00", "stdin.csv.xz"),
               (b"PK\x03\x04", "stdin.csv.zip"))
#: The files :func:`stdin_as_file` wrote, which messages call "stdin".
_STDIN_FILES: list[str] = []


def as_shown(text: str) -> str:
    """``text`` with the file that holds the piped table named ``stdin``."""
    for path in _STDIN_FILES:
        text = text.replace(path, "stdin")
    return text


def table_kind(path: str | os.PathLike) -> tuple[str, str | None]:
    """A table file's type by its extension, and its compression: ``(".csv", None)`` for
    ``data.csv``, ``(".csv", "gzip")`` for ``data.csv.gz``.

    Raises
    ------
    InputError
        For other extensions.
    """
    path = Path(path)
    suffix, compression = path.suffix.lower(), None
    inner = Path(path.stem).suffix.lower()
    if suffix in COMPRESSIONS and inner in READERS:
        suffix, compression = inner, COMPRESSIONS[suffix]
    if suffix not in TABLE_SUFFIXES:
        sheet = (" A spreadsheet: save the sheet as CSV UTF-8 (Excel, LibreOffice and Numbers "
                 "open CSV files too)." if suffix in SPREADSHEET_SUFFIXES else "")
        raise InputError(f"{path}: unknown file type {path.suffix.lower()!r}; use .csv, .tsv "
                         "or .parquet (.csv and .tsv also compressed: .csv.gz, .bz2, .xz or "
                         f".zip).{sheet}")
    return suffix, compression


def names_a_table(path: str | os.PathLike) -> bool:
    """Whether ``path``'s extension is one :func:`table_kind` reads as a table."""
    try:
        table_kind(path)
    except InputError:
        return False
    return True


def read_table(path: str | os.PathLike, read_as: dict[Any, Any] | None = None,
               na_values: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file, chosen by its extension.

    ``na_values``: texts that mark a missing value in a CSV besides those pandas knows
    (empty, ``NA``, ``null``, ``N/A``, ...), such as KEEL's and UCI's ``?``.

    ``read_as``, if given, receives the columns whose values were converted to be
    modelled as numbers (a CSV's dates, :class:`IsoText` and :class:`NumericDateText`, and
    formatted numbers, :class:`NumberText`; a Parquet file's decimals and dates,
    :class:`ObjectValues`), for writing them back as they were.

    Raises
    ------
    InputError
        Missing, empty, unreadable or malformed files, folders, and unknown extensions.
    """
    path = table_path(path)
    suffix, compression = table_kind(path)
    try:
        if suffix in READERS:
            sep = separator(path, READERS[suffix], compression)
            df = _read_csv_text(path, sep, compression, na_values)
            if df.shape[1] == 1 and not isinstance(df.index, pd.RangeIndex):
                # pandas makes index columns of the fields the header line lacks
                raise InputError(f"{path}: its first line, {str(df.columns[0])[:60]!r}, "
                                 "is one field while the lines below have several: a title "
                                 "or comment above the header? Delete that line.")
            _warn_repeated_names(path, sep, compression)
            df = _gaps_as_written(df, path, sep, compression, read_as)
            dialect = {"sep": sep} if sep != READERS[suffix] else {}
            if sep == ";":  # 1,5 is one and a half there, not a thousands separator
                df, commas = _decimal_commas_as_numbers(df)
                formatted: dict[Any, NumberText] = {}
                df = read_columns(df, FORMATTED_NUMBER_COMMA, functools.partial(
                    _formatted_number, decimal_comma=True), formatted)
                if read_as is not None:
                    read_as.update(formatted)
                if commas or any(style.decimals for style in formatted.values()):
                    dialect["decimal"] = ","
            else:
                df = read_columns(df, FORMATTED_NUMBER, _formatted_number, read_as)
            df = read_columns(df, ISO_DATE, _iso_date, read_as)
            df = read_columns(df, NUMERIC_DATE, functools.partial(_numeric_date, path),
                              read_as)
            if read_as is not None:
                _numbers_written(df, path, sep, compression, na_values, read_as)
                if dialect:
                    read_as[DIALECT] = dialect
        elif na_values:
            raise InputError(f"{path}: --na-values is for CSV and TSV files; a Parquet file "
                             "has its own nulls.")
        else:
            df = _objects_as_numbers(pd.read_parquet(path), read_as)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty.") from None
    except InputError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError, EOFError,
            zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: cannot read it as a table ({first_line(exc)}).") from None
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow "
                         "(pip install 'vaeaug[parquet]').") from None
    if df.shape[0] == 0:
        raise InputError(f"{path}: the file has a header but no rows.")
    empty = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    if empty and len(empty) < df.shape[1]:
        warnings.warn(f"{path}: left out {len(empty)} column{'s' * (len(empty) > 1)} with "
                      "no name and no values (does every line end with a separator?).",
                      UserWarning, stacklevel=2)
        df = df.drop(columns=empty)
    return df


def _warn_repeated_names(path: Path, sep: str, compression: str | None) -> None:
    """pandas renames a repeated column name (``x``, ``x.1``) without a word; the output's
    header would then differ from the input's."""
    names = next(csv.reader([_header_line(path, compression).rstrip("\r\n")],
                            delimiter=sep), [])
    repeated = sorted({n for n in names if names.count(n) > 1 and n})
    if repeated:
        warnings.warn(f"{path}: column name {repeated[0]!r} appears {names.count(repeated[0])} "
                      f"times; pandas reads the second as {repeated[0] + '.1'!r}, and it is "
                      "written so. Rename the columns if that matters.", UserWarning,
                      stacklevel=3)


@functools.cache
def exact_floats() -> dict[str, str]:
    """The ``read_csv`` option that reads floats exactly, where the default does not.

    pandas' default parser was off by one unit in the last place on about a third of
    17-digit floats up to pandas 3.0 (3.0.6 still is), so the "unchanged" original rows came
    back changed; its exact parser reads 2-3 times slower. pandas 3.1 is exact by default
    and deprecates the option. So the default is tried once on such floats."""
    values = [repr(float(v)) for v in np.random.default_rng(0).normal(size=64)]
    read = pd.read_csv(io.StringIO("x\n" + "\n".join(values)))["x"].tolist()
    return {} if read == [float(v) for v in values] else {"float_precision": "round_trip"}


def _read_csv_text(path: Path, sep: str, compression: str | None = None,
                   na_values: Sequence[str] = ()) -> pd.DataFrame:
    """UTF-8 (with or without BOM), else Windows-1252, the encoding of CSV files that Excel
    saves on Windows in Western locales (a byte such as 0xfc, 'ü', is not UTF-8).

    Numbers are read exactly (:func:`exact_floats`)."""
    read = functools.partial(pd.read_csv, path, sep=sep, compression=compression,
                             na_values=list(na_values) or None, **exact_floats())
    try:
        return read()
    except UnicodeDecodeError:
        pass
    try:
        df = read(encoding="cp1252")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the file is neither UTF-8 nor Windows-1252 text; save it "
                         "as UTF-8.") from None
    warnings.warn(f"{path}: not UTF-8 text; read it as Windows-1252 (cp1252). Output files "
                  "are written as UTF-8.", UserWarning, stacklevel=3)
    return df


def separator(path: Path, default: str, compression: str | None = None) -> str:
    """``default``, unless the header line lacks it and holds one of :data:`OTHER_SEPARATORS`
    (then the most frequent of those)."""
    header = _header_line(path, compression)
    if default in header:
        return default
    counts = {sep: header.count(sep) for sep in OTHER_SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else default


def _header_line(path: Path, compression: str | None) -> str:
    """The first line of a (possibly compressed) text file."""
    import bz2
    import gzip
    import lzma

    if compression == "zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not names:
                return ""
            with archive.open(names[0]) as member:
                return member.readline().decode("utf-8", errors="replace")
    opener: Any = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression or "", open)
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        return f.readline()


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


#: How many leading lines of a CSV :func:`_numbers_written` looks at.
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


def _numbers_written(df: pd.DataFrame, path: Path, sep: str, compression: str | None,
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
#: for :func:`write_table`.
DIALECT = _Key("DIALECT")


def _gaps_as_written(df: pd.DataFrame, path: Path, sep: str, compression: str | None,
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


def _decimal_commas_as_numbers(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
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


def _formatted_number(name: Any, raw: pd.Series, text: pd.Series,
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


def _numeric_date(path: Path, name: Any, raw: pd.Series,
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


def _iso_date(name: Any, raw: pd.Series,
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


def _objects_as_numbers(df: pd.DataFrame,
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
            n_original: int, path: str | os.PathLike) -> pd.DataFrame:
    """``out`` (``n_original`` rows as read, then new ones) with the columns of ``read_as``
    as the file had them: the original rows' values as read (pandas would write
    ``2024-05-01 08:30:00`` for ``2024-05-01T08:30:00Z``), the new rows in the same kind
    and style, and empty columns back in their places. A CSV's dates stay dates in a
    Parquet output."""
    text = str(path) == STDOUT or table_kind(path)[0] in READERS
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


def check_table_output(path: str | os.PathLike, force: bool,
                       inputs: tuple[str | os.PathLike, ...] = ()) -> Path:
    """:func:`check_output` for a table, whose type (by extension) is checked too: before
    the work, not when it is done and its result cannot be written."""
    if str(path) == STDOUT:
        return Path(path)
    if not Path(path).is_dir():  # a folder is named as such by check_output
        table_kind(path)
    return check_output(path, force, inputs)


def _not_a_folder(path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{path}: a folder; give a file name, e.g. {path / 'out.csv'}.")


def check_output(path: str | os.PathLike, force: bool,
                 inputs: tuple[str | os.PathLike, ...] = ()) -> Path:
    """Refuse to overwrite an existing file without ``force``, or to write over an input,
    or a folder."""
    path = Path(path)
    _not_a_folder(path)
    for source in inputs:
        if Path(source).exists() and path.exists() and path.resolve() == Path(source).resolve():
            raise InputError(f"{path}: the output may not be the input file.")
    if path.exists() and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it.")
    if not path.parent.exists():
        raise InputError(f"{path.parent}: no such directory.")
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only on success.

    On any error, or Ctrl-C, the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"{path.parent}: cannot write here ({exc.strerror}).") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, default_mode(0o666))  # mkstemp's 0600 would follow the file
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def default_mode(base: int) -> int:
    """``base`` (0o666 for files, 0o777 for folders) less the process's umask: the mode
    ``open()`` and ``mkdir()`` give new files, which temporary ones do not have."""
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def write_atomic(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    try:
        with atomic_path(path) as tmp:
            write(tmp)
    except OSError as exc:
        raise InputError(f"{path}: writing failed ({exc.strerror or exc}).") from None


def write_table(df: pd.DataFrame, path: str | os.PathLike,
                dialect: dict[str, str] | None = None) -> None:
    """Write ``df`` as CSV, TSV or Parquet (by extension), atomically; its index too when it
    holds data (:func:`has_own_index`). :data:`STDOUT` writes CSV to standard output.

    ``dialect`` (``read_as[DIALECT]``, the input file's) makes a CSV output use the input's
    separator, and any text output its decimal comma."""
    index = has_own_index(df)
    dialect = dialect or {}
    if str(path) == STDOUT:
        df.to_csv(sys.stdout, index=index, sep=dialect.get("sep", ","),
                  decimal=dialect.get("decimal", "."))
        sys.stdout.flush()
        return
    suffix, compression = table_kind(path)
    if suffix in READERS:
        # the temporary file's name ends in .tmp: the compression is named, not inferred,
        # and a zip's member is named for the file it becomes (out.csv.zip holds out.csv)
        how: Any = ({"method": "zip", "archive_name": Path(path).stem}
                    if compression == "zip" else compression)
        # a .tsv output asked for is tab-separated whatever the input was
        sep = dialect.get("sep", ",") if READERS[suffix] == "," else READERS[suffix]
        write_atomic(path, lambda tmp: df.to_csv(tmp, sep=sep, index=index, compression=how,
                                                 decimal=dialect.get("decimal", ".")))
    else:
        write_atomic(path, lambda tmp: df.to_parquet(tmp, index=index))


def has_own_index(df: pd.DataFrame) -> bool:
    """Whether ``df``'s index holds data (a Parquet file's ``id`` index, say) rather than
    pandas' default 0, 1, 2, ..."""
    index = df.index
    return not (isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0
                and index.step == 1)


def index_for(index: pd.Index, rows: int) -> pd.Index:
    """``index`` for the first rows of a table of ``rows`` rows, missing for the rest (the
    new rows of an augmented table have no id)."""
    extra = rows - len(index)
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([*index, *[(None,) * index.nlevels] * extra],
                                         names=index.names)
    return pd.Index([*index, *[None] * extra], name=index.name)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("Image folders need pillow: pip install 'vaeaug[images]'.") from None
    return Image


#: Pillow modes read as they are: 8 bits per channel, grey or colour, with or without alpha.
KEPT_MODES = ("L", "LA", "RGB", "RGBA")
#: Modes of 16-bit grey images (16-bit PNGs and TIFFs: microscopy, X-rays), read as uint16;
#: "I" (32-bit integers) too when its values fit 16 bits, as older Pillows open such PNGs.
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")
#: Modes refused: 32-bit integers beyond 16 bits, and floats.
DEEP_MODES = ("I", "F")


def _readable(image: Any, file: Path) -> Any:
    """``image`` in one of :data:`KEPT_MODES` or :data:`SIXTEEN_BIT_MODES`: palette images by
    their colours (not their palette indices), 1-bit images as grey, CMYK and other colour
    spaces as RGB."""
    if image.mode in KEPT_MODES:
        return image
    if image.mode in SIXTEEN_BIT_MODES:
        low, high = image.getextrema()
        if 0 <= low and high <= 65535:
            return image
    if image.mode in DEEP_MODES:
        raise InputError(f"{file}: {image.mode} images with values beyond 16 bits (floats, or "
                         "integers outside 0-65535) are not supported; save them as 8- or "
                         "16-bit images first.")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("P", "PA"):
        has_alpha = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    return image.convert("RGB")


def read_image_folder(path: str | os.PathLike, size: tuple[int, int] | None = None
                      ) -> tuple[np.ndarray, np.ndarray, list[Path]]:
    """Images of a folder with one sub-folder per class (torchvision's ImageFolder layout).

    Returns the images as one uint8 array (N, H, W) or (N, H, W, C), their class names, and
    their files. All images must have the same size, or are resized (bilinear, as
    torchvision's ``Resize``) to ``size``, (width, height), when it is given. Palette, 1-bit
    and CMYK images are read by their colours; when the folder mixes grey and colour images,
    all are read as colour (RGB, or RGBA if any has transparency), as torchvision's loader
    reads every image as RGB.
    16-bit grey images give a uint16 array (N, H, W), 8-bit grey ones among them scaled to
    16 bits (times 257).
    """
    Image = _pil()
    root = Path(path)
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not _hidden(p.name)
                     ) if root.is_dir() else []
    files = [(c.name, f) for c in classes for f in _image_files(c)]
    found = {name for name, _ in files}
    empty = [c.name for c in classes if c.name not in found]
    loose = [f for f in root.iterdir() if f.is_file() and not _hidden(f.name)
             and f.suffix.lower() in IMAGE_SUFFIXES] if root.is_dir() else []
    if files and empty:
        warnings.warn(f"{root}: no images in the folders {empty[:10]}; they are not classes.",
                      UserWarning, stacklevel=2)
    if files and loose:  # as torchvision's ImageFolder, which skips them without a word
        many = len(loose) > 1
        warnings.warn(f"{root}: left out {len(loose)} image{'s' * many} that "
                      f"{'lie' if many else 'lies'} in the folder itself, not in a class "
                      "folder.", UserWarning, stacklevel=2)
    if not files:
        where = (f"its {len(loose)} images lie in the folder itself" if loose
                 else "no images found")
        raise InputError(f"{root}: {where}; expected one sub-folder of images per class, "
                         f"e.g. {root / 'cat' / '1.png'}, {root / 'dog' / '2.png'}.")
    images = []
    for _, f in files:
        try:
            with Image.open(f) as image:
                image = _readable(image, f)
                images.append(image.resize(size, Image.Resampling.BILINEAR)
                              if size and image.size != size else image.copy())
        except OSError as exc:
            raise InputError(f"{f}: cannot read it as an image ({exc}).") from None
    sizes = sorted({image.size for image in images})
    if len(sizes) > 1:
        raise InputError(f"{root}: images differ in size (width x height: "
                         f"{', '.join(f'{w}x{h}' for w, h in sizes[:4])}"
                         f"{' ...' if len(sizes) > 4 else ''}); resize them to one size first, "
                         f"or pass --image-size {sizes[0][0]}x{sizes[0][1]} (size= to "
                         "load_image_folder) to read them at one size.")
    labels = np.array([c for c, _ in files], dtype=object)
    return _same_mode(root, images, [f for _, f in files]), labels, [f for _, f in files]


def _same_mode(root: Path, images: list, files: list[Path]) -> np.ndarray:
    """The images of :func:`read_image_folder` as one array, in one mode."""
    modes = {"I;16" if image.mode in SIXTEEN_BIT_MODES else image.mode for image in images}
    if "I;16" in modes and modes - {"I;16", "L"}:
        colour = next(f for f, image in zip(files, images)
                      if image.mode not in (*SIXTEEN_BIT_MODES, "L"))
        raise InputError(f"{root}: 16-bit grey images and colour images ({colour}) mixed; "
                         "convert them to one kind first.")
    if "I;16" in modes:  # 8-bit grey among 16-bit grey: the same scale, 255 -> 65535
        return np.stack([np.asarray(image).astype(np.uint16) * (
            1 if image.mode in SIXTEEN_BIT_MODES else 257) for image in images])
    if len(modes) > 1:  # grey and colour, or with and without alpha
        common = "RGBA" if modes & {"LA", "RGBA"} else "RGB"
        images = [image.convert(common) for image in images]
    return np.stack([np.asarray(image) for image in images])


def _hidden(name: str) -> bool:
    """Hidden files and folders (``.DS_Store``, macOS's ``._name.png`` companions, ``.git``)."""
    return name.startswith(".")


def _image_files(folder: Path) -> list[Path]:
    """The images in ``folder`` and its sub-folders (as torchvision's ImageFolder finds
    them), by extension, hidden ones left out, in sorted order."""
    found = []
    for parent, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        found += [Path(parent) / n for n in sorted(names)
                  if not _hidden(n) and Path(n).suffix.lower() in IMAGE_SUFFIXES]
    return found


def write_image_folder(out_dir: str | os.PathLike, root: str | os.PathLike,
                       originals: list[Path], images: np.ndarray, labels: np.ndarray,
                       force: bool) -> None:
    """Copy ``originals`` (files under ``root``) to the same places under ``out_dir`` and add
    ``images`` as synthetic PNGs in ``out_dir/<class>/``.

    Everything is written into a temporary folder beside ``out_dir`` that replaces it only
    when complete; on any error the temporary folder is removed.
    """
    import shutil

    Image = _pil()
    out = Path(out_dir)
    if out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to replace it.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        os.chmod(tmp, default_mode(0o777))  # mkdtemp's 0700 would follow the folder
        for f in originals:
            copy = tmp / Path(f).relative_to(root)  # sub-folders of a class kept
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, copy)
        for i, (image, label) in enumerate(zip(images, labels)):
            (tmp / str(label)).mkdir(exist_ok=True)
            name = tmp / str(label) / f"synthetic_{i:06d}.png"
            while name.exists():  # an original of that name: never written over
                name = name.with_stem(name.stem + "_new")
            Image.fromarray(image).save(name)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def save_grid(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray,
              per_class: int = 8) -> None:
    """One row of up to ``per_class`` images (N, H, W[, C]) per class, as a PNG.

    Uses torchvision's ``make_grid`` and ``save_image`` when torchvision is installed (the
    ``images`` extra), and the same layout drawn with pillow otherwise. 16-bit images are
    drawn in 8 bits, their darkest pixel black and their brightest white.
    """
    if images.dtype != np.uint8:
        low, high = (float(images.min()), float(images.max())) if images.size else (0, 1)
        images = np.rint((images - low) * (255 / max(high - low, 1))).astype(np.uint8)
    classes = list(dict.fromkeys(labels.tolist()))
    h, w = images.shape[1:3]
    channels = images.shape[3:] if images.ndim == 4 else ()
    # Blank tiles fill short rows so that each class keeps its own row.
    tiles = np.zeros((len(classes) * per_class, h, w, *channels), dtype=np.uint8)
    for r, label in enumerate(classes):
        chosen = images[labels == label][:per_class]
        tiles[r * per_class : r * per_class + len(chosen)] = chosen
    try:
        from torchvision.utils import make_grid, save_image
    except ImportError:
        write_atomic(path, lambda tmp: _pil().fromarray(_grid(tiles, per_class)).save(
            tmp, format="PNG"))
        return
    import torch

    batch = torch.from_numpy(tiles.reshape(len(tiles), h, w, -1)).permute(0, 3, 1, 2) / 255
    grid = make_grid(batch, nrow=per_class, padding=2)
    write_atomic(path, lambda tmp: save_image(grid, tmp, format="PNG"))


def _grid(tiles: np.ndarray, per_class: int) -> np.ndarray:
    """``make_grid``'s layout (2-pixel borders) in numpy: ``per_class`` tiles per row."""
    h, w = tiles.shape[1:3]
    rows = len(tiles) // per_class
    grid = np.zeros((rows * (h + 2) + 2, per_class * (w + 2) + 2, *tiles.shape[3:]),
                    dtype=np.uint8)
    for i, tile in enumerate(tiles):
        top, left = (i // per_class) * (h + 2) + 2, (i % per_class) * (w + 2) + 2
        grid[top : top + h, left : left + w] = tile
    if grid.ndim == 3 and grid.shape[2] == 1:
        grid = grid[:, :, 0]
    return grid
