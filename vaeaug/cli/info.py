"""``vaeaug info``: a table, a folder of images or a model file as vaeaug sees it."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import click
import pandas as pd

from ..io import InputError, as_shown, names_a_table, table_path
from ..preprocessing import (
    NUMERIC,
    asinh_scaled,
    cardinality_problem,
    counter_problem,
    heavy_tailed,
    pandas_dtype,
)
from ..text_styles import DIALECT, NumbersWritten, NumberText, styles_as_read
from .models import MODEL_SUFFIX
from .options import image_size_option, na_option, piped, split_list, user_errors
from .tables import class_counts, read_labelled, target_required


@click.command()
@click.argument("input", type=click.Path(), callback=piped)
@click.option("--target", "-t", help="Name of the class column (tables).")
@click.option("--categorical", help="Comma-separated columns to treat as categorical.")
@click.option("--image-size", metavar="WxH", callback=image_size_option,
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
    from ..validation import NumbersAsTextWarning, as_table, numbers_as_text

    if image_size and not Path(input).is_dir():
        raise InputError(f"--image-size is for folders of images, and {input} is not one.")
    if na_values and (Path(input).is_dir() or not names_a_table(input)):
        raise InputError(f"--na-values is for tables, and {input} is not one.")
    if Path(input).is_file() and not names_a_table(input):
        from .. import persistence

        try:
            kind = persistence.kind(input)
        except ValueError:  # neither a model nor a table: the table reader says why
            if Path(input).suffix.lower() != MODEL_SUFFIX:
                table_path(input)
            raise
        describe_model(input, kind)
        return
    if Path(input).is_dir():
        from ..image_io import read_image_folder
        from ..image_preprocessing import size_text

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
    named = split_list(categorical)
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
    from ..image_sampler import ImageCVAEOverSampler
    from ..sampler import CVAEOverSampler

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


def dialect_text(dialect: dict[str, Any] | None, before: str) -> str:
    """How a CSV with ``dialect`` (:data:`vaeaug.text_styles.DIALECT`) is written, after
    ``before``: ``';'-separated with decimal commas``, ``UTF-8 with a byte-order mark``,
    ``Windows line ends (CRLF)``; nothing for a plain CSV."""
    dialect = dialect or {}
    names = {";": "';'", "\t": "tab", "|": "'|'", ",": "','"}
    parts = []
    if "sep" in dialect or "decimal" in dialect:
        sep = dialect.get("sep", ",")
        commas = " with decimal commas" if dialect.get("decimal") == "," else ""
        parts.append(f"{names.get(sep, repr(sep))}-separated{commas}")
    if dialect.get("encoding") == "utf-8-sig":
        parts.append("UTF-8 with a byte-order mark")
    if dialect.get("lineterminator") == "\r\n":
        parts.append("Windows line ends (CRLF)")
    return before + ", ".join(parts) if parts else ""


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
    from ..validation import few_rows_problem

    counts = class_counts(y)
    majority = int(counts.max())
    table = pd.DataFrame({unit: counts, "share": (counts / len(y)).round(3),
                          "--class-balance adds": majority - counts})
    few = [few_rows_problem(label, int(n), unit[:-1]) for label, n in counts.items()]
    return (f"imbalance ratio (majority / minority): {majority / counts.min():.2f}\n\n"
            f"{table.to_string()}" + "".join(f"\n{p}" for p in few if p))
