"""Reading and writing tables; every write is atomic (temporary file, then rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

READERS = {".csv": ",", ".tsv": "\t", ".txt": ","}
TABLE_SUFFIXES = (*READERS, ".parquet", ".pq")


class InputError(ValueError):
    """A problem with a user's file or arguments, reported in one line."""


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file, chosen by its extension.

    Raises
    ------
    InputError
        Missing, empty, unreadable or malformed files, and unknown extensions.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unknown file type {suffix!r}; use .csv, .tsv or .parquet.")
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    try:
        if suffix in READERS:
            df = pd.read_csv(path, sep=READERS[suffix])
        else:
            df = pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read it as a table ({first}).") from None
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow "
                         "(pip install 'vaeaug[parquet]').") from None
    if df.shape[0] == 0:
        raise InputError(f"{path}: the file has a header but no rows.")
    return df


def check_output(path: str | os.PathLike, force: bool,
                 inputs: tuple[str | os.PathLike, ...] = ()) -> Path:
    """Refuse to overwrite an existing file without ``force``, or to write over an input."""
    path = Path(path)
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
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    try:
        with atomic_path(path) as tmp:
            write(tmp)
    except OSError as exc:
        raise InputError(f"{path}: writing failed ({exc.strerror or exc}).") from None


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` as CSV, TSV or Parquet (by extension), atomically."""
    suffix = Path(path).suffix.lower()
    if suffix in READERS:
        write_atomic(path, lambda tmp: df.to_csv(tmp, sep=READERS[suffix], index=False))
    elif suffix in (".parquet", ".pq"):
        write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
    else:
        raise InputError(f"{path}: unknown file type {suffix!r}; use .csv, .tsv or .parquet.")
