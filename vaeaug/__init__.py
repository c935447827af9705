"""vaeaug: conditional-VAE oversampling for imbalanced classification."""

__version__ = "0.1.0"

from .sampler import CVAEOverSampler  # noqa: E402

__all__ = ["CVAEOverSampler", "__version__"]
