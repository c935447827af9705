"""With-versus-without augmentation for image sets: :func:`vaeaug.evaluate.evaluate` on the
images' pixels as columns, with vaeaug's image model as the ``vaeaug`` sampler.

The classifiers (and SMOTE, random oversampling, ...) see each image as one row of pixel
values in [0, 1] (8- and 16-bit pixels divided by their maximum, as torchvision's
``ToTensor`` does); ``ImageCVAEOverSampler`` sees each training fold's rows as images again
(:class:`FlatImages`). Pixels share one scale, so the folds are not standardised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from .evaluate import (
    Evaluation,
    choose,
    choose_samplers,
    default_classifiers,
    evaluate,
    known_classifiers,
)
from .image_preprocessing import detect_layout, padded_to_4, to_nchw
from .image_sampler import ImageCVAEOverSampler


def rows_as_images(X: Any, image_shape: tuple[int, ...], who: str) -> np.ndarray:
    """Rows of pixel values as images of ``image_shape``; ``who`` expects them, for the error
    when the rows are not such."""
    pixels, shape = np.asarray(X), tuple(image_shape)
    if pixels.ndim != 2 or pixels.shape[1] != int(np.prod(shape)):
        raise ValueError(f"{who} expects rows of {int(np.prod(shape))} pixel values (images "
                         f"of {shape}); got an array of shape {pixels.shape}.")
    return pixels.reshape(len(pixels), *shape)


class FlatImages(BaseEstimator):
    """An image oversampler for images given as rows of pixel values.

    ``fit_resample`` reshapes the rows to ``image_shape``, oversamples with a copy of
    ``sampler`` and gives the images back as rows (a DataFrame with the input's columns,
    for a DataFrame).

    Parameters
    ----------
    sampler : ImageCVAEOverSampler
        The image oversampler (cloned for each fit).
    image_shape : tuple of int
        The shape of one image, e.g. ``(28, 28)`` or ``(32, 32, 3)``.
    """

    def __init__(self, sampler: Any = None, image_shape: tuple[int, ...] = ()) -> None:
        self.sampler = sampler
        self.image_shape = image_shape

    def fit_resample(self, X: Any, y: Any) -> tuple[Any, Any]:
        """The rows of ``X`` (images, flattened) plus new ones, and their labels."""
        self.sampler_ = clone(self.sampler)
        images, labels = self.sampler_.fit_resample(
            rows_as_images(X, self.image_shape, "FlatImages"), y)
        rows = np.asarray(images).reshape(len(images), -1)
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(rows, columns=X.columns).astype(X.dtypes), labels
        return rows, labels


class ImageCNNClassifier(ClassifierMixin, BaseEstimator):
    """A small convolutional network for images given as rows of pixel values: ``"cnn"``
    among :func:`evaluate_images`' classifiers.

    Two 3x3 convolutions with max-pooling and a linear layer (:func:`vaeaug.model.small_cnn`),
    trained with Adam on cross-entropy. Images are padded with zeros to sizes that
    are multiples of 4; pixels are taken as they are ([0, 1] from :func:`evaluate_images`).

    Parameters
    ----------
    image_shape : tuple of int
        The shape of one image: (H, W), (H, W, C) or (C, H, W).
    epochs : int, default=30
        Passes over the training rows.
    batch_size : int, default=64
    learning_rate : float, default=1e-3
    random_state : int, optional
        Seeds the weights and the order of the minibatches.
    device : str, default="auto"
        The torch device that trains and predicts: ``"auto"`` is CUDA when present, else the
        CPU, as for the oversamplers.
    """

    def __init__(self, image_shape: tuple[int, ...] = (), epochs: int = 30,
                 batch_size: int = 64, learning_rate: float = 1e-3,
                 random_state: int | None = None, device: str = "auto") -> None:
        self.image_shape = image_shape
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.device = device

    def _tensor(self, X: Any) -> Any:
        import torch

        images = rows_as_images(np.asarray(X, dtype=np.float32), self.image_shape,
                                "ImageCNNClassifier")
        return torch.from_numpy(padded_to_4(to_nchw(images, detect_layout(images.shape))))

    def fit(self, X: Any, y: Any) -> ImageCNNClassifier:
        """Train on rows of pixels ``X`` and their labels ``y``."""
        import torch

        from .model import build_on_cpu, init_parameters, small_cnn
        from .training import reproducible_cudnn, resolve_device

        self.device_ = resolve_device(self.device)
        images = self._tensor(X).to(self.device_)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        seed = int(np.random.RandomState(self.random_state).randint(2**31 - 1))
        generator = torch.Generator().manual_seed(seed)  # on the CPU: the same draws anywhere
        _, channels, height, width = images.shape
        net = build_on_cpu(lambda: small_cnn(channels, height, width, len(self.classes_)))
        init_parameters(net, generator)
        net.to(self.device_)
        optimizer = torch.optim.Adam(net.parameters(), lr=self.learning_rate)
        targets = torch.from_numpy(codes.astype(np.int64)).to(self.device_)
        with reproducible_cudnn(self.device_):  # the same seed, the same network on CUDA too
            for _ in range(self.epochs):
                order = torch.randperm(len(images), generator=generator).to(self.device_)
                for batch in order.split(self.batch_size):
                    loss = torch.nn.functional.cross_entropy(net(images[batch]), targets[batch])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
        self.net_ = net.eval()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (softmax of the logits), columns in ``classes_`` order."""
        import torch

        from .training import reproducible_cudnn

        check_is_fitted(self)
        with torch.no_grad(), reproducible_cudnn(self.device_):
            logits = self.net_(self._tensor(X).to(self.device_))
            return torch.softmax(logits, dim=1).cpu().numpy()

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def image_classifiers(given: Any, image_shape: tuple[int, ...],
                      random_state: int = 0) -> dict[str, Any]:
    """The classifiers for :func:`evaluate_images`: as
    :func:`vaeaug.evaluate.choose_classifiers`, and ``"cnn"`` (:class:`ImageCNNClassifier`)
    by name."""
    known = {**known_classifiers(random_state),
             "cnn": ImageCNNClassifier(tuple(image_shape), random_state=random_state)}
    return choose(given, default_classifiers(random_state), "classifier", known,
                  random_state)


def image_samplers(given: Any, rows: pd.DataFrame, image_shape: tuple[int, ...],
                   random_state: int = 0) -> dict[str, Any]:
    """The samplers for :func:`evaluate_images`: as :func:`vaeaug.evaluate.choose_samplers`
    on the pixel rows, with ``vaeaug`` (by name) an ``ImageCVAEOverSampler``, and every
    ``ImageCVAEOverSampler`` wrapped in :class:`FlatImages`."""
    if isinstance(given, Mapping):
        chosen = dict(given)
    else:
        chosen = choose_samplers(given, rows, random_state)
        if "vaeaug" in chosen:
            chosen["vaeaug"] = ImageCVAEOverSampler(random_state=random_state)
    return {name: FlatImages(s, tuple(image_shape)) if isinstance(s, ImageCVAEOverSampler)
            else s for name, s in chosen.items()}


def evaluate_images(images: Any, labels: Any, samplers: Any = None, classifiers: Any = None,
                    random_state: int = 0, **kwargs: Any) -> Evaluation:
    """Cross-validate samplers x classifiers on an image set, each image a row of pixels.

    Parameters
    ----------
    images : array-like or torch.Tensor
        Images (N, H, W), (N, H, W, C) or (N, C, H, W), as ``ImageCVAEOverSampler`` takes
        them. uint8 and uint16 pixels are divided by 255 and 65535, so that every sampler
        and classifier sees values in [0, 1]; other values are taken as they are.
    labels : array-like
        Class labels, one per image.
    samplers : dict {name: sampler or None}, or list of names, optional
        As in :func:`vaeaug.evaluate.evaluate`; ``"vaeaug"`` is ``ImageCVAEOverSampler``.
        Default: none, vaeaug, smote and ros.
    classifiers : dict or list of names, optional
        As in :func:`vaeaug.evaluate.evaluate` (default: logreg, knn, tree and forest), and
        ``"cnn"``, a small convolutional network (:class:`ImageCNNClassifier`).
    random_state : int
        Seeds the folds, the samplers and the classifiers.
    **kwargs
        ``cv``, ``repeats``, ``n_jobs``, ``backend``, ``progress``, ``groups``: as in
        :func:`vaeaug.evaluate.evaluate`.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> from vaeaug.datasets import load_dataset
    >>> from vaeaug.image_evaluate import evaluate_images
    >>> X, y = load_dataset("digits")
    >>> images = X.to_numpy().reshape(-1, 8, 8)
    >>> result = evaluate_images(images, y, samplers=["none", "vaeaug"],
    ...                          classifiers=["logreg"], cv=3)
    >>> sorted(result.scores.sampler.unique())
    ['none', 'vaeaug']
    """
    if hasattr(images, "detach"):  # a torch tensor
        images = images.detach().cpu().numpy()
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be shaped (N, H, W), (N, H, W, C) or (N, C, H, W); "
                         f"got an array of shape {images.shape}.")
    if images.dtype in (np.uint8, np.uint16):
        images = images.astype(np.float32) / np.iinfo(images.dtype).max
    rows = pd.DataFrame(images.reshape(len(images), -1))
    chosen = image_samplers(samplers, rows, images.shape[1:], random_state)
    chosen_classifiers = image_classifiers(classifiers, images.shape[1:], random_state)
    return evaluate(rows, labels, samplers=chosen, classifiers=chosen_classifiers,
                    random_state=random_state, scale=False, **kwargs)
