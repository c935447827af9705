"""``ImageCVAEOverSampler``: the CVAE oversampler for image arrays."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .defaults import DEVICE, EPOCHS, LATENT_DIM
from .image_preprocessing import (
    LAYOUTS,
    ImageFormat,
    as_unit_images,
    from_unit_images,
    size_text,
)
from .model import CVAE, ConvCVAE, GenerativeModel, bernoulli_loss
from .sampler import CVAEOverSampler
from .training import Step, autograd_step
from .validation import as_labels, sampling_counts

#: architecture="auto" uses the MLP up to this many pixels per image, convolutions above.
MLP_MAX_PIXELS = 28 * 28


class ImageCVAEOverSampler(CVAEOverSampler):
    """Oversample image classes with a convolutional (or MLP) conditional VAE.

    Accepts images shaped (N, H, W), (N, H, W, C) or (N, C, H, W), as numpy arrays (uint8 or
    float) or torch tensors, and returns new images in the same layout, dtype, type and value
    range. Pixels are scaled to [0, 1] and modelled with a Bernoulli likelihood (binary
    cross-entropy), as in the classic VAE on MNIST.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn's oversamplers.
    architecture : {"auto", "conv", "mlp"}, default="auto"
        Two stride-2 convolutions each way, or an MLP on flattened pixels. "auto" takes the
        MLP for images of up to 28 x 28 pixels (on 8 x 8 and 28 x 28 digits it scores as
        well as the convolutional model and trains 4-15 times faster, docs/images.md) and
        convolutions above.
    channels : tuple of int, default=(32, 64)
        Feature maps of the convolution layers ("conv").
    hidden_dims : tuple of int, default=(400,)
        Hidden widths of the MLP ("mlp"; the classic 784-400-20 VAE).
    latent_dim : int, default=16
        Size of the latent code.
    epochs : int or "auto", default="auto"
        Passes over the data; "auto" trains for about ``AUTO_STEPS`` steps.
    batch_size, learning_rate, beta, generation, temperature, balance_classes, device,
    random_state, verbose
        As in :class:`~vaeaug.CVAEOverSampler` (``beta`` defaults to 1.0 and
        ``generation`` to ``"residual"`` and ``balance_classes`` to True here: the image
        results in docs/images.md were measured with them).
    image_layout : {"auto", "NHW", "NHWC", "NCHW"}, default="auto"
        Where the channel axis is; "auto" takes a last axis of 1, 3 or 4 as channels.

    Examples
    --------
    >>> import numpy as np
    >>> from vaeaug import ImageCVAEOverSampler
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, size=(60, 16, 16), dtype=np.uint8)
    >>> labels = np.array(["cat"] * 50 + ["dog"] * 10)
    >>> X_res, y_res = ImageCVAEOverSampler(epochs=2, random_state=0).fit_resample(images, labels)
    >>> X_res.shape, X_res.dtype, int((y_res == "dog").sum())
    ((100, 16, 16), dtype('uint8'), 50)
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in CVAEOverSampler._parameter_constraints.items()
           if k != "categorical_features"},
        "architecture": [StrOptions({"auto", "conv", "mlp"})],
        "channels": ["array-like"],
        "image_layout": [StrOptions(set(LAYOUTS))],
    }

    _unit = "image"

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        architecture: str = "auto",
        channels: tuple[int, ...] = (32, 64),
        hidden_dims: tuple[int, ...] = (400,),
        latent_dim: int = LATENT_DIM,
        epochs: int | str = EPOCHS,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        beta: float = 1.0,
        generation: str = "residual",
        temperature: float = 1.0,
        balance_classes: bool = True,
        image_layout: str = "auto",
        device: str = DEVICE,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.sampling_strategy = sampling_strategy
        self.architecture = architecture
        self.channels = channels
        self.hidden_dims = hidden_dims
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beta = beta
        self.generation = generation
        self.temperature = temperature
        self.balance_classes = balance_classes
        self.image_layout = image_layout
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, y: Any) -> ImageCVAEOverSampler:
        """Train on images ``X`` with labels ``y``."""
        self._validate_params()
        self._check_hidden_dims()
        images, self._image_format = as_unit_images(X, self.image_layout)
        labels, _ = as_labels(y, len(images))
        self.sampling_strategy_ = sampling_counts(self.sampling_strategy, labels,
                                                  self._sampling_type)
        self.classes_, codes = np.unique(labels, return_inverse=True)
        self.n_features_in_ = int(np.prod(images.shape[1:]))
        self._image_shape = images.shape[1:]
        self._fit_network(self._to_model_input(images), codes)
        return self

    def _mlp(self) -> bool:
        if self.architecture == "auto":
            return self._image_format.height * self._image_format.width <= MLP_MAX_PIXELS
        return self.architecture == "mlp"

    def _to_model_input(self, images: np.ndarray) -> np.ndarray:
        return images.reshape(len(images), -1) if self._mlp() else images

    def _make_module(self, shape: tuple[int, ...]) -> GenerativeModel:
        if self._mlp():
            return CVAE(shape[0], len(self.classes_), int(self.latent_dim),
                        [int(d) for d in np.atleast_1d(self.hidden_dims)])
        return ConvCVAE(self._image_shape, len(self.classes_), int(self.latent_dim),
                        [int(c) for c in np.atleast_1d(self.channels)])

    def _training_step(self, module: GenerativeModel) -> Step:
        return autograd_step(module, bernoulli_loss, self.beta)

    def _activation(self) -> Any:
        return torch.sigmoid

    def _numeric_columns(self) -> None:
        return None  # every pixel is a number

    def _per_column_interpolation(self) -> bool:
        # each pixel by its own fraction would be a speckle of the two images, not a shape
        return False

    def _images(self, plan: dict, random_state: Any = None) -> tuple[Any, np.ndarray]:
        matrix, y_new = self._generate_encoded(plan, random_state)
        unit = matrix.reshape(len(matrix), *self._image_shape)
        return from_unit_images(unit, self._image_format), y_new

    def fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        """Train on ``X, y``; return them followed by the synthetic images and labels."""
        self.fit(X, y)
        new_X, new_y = self._images(self.sampling_strategy_)
        X_out: Any
        if self._image_format.torch_dtype is not None:
            X_out = torch.cat([X, new_X.to(X.device)])
        else:
            X_out = np.concatenate([np.asarray(X), new_X])
        y_out = np.concatenate([np.asarray(y), new_y])
        return X_out, (y_out.tolist() if isinstance(y, list) else y_out)

    def sample(self, n_samples: int | None = None, y: Any = None,
               random_state: Any = None) -> tuple[Any, np.ndarray]:
        """Generate images: ``n_samples`` of class ``y``, or a dict {class: count}."""
        check_is_fitted(self, "module_")
        return self._images(self._sample_plan(n_samples, y), random_state)

    def encode(self, X: Any, y: Any) -> np.ndarray:
        """Latent means of images ``X`` with labels ``y``, shape (n, latent_dim)."""
        check_is_fitted(self, "module_")
        return self._latent_means(self._to_model_input(self._compatible_images(X)), y)

    def check_compatible(self, X: Any) -> None:
        """Check that images ``X`` have the size and channels of the images seen in fit.

        Raises
        ------
        ValueError
            Another size, or another number of channels (grey images for a colour model,
            or the reverse).
        """
        check_is_fitted(self, "module_")
        self._compatible_images(X)

    def _compatible_images(self, X: Any) -> np.ndarray:
        """:meth:`check_compatible`'s images, in [0, 1] as the network takes them."""
        fitted = self._image_format
        # with another number of dimensions (grey for colour), find the layout, then say so
        layout = fitted.layout if np.ndim(X) == len(fitted.layout) else "auto"
        images, fmt = as_unit_images(X, layout)
        if (fmt.height, fmt.width, fmt.channels) != (fitted.height, fitted.width,
                                                     fitted.channels):
            raise ValueError(f"Images of {size_text(fmt.width, fmt.height, fmt.channels)} "
                             "differ from the "
                             f"{size_text(fitted.width, fitted.height, fitted.channels)} the "
                             "model was fitted on.")
        return images

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False  # a NaN pixel is refused, not modelled
        return tags

    def _data_format_state(self) -> dict:
        fmt = dataclasses.asdict(self._image_format)
        if fmt["torch_dtype"] is not None:  # a torch.dtype, stored by name
            fmt["torch_dtype"] = str(fmt["torch_dtype"]).removeprefix("torch.")
        return {"image_format": fmt, "image_shape": [int(d) for d in self._image_shape]}

    def _restore_data_format(self, state: dict) -> None:
        fmt = dict(state["image_format"])
        if fmt["torch_dtype"] is not None:
            fmt["torch_dtype"] = getattr(torch, fmt["torch_dtype"])
        self._image_format = ImageFormat(**fmt)
        self._image_shape = tuple(state["image_shape"])
