"""Reading and writing folders of images (one sub-folder per class) and grids of images;
every write is atomic, as :mod:`vaeaug.io`'s are."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .io import InputError, default_mode, write_atomic

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("Image folders need pillow: pip install 'vaeaug[images]'.") from None
    return Image


#: Pillow modes read as they are: 8 bits per channel, grey or colour, with or without alpha.
KEPT_MODES = ("L", "LA", "RGB", "RGBA")
#: Modes of 16-bit grey images (16-bit PNGs and TIFFs: microscopy, X-rays), read as uint16;
#: "I" (32-bit integers) too when its values fit 16 bits, as older Pillows open such PNGs.
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")
#: Modes refused: 32-bit integers beyond 16 bits, and floats.
DEEP_MODES = ("I", "F")


def _readable(image: Any, file: Path) -> Any:
    """``image`` in one of :data:`KEPT_MODES` or :data:`SIXTEEN_BIT_MODES`: palette images by
    their colours (not their palette indices), 1-bit images as grey, CMYK and other colour
    spaces as RGB."""
    if image.mode in KEPT_MODES:
        return image
    if image.mode in SIXTEEN_BIT_MODES:
        low, high = image.getextrema()
        if 0 <= low and high <= 65535:
            return image
    if image.mode in DEEP_MODES:
        raise InputError(f"{file}: {image.mode} images with values beyond 16 bits (floats, or "
                         "integers outside 0-65535) are not supported; save them as 8- or "
                         "16-bit images first.")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("P", "PA"):
        has_alpha = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    return image.convert("RGB")


def read_image_folder(path: str | os.PathLike, size: tuple[int, int] | None = None
                      ) -> tuple[np.ndarray, np.ndarray, list[Path]]:
    """Images of a folder with one sub-folder per class (torchvision's ImageFolder layout).

    Returns the images as one uint8 array (N, H, W) or (N, H, W, C), their class names, and
    their files. All images must have the same size, or are resized (bilinear, as
    torchvision's ``Resize``) to ``size``, (width, height), when it is given. Palette, 1-bit
    and CMYK images are read by their colours; when the folder mixes grey and colour images,
    all are read as colour (RGB, or RGBA if any has transparency), as torchvision's loader
    reads every image as RGB.
    16-bit grey images give a uint16 array (N, H, W), 8-bit grey ones among them scaled to
    16 bits (times 257).
    """
    Image = _pil()
    root = Path(path)
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not _hidden(p.name)
                     ) if root.is_dir() else []
    files = [(c.name, f) for c in classes for f in _image_files(c)]
    found = {name for name, _ in files}
    empty = [c.name for c in classes if c.name not in found]
    loose = [f for f in root.iterdir() if f.is_file() and not _hidden(f.name)
             and f.suffix.lower() in IMAGE_SUFFIXES] if root.is_dir() else []
    if files and empty:
        warnings.warn(f"{root}: no images in the folders {empty[:10]}; they are not classes.",
                      UserWarning, stacklevel=2)
    if files and loose:  # as torchvision's ImageFolder, which skips them without a word
        many = len(loose) > 1
        warnings.warn(f"{root}: left out {len(loose)} image{'s' * many} that "
                      f"{'lie' if many else 'lies'} in the folder itself, not in a class "
                      "folder.", UserWarning, stacklevel=2)
    if not files:
        where = (f"its {len(loose)} images lie in the folder itself" if loose
                 else "no images found")
        raise InputError(f"{root}: {where}; expected one sub-folder of images per class, "
                         f"e.g. {root / 'cat' / '1.png'}, {root / 'dog' / '2.png'}.")
    images = []
    for _, f in files:
        try:
            with Image.open(f) as image:
                image = _readable(image, f)
                images.append(image.resize(size, Image.Resampling.BILINEAR)
                              if size and image.size != size else image.copy())
        except OSError as exc:
            raise InputError(f"{f}: cannot read it as an image ({exc}).") from None
    sizes = sorted({image.size for image in images})
    if len(sizes) > 1:
        raise InputError(f"{root}: images differ in size (width x height: "
                         f"{', '.join(f'{w}x{h}' for w, h in sizes[:4])}"
                         f"{' ...' if len(sizes) > 4 else ''}); resize them to one size first, "
                         f"or pass --image-size {sizes[0][0]}x{sizes[0][1]} (size= to "
                         "load_image_folder) to read them at one size.")
    labels = np.array([c for c, _ in files], dtype=object)
    return _same_mode(root, images, [f for _, f in files]), labels, [f for _, f in files]


def _same_mode(root: Path, images: list, files: list[Path]) -> np.ndarray:
    """The images of :func:`read_image_folder` as one array, in one mode."""
    modes = {"I;16" if image.mode in SIXTEEN_BIT_MODES else image.mode for image in images}
    if "I;16" in modes and modes - {"I;16", "L"}:
        colour = next(f for f, image in zip(files, images)
                      if image.mode not in (*SIXTEEN_BIT_MODES, "L"))
        raise InputError(f"{root}: 16-bit grey images and colour images ({colour}) mixed; "
                         "convert them to one kind first.")
    if "I;16" in modes:  # 8-bit grey among 16-bit grey: the same scale, 255 -> 65535
        return np.stack([np.asarray(image).astype(np.uint16) * (
            1 if image.mode in SIXTEEN_BIT_MODES else 257) for image in images])
    if len(modes) > 1:  # grey and colour, or with and without alpha
        common = "RGBA" if modes & {"LA", "RGBA"} else "RGB"
        images = [image.convert(common) for image in images]
    return np.stack([np.asarray(image) for image in images])


def _hidden(name: str) -> bool:
    """Hidden files and folders (``.DS_Store``, macOS's ``._name.png`` companions, ``.git``)."""
    return name.startswith(".")


def _image_files(folder: Path) -> list[Path]:
    """The images in ``folder`` and its sub-folders (as torchvision's ImageFolder finds
    them), by extension, hidden ones left out, in sorted order."""
    found = []
    for parent, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        found += [Path(parent) / n for n in sorted(names)
                  if not _hidden(n) and Path(n).suffix.lower() in IMAGE_SUFFIXES]
    return found


def write_image_folder(out_dir: str | os.PathLike, root: str | os.PathLike,
                       originals: list[Path], images: np.ndarray, labels: np.ndarray,
                       force: bool) -> None:
    """Copy ``originals`` (files under ``root``) to the same places under ``out_dir`` and add
    ``images`` as synthetic PNGs in ``out_dir/<class>/``.

    Everything is written into a temporary folder beside ``out_dir`` that replaces it only
    when complete; on any error the temporary folder is removed.
    """
    import shutil

    Image = _pil()
    out = Path(out_dir)
    if out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to replace it.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        os.chmod(tmp, default_mode(0o777))  # mkdtemp's 0700 would follow the folder
        for f in originals:
            copy = tmp / Path(f).relative_to(root)  # sub-folders of a class kept
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, copy)
        for i, (image, label) in enumerate(zip(images, labels)):
            (tmp / str(label)).mkdir(exist_ok=True)
            name = tmp / str(label) / f"synthetic_{i:06d}.png"
            while name.exists():  # an original of that name: never written over
                name = name.with_stem(name.stem + "_new")
            Image.fromarray(image).save(name)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def save_grid(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray,
              per_class: int = 8) -> None:
    """One row of up to ``per_class`` images (N, H, W[, C]) per class, as a PNG.

    Uses torchvision's ``make_grid`` and ``save_image`` when torchvision is installed (the
    ``images`` extra), and the same layout drawn with pillow otherwise. 16-bit images are
    drawn in 8 bits, their darkest pixel black and their brightest white.
    """
    if images.dtype != np.uint8:
        low, high = (float(images.min()), float(images.max())) if images.size else (0, 1)
        images = np.rint((images - low) * (255 / max(high - low, 1))).astype(np.uint8)
    classes = list(dict.fromkeys(labels.tolist()))
    h, w = images.shape[1:3]
    channels = images.shape[3:] if images.ndim == 4 else ()
    # Blank tiles fill short rows so that each class keeps its own row.
    tiles = np.zeros((len(classes) * per_class, h, w, *channels), dtype=np.uint8)
    for r, label in enumerate(classes):
        chosen = images[labels == label][:per_class]
        tiles[r * per_class : r * per_class + len(chosen)] = chosen
    try:
        from torchvision.utils import make_grid, save_image
    except ImportError:
        write_atomic(path, lambda tmp: _pil().fromarray(_grid(tiles, per_class)).save(
            tmp, format="PNG"))
        return
    import torch

    batch = torch.from_numpy(tiles.reshape(len(tiles), h, w, -1)).permute(0, 3, 1, 2) / 255
    grid = make_grid(batch, nrow=per_class, padding=2)
    write_atomic(path, lambda tmp: save_image(grid, tmp, format="PNG"))


def _grid(tiles: np.ndarray, per_class: int) -> np.ndarray:
    """``make_grid``'s layout (2-pixel borders) in numpy: ``per_class`` tiles per row."""
    h, w = tiles.shape[1:3]
    rows = len(tiles) // per_class
    grid = np.zeros((rows * (h + 2) + 2, per_class * (w + 2) + 2, *tiles.shape[3:]),
                    dtype=np.uint8)
    for i, tile in enumerate(tiles):
        top, left = (i // per_class) * (h + 2) + 2, (i % per_class) * (w + 2) + 2
        grid[top : top + h, left : left + w] = tile
    if grid.ndim == 3 and grid.shape[2] == 1:
        grid = grid[:, :, 0]
    return grid
