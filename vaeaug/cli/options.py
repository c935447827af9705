"""What the commands share: one-line user errors, stdin input and common options."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import click

from ..defaults import DEVICE, EPOCHS, LATENT_DIM
from ..io import STDIN, InputError, as_shown, first_line, stdin_as_file


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


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def split_names(value: str | None, known: Callable[[str], bool]) -> list[str]:
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


def image_size_option(ctx: click.Context, param: click.Parameter,
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
    return tuple(split_list(value))


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
