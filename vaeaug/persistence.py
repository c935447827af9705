"""Saving and loading fitted samplers as tensors and plain data.

Files are written with :func:`torch.save` and read with ``torch.load(weights_only=True)``,
which unpickles only tensors and plain containers: a crafted file cannot run code. The
file also holds the encoded real rows of each class, which the ``"mixed"``, ``"residual"`` and
``"posterior"`` generation methods start from: treat a model file like the training data.
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch

from . import __version__
from .model import build_on_cpu
from .preprocessing import TableTransformer, asinh_scaled
from .training import resolve_device
from .validation import InputFormat

MAGIC = "vaeaug-model"
#: The newest model format this vaeaug reads and writes. Format 2 added heavy-tailed columns
#: on the asinh scale, which an older vaeaug would decode as standardised, silently wrong;
#: a model without one is written as format 1, which older releases still read.
FORMAT_VERSION = 2


def _plain(value: Any) -> Any:
    """Parameters as plain Python data; anything else (callables, RandomState) -> None."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, Integral, Real)):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return None


def save(estimator: Any, path: Any) -> None:
    """Write a fitted :class:`~vaeaug.CVAEOverSampler` (or image sampler) to ``path``, or to
    a binary file object (``io.BytesIO``, a file opened with ``"wb"``)."""
    if isinstance(path, (str, os.PathLike)):  # torch would say so from its C++ writer
        if os.path.isdir(path):
            raise ValueError(f"{path} is a folder; save to a file in it, e.g. "
                             f"{os.path.join(path, 'model.vaeaug')}.")
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise FileNotFoundError(f"No folder {parent} to save {path} in.")
    params = {k: _plain(v) for k, v in estimator.get_params().items()}
    if params.get("sampling_strategy") is None:
        params["sampling_strategy"] = "auto"  # a callable cannot be stored safely
    state = {
        "format": MAGIC,
        "format_version": FORMAT_VERSION,
        "vaeaug_version": __version__,
        "kind": type(estimator).__name__,
        "params": params,
        "classes": _plain(estimator.classes_.tolist()),
        "classes_dtype": estimator.classes_.dtype.str if estimator.classes_.dtype != object
        else "object",
        "n_features_in": int(estimator.n_features_in_),
        "sampling_strategy_": _plain(dict(estimator.sampling_strategy_)),
        "history": list(estimator.history_),
        "learning_rate_": float(estimator.learning_rate_),
        "sample_seed": int(estimator._sample_seed),
        "state_dict": {k: v.detach().cpu() for k, v in estimator.module_.state_dict().items()},
        "class_rows": [rows.detach().cpu() for rows in estimator._class_rows],
        **estimator._data_format_state(),
    }
    columns = state.get("transformer", {}).get("columns", [])
    if not any(asinh_scaled(info) for info in columns):
        state["format_version"] = 1
    torch.save(state, path)


def table_format_state(estimator: Any) -> dict[str, Any]:
    """What a table sampler needs to turn model output back into the user's table."""
    fmt = estimator._input_format
    names = getattr(estimator, "feature_names_in_", None)
    return {
        "transformer": estimator.transformer_.to_dict(),
        "input_format": {"x_kind": fmt.x_kind, "x_dtype": None if fmt.x_dtype is None
                         else str(np.dtype(fmt.x_dtype)), "sparse_format": fmt.sparse_format,
                         "y_kind": fmt.y_kind, "y_name": _plain(fmt.y_name),
                         "polars_schema": fmt.polars_schema},
        "feature_names_in": None if names is None else [str(n) for n in names],
        # how the command line's training file wrote dates and formatted numbers, so that
        # `vaeaug sample` writes them alike (older readers ignore the key)
        "text_styles": _plain(getattr(estimator, "_text_styles", None)),
        "csv_dialect": _plain(getattr(estimator, "_csv_dialect", None)),  # {"sep": ";", ...}
        # [[name, dtype of an empty column or None], ...]: the training file's header
        "file_layout": _plain(getattr(estimator, "_file_layout", None)),
    }


def restore_table_format(estimator: Any, state: dict[str, Any]) -> None:
    estimator.transformer_ = TableTransformer.from_dict(state["transformer"])
    estimator._input_format = InputFormat(**dict(state["input_format"]))
    if state["feature_names_in"] is not None:
        estimator.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
    estimator._text_styles = state.get("text_styles")
    estimator._csv_dialect = state.get("csv_dialect")
    estimator._file_layout = state.get("file_layout")


def load(cls: type, path: Any, device: str = "auto") -> Any:
    """Read a sampler written by :func:`save` from a path or a binary file object (safe: no
    code in the file is run)."""
    state = _read(path)
    path = source_name(path)
    kind = state.get("kind", "CVAEOverSampler")  # files from before image models
    if kind != cls.__name__:
        images = kind == "ImageCVAEOverSampler"
        hint = (" (on the command line: vaeaug augment IMAGE_DIR --model FILE)" if images else
                " (on the command line: vaeaug augment TABLE -t COLUMN --model FILE, or "
                "vaeaug sample FILE)")
        raise ValueError(f"{path} holds {'an' if images else 'a'} {kind}; read it with "
                         f"{kind}.load(){hint}.")
    params = {**state["params"], "device": device}
    for key in ("hidden_dims", "channels"):  # tuples, stored as lists
        if key in params:
            params[key] = tuple(params[key])
    est = cls(**params)
    est.classes_ = np.asarray(state["classes"], dtype=np.dtype(state["classes_dtype"]))
    est.n_features_in_ = state["n_features_in"]
    est.sampling_strategy_ = dict(state["sampling_strategy_"])
    est.history_ = list(state["history"])
    est.learning_rate_ = state["learning_rate_"]
    est._sample_seed = state["sample_seed"]
    est._sample_rng = np.random.default_rng(est._sample_seed)
    est.device_ = resolve_device(device)
    est._restore_data_format(state)
    module = build_on_cpu(lambda: est._make_module(tuple(state["class_rows"][0].shape[1:])))
    try:
        module.load_state_dict(state["state_dict"])
    except RuntimeError as exc:
        raise ValueError(
            f"{path}: the stored weights do not fit the stored model ({exc})."
        ) from None
    est.module_ = module.to(est.device_).eval()
    est._class_rows = [rows.to(est.device_) for rows in state["class_rows"]]
    return est


def kind(path: str | os.PathLike) -> str:
    """The class name of the sampler a model file holds.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`load` does, for a missing, damaged or foreign file.
    """
    return str(_read(path).get("kind", "CVAEOverSampler"))


def source_name(source: Any) -> str:
    """How messages name a model's path, or a file object (``io.BytesIO``, an open file)."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", None) or f"the {type(source).__name__}")


def _read(source: Any) -> dict[str, Any]:
    """The state stored at ``source``: a path, or a binary file object."""
    path = source_name(source)  # for the messages
    if isinstance(source, (str, os.PathLike)):
        if not os.path.exists(source):
            raise FileNotFoundError(f"No model file at {path}.")
        if os.path.isdir(source):
            raise ValueError(f"{path} is a folder, not a vaeaug model file.")
    elif not (hasattr(source, "read") and hasattr(source, "seek")):
        raise TypeError(f"A model is read from a path or a binary file object, not "
                        f"{type(source).__name__}.")
    if not _is_zip(source):  # torch.save writes a zip archive: this is some other file
        raise ValueError(f"{path} is not a vaeaug model file (models are written by "
                         "`vaeaug fit … -o FILE`, `--save-model FILE` or `.save(FILE)`).")
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, not a zip, or holding objects that are not data
        raise ValueError(
            f"{path} is not a readable vaeaug model file: it is damaged, or holds objects "
            f"that are not plain data (which vaeaug refuses to load). ({type(exc).__name__})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != MAGIC:
        raise ValueError(f"{path} is not a vaeaug model file.")
    version = state.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer vaeaug (model format {version}, vaeaug "
            f"{state.get('vaeaug_version')}); this is vaeaug {__version__} (format "
            f"{FORMAT_VERSION}). Upgrade vaeaug to load it."
        )
    return state


def _is_zip(source: Any) -> bool:
    """Whether ``source`` (a path or a seekable binary file) starts as a zip archive does."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            head = fh.read(4)
    else:
        start = source.tell()
        head = source.read(4)
        source.seek(start)
    return head == b"PK\x03\x04"
