"""``vaeaug fit`` and ``vaeaug sample``: train a model once, generate from it later."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd

from ..defaults import DEVICE
from ..io import (
    STDOUT,
    InputError,
    check_output,
    check_table_output,
    names_a_table,
    table_path,
    write_atomic,
    write_table,
    writes_text,
)
from ..text_styles import DIALECT, LAYOUT, as_read, styles, styles_as_read
from .options import model_options, na_option, piped, seed_option, split_list, user_errors
from .tables import find_class, in_file_order, read_many, with_target

if TYPE_CHECKING:
    from ..sampler import CVAEOverSampler


#: The extension ``vaeaug fit`` and the docs give model files (any other works too).
MODEL_SUFFIX = ".vaeaug"


@click.command()
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
    from .. import distributed

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
    from .. import distributed

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


def build_sampler(model: dict[str, Any], verbose: bool = True,
                  **params: Any) -> CVAEOverSampler:
    from ..sampler import CVAEOverSampler

    return CVAEOverSampler(
        epochs=model["epochs"], latent_dim=model["latent_dim"], random_state=model["seed"],
        device=model["device"], verbose=verbose and not model["quiet"],
        categorical_features=split_list(model["categorical"]) or None, **params)


def save(sampler: CVAEOverSampler, path: str, read_as: dict | None = None) -> None:
    """Write a model; with the training file's ``read_as``, its text styles, CSV dialect and
    columns go with it, so that `vaeaug sample` writes dates, formatted numbers, separators,
    decimal commas and the header as that file did."""
    if read_as is not None:
        sampler._text_styles = styles(read_as)
        sampler._csv_dialect = read_as.get(DIALECT)
        sampler._file_layout = read_as.get(LAYOUT)
    write_atomic(path, sampler.save)


@click.command()
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
    from ..sampler import CVAEOverSampler
    from ..validation import pandas_if_polars

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
    # the training file's header: the target in its place, columns without values back
    out = in_file_order(out, getattr(sampler, "_file_layout", None))
    # dates and formatted numbers as the training file wrote them (models that remember it)
    out = as_read(out, styles_as_read(getattr(sampler, "_text_styles", None)), 0,
                  writes_text(output))
    write_table(out, output, getattr(sampler, "_csv_dialect", None))  # ';' and 1,5 too
    if output != STDOUT and not quiet:
        counts = ", ".join(f"{c}: {n}" for c, n in pd.Series(y_new).value_counts(
            sort=False).items())
        click.echo(f"wrote {output}: {len(out)} rows ({counts or 'none asked for'})", err=True)
