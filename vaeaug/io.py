"""Reading and writing tables; every write is atomic (temporary file, then rename)."""

from __future__ import annotations

import atexit
import contextlib
import csv
import functools
import io
import os
import shutil
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .text_styles import (
    DIALECT,
    FORMATTED_NUMBER,
    FORMATTED_NUMBER_COMMA,
    ISO_DATE,
    NUMERIC_DATE,
    NumberText,
    decimal_commas_as_numbers,
    formatted_number,
    gaps_as_written,
    iso_date,
    numbers_written,
    numeric_date,
    objects_read_as_numbers,
    read_columns,
)

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
        raise InputError(f"{path}: a folder, not a table. Folders of images (one sub-folder "
                         "per class) are read by `vaeaug augment` (--save-model FILE keeps the "
                         "model) and `vaeaug evaluate`.")
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
    modelled as numbers, and how the file wrote them (:mod:`vaeaug.text_styles`: a CSV's
    dates, formatted numbers, decimals, gaps and dialect; a Parquet file's decimals and
    dates), for writing them back as they were.

    Raises
    ------
    InputError
        Missing, empty, unreadable or malformed files, folders, and unknown extensions.
    """
    path = table_path(path)
    suffix, compression = table_kind(path)
    try:
        if suffix in READERS:
            first = _header_bytes(path, compression)  # the header line as stored
            sep = separator(first.decode("utf-8", errors="replace"), READERS[suffix])
            df, encoding = _read_csv_text(path, sep, compression, na_values)
            if df.shape[1] == 1 and not isinstance(df.index, pd.RangeIndex):
                # pandas makes index columns of the fields the header line lacks
                raise InputError(f"{path}: its first line, {str(df.columns[0])[:60]!r}, "
                                 "is one field while the lines below have several: a title "
                                 "or comment above the header? Delete that line.")
            names = _header_names(first, sep)
            _warn_repeated_names(path, names)
            df = gaps_as_written(df, path, sep, compression, read_as)
            dialect: dict[str, Any] = {"sep": sep} if sep != READERS[suffix] else {}
            dialect.update(_text_file_form(first, encoding))
            blank = _blank_names(df, names)
            if blank:
                dialect["blank_names"] = blank
            if sep == ";":  # 1,5 is one and a half there, not a thousands separator
                df, commas = decimal_commas_as_numbers(df)
                formatted: dict[Any, NumberText] = {}
                df = read_columns(df, FORMATTED_NUMBER_COMMA, functools.partial(
                    formatted_number, decimal_comma=True), formatted)
                if read_as is not None:
                    read_as.update(formatted)
                if commas or any(style.decimals for style in formatted.values()):
                    dialect["decimal"] = ","
            else:
                df = read_columns(df, FORMATTED_NUMBER, formatted_number, read_as)
            df = read_columns(df, ISO_DATE, iso_date, read_as)
            df = read_columns(df, NUMERIC_DATE, functools.partial(numeric_date, path),
                              read_as)
            if read_as is not None:
                numbers_written(df, path, sep, compression, na_values, read_as)
                if dialect:
                    read_as[DIALECT] = dialect
        elif na_values:
            raise InputError(f"{path}: --na-values is for CSV and TSV files; a Parquet file "
                             "has its own nulls.")
        else:
            df = objects_read_as_numbers(pd.read_parquet(path), read_as)
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


def _header_names(first: bytes, sep: str) -> list[str]:
    """The column names as the header line (``first``, as stored) writes them, before
    pandas renames any."""
    line = first.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    return next(csv.reader([line], delimiter=sep), [])


def _blank_names(df: pd.DataFrame, names: list[str]) -> list[str]:
    """pandas' names (``Unnamed: 3``) for the columns whose header field is empty, as the
    index column of a DataFrame saved with ``to_csv(path)`` has it: for writing them back
    empty (``read_as[DIALECT]["blank_names"]``)."""
    return [str(c) for i, c in enumerate(df.columns)
            if i < len(names) and names[i] == "" and str(c) == f"Unnamed: {i}"]


def _warn_repeated_names(path: Path, names: list[str]) -> None:
    """pandas renames a repeated column name (``x``, ``x.1``) without a word; the output's
    header would then differ from the input's."""
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
                   na_values: Sequence[str] = ()) -> tuple[pd.DataFrame, str]:
    """UTF-8 (with or without BOM), else Windows-1252, the encoding of CSV files that Excel
    saves on Windows in Western locales (a byte such as 0xfc, 'ü', is not UTF-8); and which
    of the two it was.

    Numbers are read exactly (:func:`exact_floats`)."""
    read = functools.partial(pd.read_csv, path, sep=sep, compression=compression,
                             na_values=list(na_values) or None, **exact_floats())
    try:
        return read(), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        df = read(encoding="cp1252")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the file is neither UTF-8 nor Windows-1252 text; save it "
                         "as UTF-8.") from None
    warnings.warn(f"{path}: not UTF-8 text; read it as Windows-1252 (cp1252). Output files "
                  "are written as UTF-8, with a byte-order mark so that Excel reads them as "
                  "such.", UserWarning, stacklevel=3)
    return df, "cp1252"


#: The UTF-8 byte-order mark that Excel's "CSV UTF-8" files begin with.
BOM = b"\xef\xbb\xbf"


def _text_file_form(first: bytes, encoding: str) -> dict[str, str]:
    """What of a CSV's form its text output keeps (``read_as[DIALECT]`` entries): a UTF-8
    byte-order mark, which Excel needs to read a file's accents and other scripts as UTF-8
    (also given to the output of a Windows-1252 file, which is Excel's), and Windows line
    ends (CRLF), so that the original lines come back byte for byte. ``first`` is the
    header line as stored."""
    form = {}
    if first.startswith(BOM) or encoding == "cp1252":
        form["encoding"] = "utf-8-sig"
    if first.endswith(b"\r\n"):
        form["lineterminator"] = "\r\n"
    return form


def separator(header: str, default: str) -> str:
    """``default``, unless the ``header`` line lacks it and holds one of
    :data:`OTHER_SEPARATORS` (then the most frequent of those)."""
    if default in header:
        return default
    counts = {sep: header.count(sep) for sep in OTHER_SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else default


def _header_bytes(path: Path, compression: str | None) -> bytes:
    """The first line of a (possibly compressed) file as it is stored: its line end and a
    byte-order mark included."""
    import bz2
    import gzip
    import lzma

    if compression == "zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not names:
                return b""
            with archive.open(names[0]) as member:
                return member.readline()
    opener: Any = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression or "", open)
    with opener(path, "rb") as f:
        return f.readline()


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


def writes_text(path: str | os.PathLike) -> bool:
    """Whether a table written to ``path`` is text (a CSV or TSV file, or standard output),
    where :func:`vaeaug.text_styles.as_read` writes values back as the input wrote them; a
    Parquet file holds the values themselves."""
    return str(path) == STDOUT or table_kind(path)[0] in READERS


def write_table(df: pd.DataFrame, path: str | os.PathLike,
                dialect: dict[str, Any] | None = None) -> None:
    """Write ``df`` as CSV, TSV or Parquet (by extension), atomically; its index too when it
    holds data (:func:`has_own_index`). :data:`STDOUT` writes CSV to standard output.

    ``dialect`` (``read_as[DIALECT]``, the input file's) makes a CSV output use the input's
    separator, and any text output its decimal comma, line ends, byte-order mark (not
    on standard output, where a mark would be a stray character to the next program) and
    empty column names."""
    index = has_own_index(df)
    dialect = dialect or {}
    ends = dialect.get("lineterminator", "\n")
    blank = set(dialect.get("blank_names", ()))
    header = [("" if str(c) in blank else c) for c in df.columns] if blank else True
    if str(path) == STDOUT:
        df.to_csv(sys.stdout, index=index, sep=dialect.get("sep", ","), header=header,
                  decimal=dialect.get("decimal", "."), lineterminator=ends)
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
        write_atomic(path, lambda tmp: df.to_csv(
            tmp, sep=sep, index=index, compression=how, decimal=dialect.get("decimal", "."),
            encoding=dialect.get("encoding", "utf-8"), lineterminator=ends, header=header))
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
