"""vaeaug: conditional-VAE oversampling for imbalanced classification."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .image_sampler import ImageCVAEOverSampler
    from .sampler import CVAEOverSampler

__all__ = ["CVAEOverSampler", "ImageCVAEOverSampler", "__version__"]

#: The public classes, imported on first use (PEP 562): the command line's help and a
#: CSV's ``vaeaug info`` need neither torch nor scikit-learn, which take seconds to import.
_LAZY = {"CVAEOverSampler": ".sampler", "ImageCVAEOverSampler": ".image_sampler"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
