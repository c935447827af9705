"""``vaeaug augment``: a table or a folder of images written back with new rows added."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np
import pandas as pd

from ..io import (
    STDOUT,
    InputError,
    check_table_output,
    has_own_index,
    index_for,
    write_table,
    writes_text,
)
from ..preprocessing import NUMERIC, is_time_dtype
from ..text_styles import DIALECT, as_read
from .models import build_sampler, check_model_output, save
from .options import image_size_option, model_options, na_option, piped, user_errors
from .tables import (
    read_image_classes,
    read_labelled,
    sampling_plan,
    target_required,
    with_target,
)

if TYPE_CHECKING:
    from ..sampler import CVAEOverSampler


#: The column --mark-synthetic adds: True for the new rows.
SYNTHETIC_COLUMN = "synthetic"


@click.command()
@click.argument("input", type=click.Path(), callback=piped)
@click.option("--target", "-t", help="Name of the class column (tables).")
@click.option("--output", "-o", required=True, type=click.Path(),
              help="Where to write the original rows plus the synthetic ones ('-': CSV "
                   "on stdout).")
@click.option("--class-balance", is_flag=True,
              help="Top up every class to the majority count (the default).")
@click.option("--ratio", type=float, help="Top up classes to RATIO x the majority count.")
@click.option("--counts", help="Rows wanted per class after augmentation: rare=300,other=120.")
@click.option("--classes", help="Only top up these classes (comma-separated).")
@click.option("--mark-synthetic", is_flag=True,
              help=f"Add a boolean column {SYNTHETIC_COLUMN!r}.")
@click.option("--save-model", type=click.Path(dir_okay=False), help="Also save the model.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Generate with a model saved by `vaeaug fit` instead of training one.")
@click.option("--grid", type=click.Path(dir_okay=False),
              help="Images: also save a PNG grid of synthetic images, one row per class.")
@click.option("--image-size", metavar="WxH", callback=image_size_option,
              help="Images: read every image at this size (64x64, or 64), for folders of "
                   "images of several sizes.")
@click.option("--force", "-f", is_flag=True, help="Overwrite OUTPUT if it exists.")
@na_option()
@model_options
@user_errors
def augment(input: str, target: str | None, output: str, class_balance: bool,
            ratio: float | None, counts: str | None, classes: str | None,
            mark_synthetic: bool, save_model: str | None, model_path: str | None,
            grid: str | None, image_size: tuple[int, int] | None, force: bool,
            na_values: tuple[str, ...], **model: Any) -> None:
    """Train on INPUT and write it with synthetic rows (or images) added.

    \b
    INPUT is a table (CSV, TSV or Parquet; needs --target) or a folder of images with
    one sub-folder per class (OUTPUT is then a folder too).
    Original rows come first and unchanged; columns keep their order and types.
    Examples:
      vaeaug augment data.csv --target label --class-balance -o out.csv
      vaeaug augment data.csv -t label --ratio 0.5 --mark-synthetic -o out.csv
      vaeaug augment data.csv -t label --counts rare=300,other=120 -o out.parquet
      vaeaug augment images/ --class-balance -o images_balanced/ --grid grid.png
    """
    if Path(input).is_dir():
        if na_values:
            raise InputError(f"--na-values is for tables, and {input} is a folder of images.")
        augment_images(input, output, (class_balance, ratio, counts, classes), grid, force,
                       model_path, save_model, model, image_size)
        return
    if image_size:
        raise InputError(f"--image-size is for folders of images, and {input} is a table.")
    if target is None:
        raise target_required(input)
    check_table_output(output, force, inputs=(input,))
    if save_model:
        check_model_output(save_model, force, inputs=(input, output))
    read_as: dict = {}
    X, y, position = read_labelled(input, target, read_as=read_as, na_values=na_values)
    if mark_synthetic and (SYNTHETIC_COLUMN in X.columns or SYNTHETIC_COLUMN == target):
        raise InputError(f"--mark-synthetic adds a column {SYNTHETIC_COLUMN!r}, and {input} "
                         "already has one; rename it first.")
    plan = sampling_plan(y, class_balance, ratio, counts, classes)
    if model_path:
        from ..sampler import CVAEOverSampler

        sampler = CVAEOverSampler.load(model_path, device=model["device"])
        sampler.verbose = not model["quiet"]  # not as the model was saved
        X_res, y_res = augment_with(sampler, X, y, plan, model["seed"], read_as)
    else:
        sampler = build_sampler(model, sampling_strategy=plan)
        X_res, y_res = sampler.fit_resample(X, y)
    # the labels' dtype as read (a categorical Parquet column stays categorical)
    labels = pd.Series(np.asarray(y_res)).astype(y.dtype)
    out = as_read(with_target(X_res, labels, target, position), read_as, len(X),
                  writes_text(output))
    if has_own_index(X):  # a Parquet file's index ("id", say): kept on the original rows
        out.index = index_for(X.index, len(out))
    if mark_synthetic:
        out[SYNTHETIC_COLUMN] = np.arange(len(out)) >= len(X)
    write_table(out, output, read_as.get(DIALECT))
    if save_model:
        save(sampler, save_model, None if model_path else read_as)
    added = labels.iloc[len(y):].value_counts()  # a categorical's lists classes with 0 too
    summary = ", ".join(f"{label}: +{n}" for label, n in added.items() if n) or "nothing to add"
    click.echo(f"wrote {'stdout' if output == STDOUT else output}: {len(X)} original + "
               f"{len(out) - len(X)} synthetic rows ({summary})", err=True)


def augment_images(input: str, output: str, plan_options: tuple, grid: str | None,
                   force: bool, model_path: str | None, save_model: str | None,
                   model: dict[str, Any], size: tuple[int, int] | None = None) -> None:
    """The augment command for a folder of images (one sub-folder per class)."""
    from ..image_io import save_grid, write_image_folder
    from ..image_sampler import ImageCVAEOverSampler

    if output == STDOUT:
        raise InputError(f"-o {STDOUT} writes a table to stdout; images need a folder "
                         f"(-o {Path(input).name}_balanced, say).")
    if Path(output).resolve() == Path(input).resolve():
        raise InputError(f"{output}: the output may not be the input folder.")
    if Path(input).resolve() in Path(output).resolve().parents:
        raise InputError(f"{output} is inside the input folder {input}, where a later run "
                         "would read its images as training images; write it beside the input.")
    if Path(output).exists() and not force:
        raise InputError(f"{output} exists; pass --force to replace it.")
    if save_model:
        check_model_output(save_model, force, inputs=(input, output))
    images, labels, files = read_image_classes(input, size)
    plan = sampling_plan(pd.Series(labels), *plan_options)
    if model_path:
        sampler = ImageCVAEOverSampler.load(model_path, device=model["device"])
        sampler.check_compatible(images)
        new, new_y = sampler.sample(y=additions(sampler, labels, plan),
                                    random_state=model["seed"])
    else:
        sampler = ImageCVAEOverSampler(
            sampling_strategy=plan, epochs=model["epochs"], random_state=model["seed"],
            device=model["device"], verbose=not model["quiet"])
        X_res, y_res = sampler.fit_resample(images, labels)
        new, new_y = X_res[len(images):], np.asarray(y_res[len(images):])
    write_image_folder(output, input, files, new, new_y, force)
    if save_model:
        save(sampler, save_model)
    if grid:
        save_grid(grid, new, new_y)
    click.echo(f"wrote {output}: {len(images)} original + {len(new)} synthetic images", err=True)


def augment_with(sampler: CVAEOverSampler, X: pd.DataFrame, y: pd.Series, plan: dict,
                 seed: int, read_as: dict | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Originals plus rows from an already trained model, ``plan`` = {label: total}.

    A file's columns are found by name: the model's columns in another order are taken in
    the model's order, and the new rows are written in the file's."""
    trained = [str(info["name"]) for info in sampler.transformer_.columns_]
    by_name = {str(c): c for c in X.columns}
    X = X.copy()
    for info in sampler.transformer_.columns_:
        name = by_name.get(str(info["name"]))
        # a model fitted before vaeaug read a CSV's ISO dates as dates (or a Parquet file's
        # decimals and dates as numbers) holds them as categories: give it them as such
        if name is None or info["kind"] == NUMERIC:
            continue
        if read_as and name in read_as:
            X[name] = read_as[name].original
        elif is_time_dtype(X[name].dtype):
            X[name] = X[name].astype(str)
    ordered = X[[by_name[c] for c in trained]] if sorted(by_name) == sorted(trained) else X
    sampler.check_compatible(ordered)
    X_new, y_new = sampler.sample(y=additions(sampler, y, plan), random_state=seed)
    X_new.columns = ordered.columns
    X_new = X_new[X.columns]
    return (pd.concat([X, X_new], ignore_index=True),
            pd.concat([y, pd.Series(y_new, name=y.name)], ignore_index=True))


def additions(sampler: Any, y: Any, plan: dict) -> dict:
    """Rows to generate per class so that ``y`` reaches ``plan`` = {label: total}."""
    known = set(sampler.classes_.tolist())
    unknown = [label for label in plan if label not in known]
    if unknown:
        raise InputError(f"the model was not trained on classes {unknown}.")
    current = pd.Series(y).value_counts()
    return {label: total - int(current[label]) for label, total in plan.items()}
