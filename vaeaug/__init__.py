"""vaeaug: conditional-VAE oversampling for imbalanced classification."""

__version__ = "0.1.0"

from .image_sampler import ImageCVAEOverSampler  # noqa: E402
from .sampler import CVAEOverSampler  # noqa: E402

__all__ = ["CVAEOverSampler", "ImageCVAEOverSampler", "__version__"]
