"""Image arrays <-> float tensors in [0, 1], shaped (N, C, H, W) with H and W padded to
multiples of 4, and back to the caller's layout, dtype and value range."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

LAYOUTS = ("auto", "NHW", "NHWC", "NCHW")


@dataclass
class ImageFormat:
    """How images came in: layout, dtype, value range, size, and whether a torch tensor."""

    layout: str
    dtype: str
    low: float
    high: float
    height: int
    width: int
    channels: int
    torch_dtype: Any = None  # set when the input was a torch tensor


def size_text(width: int, height: int, channels: int) -> str:
    """"28x28 pixels, 1 channel": an image size as users say it, width first (as PIL)."""
    return f"{width}x{height} pixels, {channels} channel{'s' * (channels != 1)}"


def detect_layout(shape: tuple[int, ...], layout: str = "auto") -> str:
    """"NHW", "NHWC" or "NCHW" for an array of ``shape``."""
    if layout != "auto":
        expected = len(layout)
        if len(shape) != expected:
            raise ValueError(f"image_layout={layout!r} needs {expected}-D input, got shape "
                             f"{shape}.")
        return layout
    if len(shape) == 3:
        return "NHW"
    if len(shape) != 4:
        flat = ""
        if len(shape) == 2:  # MNIST as fetch_openml gives it: 784 pixels per row
            side = math.isqrt(shape[1])
            flat = (f" If each row is a {side}x{side} image, reshape them: "
                    f"X.reshape(-1, {side}, {side})." if side > 1 and side * side == shape[1]
                    else "") + " Flat rows of features belong to CVAEOverSampler."
        raise ValueError(f"Images must be shaped (N, H, W), (N, H, W, C) or (N, C, H, W); got "
                         f"shape {shape}.{flat}")
    if shape[-1] in (1, 3, 4):
        return "NHWC"
    if shape[1] in (1, 3, 4):
        return "NCHW"
    raise ValueError(f"Cannot tell the channel axis of shape {shape}; pass image_layout="
                     "'NHWC' or 'NCHW'.")


def as_unit_images(X: Any, layout: str = "auto") -> tuple[np.ndarray, ImageFormat]:
    """Images as float32 (N, C, H', W') in [0, 1], H' and W' padded up to multiples of 4."""
    torch_dtype = None
    if type(X).__module__.startswith("torch"):
        torch_dtype = X.dtype
        X = X.detach().cpu().numpy()
    arr = np.asarray(X)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"Images must hold numbers, got dtype {arr.dtype}.")
    if arr.shape[0] == 0:
        raise ValueError("Found 0 images; at least one is required.")
    layout = detect_layout(arr.shape, layout)
    values = to_nchw(arr, layout).astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("Images contain NaN or infinite pixel values.")
    low, high = _value_range(arr.dtype, values)
    unit = ((values - low) / (high - low if high > low else 1.0)).astype(np.float32)
    _, c, h, w = unit.shape
    return padded_to_4(unit), ImageFormat(layout, arr.dtype.str, low, high, h, w, c, torch_dtype)


def to_nchw(images: np.ndarray, layout: str) -> np.ndarray:
    """``images`` in ``layout`` ("NHW", "NHWC" or "NCHW") as (N, C, H, W)."""
    return {"NHW": lambda a: a[:, None], "NHWC": lambda a: a.transpose(0, 3, 1, 2),
            "NCHW": lambda a: a}[layout](images)


def padded_to_4(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) images as float32, padded with zeros at the bottom and right to a height
    and width that are multiples of 4 (two stride-2 steps each way)."""
    n, c, h, w = images.shape
    padded = np.zeros((n, c, _up4(h), _up4(w)), dtype=np.float32)
    padded[:, :, :h, :w] = images
    return padded


def _up4(n: int) -> int:
    return -(-n // 4) * 4


def _value_range(dtype: np.dtype, values: np.ndarray) -> tuple[float, float]:
    """The range pixels live in: the integer type's (uint8: 0-255), [0, 1] for floats that
    fit it, otherwise the observed minimum and maximum."""
    if dtype == np.uint8:
        return 0.0, 255.0
    lo, hi = float(values.min()), float(values.max())
    if np.issubdtype(dtype, np.floating) and lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    return lo, hi


def from_unit_images(unit: np.ndarray, fmt: ImageFormat) -> Any:
    """Back from (N, C, H', W') in [0, 1] to the input's layout, dtype, range and type."""
    unit = np.clip(unit[:, :, : fmt.height, : fmt.width], 0.0, 1.0).astype(np.float64)
    values = unit * (fmt.high - fmt.low) + fmt.low
    dtype = np.dtype(fmt.dtype)
    if dtype.kind in "iub":  # integers and booleans
        values = np.rint(values)
    back = {"NHW": lambda a: a[:, 0], "NHWC": lambda a: a.transpose(0, 2, 3, 1),
            "NCHW": lambda a: a}[fmt.layout]
    out = back(values).astype(dtype)
    if fmt.torch_dtype is not None:
        import torch

        return torch.from_numpy(np.ascontiguousarray(out)).to(fmt.torch_dtype)
    return out
