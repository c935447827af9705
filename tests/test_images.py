"""ImageCVAEOverSampler and image folders."""

import os
import stat
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from vaeaug import ImageCVAEOverSampler
from vaeaug.cli import main

from .conftest import without_seconds

FAST = dict(epochs=2, channels=(4, 8), latent_dim=2, random_state=0)


@pytest.fixture
def digits():
    """scikit-learn's 8x8 digits 0-2, with digit 2 cut to 12 images (pixels 0-16, float)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    keep = np.flatnonzero(d.target < 2).tolist() + np.flatnonzero(d.target == 2)[:12].tolist()
    return d.images[keep], d.target[keep]


@pytest.mark.parametrize("convert, layout_shape", [
    (lambda X: X, (8, 8)),
    (lambda X: (X * 255 / 16).astype(np.uint8)[..., None], (8, 8, 1)),
    (lambda X: np.repeat((X / 16)[:, None], 3, axis=1).astype(np.float32), (3, 8, 8)),
    (lambda X: np.repeat((X * 255 / 16).astype(np.uint8)[..., None], 3, axis=3), (8, 8, 3)),
])
@pytest.mark.parametrize("architecture", ["conv", "mlp", "auto"])
def test_shapes_dtypes_ranges_counts(digits, convert, layout_shape, architecture):
    X, y = digits
    X = convert(X)
    X_res, y_res = ImageCVAEOverSampler(architecture=architecture, hidden_dims=(16,),
                                        **FAST).fit_resample(X, y)
    assert X_res.shape[1:] == layout_shape and X_res.dtype == X.dtype
    assert Counter(y_res.tolist()) == {0: 182, 1: 182, 2: 182}
    np.testing.assert_array_equal(X_res[: len(X)], X)
    new = X_res[len(X):]
    assert np.isfinite(new.astype(float)).all()
    low, high = (0, 255) if X.dtype == np.uint8 else (X.min(), X.max())
    assert new.min() >= low and new.max() <= high


def test_torch_tensor_in_and_out(digits):
    X, y = digits
    X_t = torch.tensor(X[:, None] / 16, dtype=torch.float32)
    X_res, y_res = ImageCVAEOverSampler(**FAST).fit_resample(X_t, y)
    assert isinstance(X_res, torch.Tensor) and X_res.dtype == torch.float32
    assert X_res.shape == (len(y_res), 1, 8, 8)
    assert float(X_res.min()) >= 0.0 and float(X_res.max()) <= 1.0


def test_deterministic_and_sample(digits):
    X, y = digits
    a, _ = ImageCVAEOverSampler(**FAST).fit_resample(X, y)
    b, _ = ImageCVAEOverSampler(**FAST).fit_resample(X, y)
    np.testing.assert_array_equal(a, b)
    sampler = ImageCVAEOverSampler(**FAST).fit(X, y)
    images, labels = sampler.sample(5, y=2)
    assert images.shape == (5, 8, 8) and set(labels) == {2}
    assert sampler.encode(X, y).shape == (len(X), 2)


def test_a_one_image_class_is_named_in_images_words(digits):
    X, y = digits
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:1]]
    with pytest.warns(UserWarning) as caught:
        ImageCVAEOverSampler(**FAST).fit_resample(X[keep], y[keep])
    said = [str(w.message) for w in caught if "real image" in str(w.message)]
    assert said == ["Class 2 has only 1 real image: its new images are variations of it, which "
                    "tell a classifier little more than the image itself. More real images of "
                    "the class would help more."]  # vaeaug evaluate takes no images


def test_odd_image_sizes_are_padded_and_cropped():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(30, 10, 7), dtype=np.uint8)
    y = np.r_[np.zeros(24, int), np.ones(6, int)]
    X_res, _ = ImageCVAEOverSampler(**FAST).fit_resample(X, y)
    assert X_res.shape == (48, 10, 7) and X_res.dtype == np.uint8


def test_mixed_images_interpolate_whole_images(monkeypatch):
    """"mixed" on images moves every pixel by the row's one fraction (a blend of two images),
    not each pixel by its own, as a table's numeric columns are."""
    from vaeaug import sampler as sampler_module

    calls = []
    real = sampler_module.generate

    def spy(*args, **kwargs):
        calls.append(kwargs["per_column"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sampler_module, "generate", spy)
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(30, 8, 8), dtype=np.uint8)
    y = np.r_[np.zeros(24, int), np.ones(6, int)]
    ImageCVAEOverSampler(generation="mixed", **FAST).fit_resample(X, y)
    assert calls == [False]


@pytest.mark.parametrize("X, match", [
    (np.zeros((5, 4)), r"Images must be shaped .* \(5, 4\)\. If each row is a 2x2 image, "
                       r"reshape them: X\.reshape\(-1, 2, 2\)\. Flat rows of features belong"),
    (np.zeros((5, 5)), r"\(5, 5\)\. Flat rows of features belong to CVAEOverSampler\.$"),
    (np.zeros((5, 2, 4, 4, 3)), r"got shape \(5, 2, 4, 4, 3\)\.$"),  # no "flat rows" there
    (np.zeros((5, 6, 6, 6)), "Cannot tell the channel axis"),
    (np.full((5, 4, 4), np.nan), "NaN or infinite"),
])
def test_bad_images(X, match):
    with pytest.raises(ValueError, match=match):
        ImageCVAEOverSampler(**FAST).fit(X, np.r_[0, 0, 0, 1, 1])


def digit_folder(digits, root):
    """The digits as PNGs in one sub-folder per class: root/<digit>/<index>.png."""
    from PIL import Image

    X, y = digits
    for i, (image, label) in enumerate(zip((X * 255 / 16).astype(np.uint8), y)):
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / str(label) / f"{i:04d}.png")
    return root


def test_image_folder_round_trip_with_cli(digits, tmp_path):
    from PIL import Image

    src = digit_folder(digits, tmp_path / "digits")
    before = {p: p.read_bytes() for p in src.rglob("*.png")}
    out, grid = tmp_path / "out", tmp_path / "grid.png"
    args = ["augment", str(src), "--class-balance", "-o", str(out), "--grid", str(grid),
            "--epochs", "2", "-q"]
    umask = os.umask(0o022)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in src.rglob("*.png")} == before
    # the folder was mkdtemp's 0700 (others could not open it), the grid 0600
    assert stat.S_IMODE(out.stat().st_mode) == 0o755 and stat.S_IMODE(grid.stat().st_mode) == 0o644
    counts = {d.name: len(list(d.glob("*.png"))) for d in out.iterdir()}
    assert counts == {"0": 182, "1": 182, "2": 182}
    assert len(list((out / "2").glob("synthetic_*.png"))) == 170
    for p in src.rglob("*.png"):
        assert (out / p.parent.name / p.name).read_bytes() == p.read_bytes()
    with Image.open(grid) as image:  # a row per class that got synthetic images: 0 and 2
        assert image.size == (8 * 10 + 2, 2 * 10 + 2)  # make_grid's layout, 2-px borders
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "exists; pass --force" in again.output
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0
    to_stdout = CliRunner().invoke(main, ["augment", str(src), "-o", "-", "-q"])
    assert to_stdout.exit_code == 2 and to_stdout.output.endswith(
        "-o - writes a table to stdout; images need a folder (-o digits_balanced, say).\n")


def test_image_folder_modes_are_read_by_their_colours(tmp_path):
    # Palette images (every GIF, many PNGs) were read as palette indices, 16-bit ones wrapped.
    from PIL import Image

    from vaeaug.image_io import read_image_folder
    from vaeaug.io import InputError

    rgb = np.random.default_rng(0).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    for name, image in {"a/rgb.png": Image.fromarray(rgb),
                        "a/palette.gif": Image.fromarray(rgb).convert("P"),
                        "b/grey.png": Image.fromarray(rgb).convert("L"),
                        "b/bits.png": Image.fromarray(rgb).convert("1")}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        image.save(tmp_path / name)
    X, y, files = read_image_folder(tmp_path)
    assert X.shape == (4, 4, 6, 3) and X.dtype == np.uint8  # grey and colour mixed: all RGB
    by_name = {f.name: x for f, x in zip(files, X)}
    np.testing.assert_array_equal(by_name["rgb.png"], rgb)
    palette = np.asarray(Image.open(tmp_path / "a/palette.gif").convert("RGB"))
    np.testing.assert_array_equal(by_name["palette.gif"], palette)
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    np.testing.assert_array_equal(by_name["grey.png"], np.repeat(grey[..., None], 3, axis=2))
    assert set(np.unique(by_name["bits.png"])) <= {0, 255}
    (tmp_path / "a/rgb.png").unlink()
    (tmp_path / "a/palette.gif").unlink()
    with pytest.warns(UserWarning, match=r"no images in the folders \['a'\]"):
        X, _, _ = read_image_folder(tmp_path)  # one mode left: kept as it is, grey
    assert X.shape == (2, 4, 6)

    Image.fromarray(np.full((4, 6), 1.5, dtype=np.float32)).save(tmp_path / "a/float.tif")
    with pytest.raises(InputError, match=r"float.tif: F images with values beyond 16 bits .* "
                                         r"save them as 8- or 16-bit images first"):
        read_image_folder(tmp_path)
    (tmp_path / "a/float.tif").unlink()
    Image.fromarray(rgb).save(tmp_path / "a/rgb.png")
    Image.fromarray(np.full((4, 6), 4000, dtype=np.uint16)).save(tmp_path / "b/deep.png")
    with pytest.raises(InputError, match=r"16-bit grey images and colour images \(.*rgb.png\)"):
        read_image_folder(tmp_path)
    (tmp_path / "a/rgb.png").unlink()
    (tmp_path / "b/deep.png").unlink()
    Image.fromarray(rgb[:3]).save(tmp_path / "a/small.png")
    with pytest.raises(InputError, match=r"differ in size \(width x height: 6x3, 6x4\); .* "
                                         r"or pass --image-size 6x3 \(size= to load_image"):
        read_image_folder(tmp_path)
    X, _, _ = read_image_folder(tmp_path, size=(5, 2))  # width, height
    assert X.shape == (3, 2, 5, 3)


def test_sixteen_bit_grey_folders_are_read_and_written_in_16_bits(tmp_path):
    # they were refused ("I;16 images ... save them as 8-bit images first"): microscopy and
    # X-ray images come as 16-bit PNGs, and 8 bits would throw away their depth
    from PIL import Image

    from vaeaug.image_io import read_image_folder

    rng = np.random.default_rng(0)
    src = tmp_path / "scans"
    for label, n, level in (("healthy", 30, 20000), ("lesion", 8, 40000)):
        (src / label).mkdir(parents=True)
        for i in range(n):
            pixels = rng.normal(level, 3000, (8, 8)).clip(0, 65535).astype(np.uint16)
            Image.fromarray(pixels).save(src / label / f"{i:03d}.png")
    Image.fromarray(np.full((8, 8), 200, dtype=np.uint8)).save(src / "lesion" / "eight.png")
    X, y, files = read_image_folder(src)
    assert X.dtype == np.uint16 and X.shape == (39, 8, 8)
    by_file = {f.relative_to(src).as_posix(): x for f, x in zip(files, X)}
    assert (by_file["lesion/eight.png"] == 200 * 257).all()  # 8-bit grey on the 16-bit scale
    np.testing.assert_array_equal(by_file["healthy/000.png"],
                                  np.asarray(Image.open(src / "healthy" / "000.png")))
    out, grid = tmp_path / "out", tmp_path / "grid.png"
    result = CliRunner().invoke(main, ["augment", str(src), "--class-balance", "-o", str(out),
                                       "--grid", str(grid), "--epochs", "2", "-q"])
    assert result.exit_code == 0, result.output
    new = sorted((out / "lesion").glob("synthetic_*.png"))
    assert len(new) == 30 - 9
    with Image.open(new[0]) as image:
        assert image.mode.startswith("I;16")
        pixels = np.asarray(image)
    assert pixels.max() > 255  # 16 bits written, not clipped to 8
    with Image.open(grid) as image:
        assert image.mode in ("L", "RGB")


def test_image_size_reads_a_folder_of_several_sizes(digits, tmp_path):
    # a folder of photos of several sizes could only be refused ("resize them to one size")
    from PIL import Image

    src = digit_folder(digits, tmp_path / "digits")
    first = sorted((src / "0").glob("*.png"))[0]
    Image.open(first).resize((12, 10)).save(first)
    out = tmp_path / "out"
    args = ["augment", str(src), "--class-balance", "-o", str(out), "--epochs", "2", "-q"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "--image-size" in refused.output
    result = CliRunner().invoke(main, [*args, "--image-size", "6x7"])
    assert result.exit_code == 0, result.output
    with Image.open(next((out / "2").glob("synthetic_*.png"))) as image:
        assert image.size == (6, 7)
    assert (out / "0" / first.name).read_bytes() == first.read_bytes()  # copied as it was
    for bad, message in (("6y7", "'6y7' is not a size; give WIDTHxHEIGHT"),
                         ("0", "'0' is not a size")):
        result = CliRunner().invoke(main, [*args, "-f", "--image-size", bad])
        assert result.exit_code == 2 and message in result.output
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": [1.0, 2.0], "label": ["x", "y"]}).to_csv(table, index=False)
    result = CliRunner().invoke(main, ["augment", str(table), "-t", "label", "-o",
                                       str(tmp_path / "o.csv"), "--image-size", "8"])
    assert result.exit_code == 2 and "--image-size is for folders of images" in result.output
    # info reads such a folder too (it could only repeat augment's refusal)
    assert CliRunner().invoke(main, ["info", str(src)]).exit_code == 2
    shown = CliRunner().invoke(main, ["info", str(src), "--image-size", "6x7"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"{src}: 372 images of 6x7 pixels, 1 channel, 3 classes")
    result = CliRunner().invoke(main, ["info", str(table), "-t", "label", "--image-size", "8"])
    assert result.exit_code == 2 and "--image-size is for folders of images" in result.output


def test_image_folder_walks_class_subfolders_and_skips_hidden_files(tmp_path):
    # Sub-folders of a class were skipped without a word; ImageFolder reads them.
    from PIL import Image

    rng = np.random.default_rng(0)
    names = ["cat/0.png", "cat/1.png", "cat/2.png", "cat/3.png", "dog/0.png",
             "dog/indoor/0.png", "dog/synthetic_000000.png"]
    for name in names:
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (4, 4), dtype=np.uint8)).save(tmp_path / "in" / name)
    (tmp_path / "in/cat/._0.png").write_bytes(b"\x00\x05\x16\x07 not an image")  # macOS
    (tmp_path / "in/cat/notes.txt").write_text("not an image")
    (tmp_path / "in/.thumbnails").mkdir()
    (tmp_path / "in/empty").mkdir()
    result = CliRunner().invoke(main, ["augment", str(tmp_path / "in"), "--class-balance",
                                       "-o", str(tmp_path / "out"), "--epochs", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"Warning: {tmp_path / 'in'}: no images in the folders ['empty']; they are not classes.")
    written = sorted(str(p.relative_to(tmp_path / "out"))
                     for p in (tmp_path / "out").rglob("*.png"))
    assert written == sorted([*names, "dog/synthetic_000000_new.png"])  # 4 cats, 3 + 1 dogs
    for name in names:  # the originals, byte for byte, where they were
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "in" / name).read_bytes()


def test_info_reads_image_folders_and_fit_says_what_does(digits, tmp_path):
    src = digit_folder(digits, tmp_path / "digits")
    result = CliRunner().invoke(main, ["info", str(src)])
    assert result.exit_code == 0, result.output
    counts = Counter(digits[1].tolist())
    assert result.output.splitlines()[0] == (
        f"{src}: {len(digits[1])} images of 8x8 pixels, 1 channel, 3 classes")
    assert f"2          {counts[2]}" in result.output
    result = CliRunner().invoke(main, ["fit", str(src), "-t", "label", "-o",
                                       str(tmp_path / "m.vaeaug")])
    assert result.exit_code == 2
    assert ("a folder, not a table. Folders of images (one sub-folder per class) are read by "
            "`vaeaug augment` (--save-model FILE keeps the model) and `vaeaug evaluate`.") in (
        result.output)


def test_empty_image_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["augment", str(tmp_path / "empty"), "-o",
                                       str(tmp_path / "o")])
    assert result.exit_code == 2 and "no images found" in result.output


def test_get_params_and_clone():
    from sklearn.base import clone

    sampler = ImageCVAEOverSampler(architecture="mlp", latent_dim=4)
    assert clone(sampler).get_params() == sampler.get_params()
    assert "categorical_features" not in sampler.get_params()
    with pytest.raises(ValueError, match="'architecture' parameter"):
        ImageCVAEOverSampler(architecture="vit").fit(np.zeros((4, 8, 8)), [0, 0, 1, 1])


def test_encode_rejects_unknown_classes(digits):
    X, y = digits
    sampler = ImageCVAEOverSampler(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"Unknown classes \[7\]"):
        sampler.encode(X[:3], [0, 1, 7])


def test_encode_and_check_compatible_name_another_image_size(digits):
    X, y = digits
    sampler = ImageCVAEOverSampler(**FAST).fit(X, y)
    sampler.check_compatible(X[:3])  # the fitted size passes
    with pytest.raises(ValueError, match=r"^Images of 10x8 pixels, 1 channel differ from the "
                                         r"8x8 pixels, 1 channel the model was fitted on\.$"):
        sampler.encode(np.pad(X[:3], ((0, 0), (0, 0), (1, 1))), y[:3])
    colour = np.repeat(X[:3, :, :, None], 3, axis=3)  # (N, H, W, 3) for a grey model
    with pytest.raises(ValueError, match=r"^Images of 8x8 pixels, 3 channels differ"):
        sampler.check_compatible(colour)


def test_grid_layout_matches_torchvision_make_grid():
    torchvision = pytest.importorskip("torchvision")
    from vaeaug.image_io import _grid

    tiles = np.random.default_rng(0).integers(0, 256, (6, 5, 4, 3), dtype=np.uint8)
    ours = _grid(tiles, per_class=3)
    batch = torch.from_numpy(tiles).permute(0, 3, 1, 2)
    theirs = torchvision.utils.make_grid(batch, nrow=3, padding=2).permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(ours, theirs)


class TensorImages(torch.utils.data.Dataset):
    """A PyTorch data set as torchvision's transforms.ToTensor() would give it."""

    classes = ["zero", "one", "two"]

    def __init__(self, X, y):
        self.X, self.y = torch.as_tensor(X[:, None] / 16, dtype=torch.float32), y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.X[i], torch.tensor(self.y[i])


def test_from_torch_dataset_feeds_the_sampler(digits):
    from vaeaug.datasets import from_torch_dataset

    X, y = from_torch_dataset(TensorImages(*digits))
    assert X.shape == (len(digits[1]), 1, 8, 8) and X.dtype == np.float32
    assert Counter(y.tolist()) == {"zero": 178, "one": 182, "two": 12}
    X_res, y_res = ImageCVAEOverSampler(**FAST).fit_resample(X, y)
    assert X_res.shape[1:] == (1, 8, 8) and 0 <= X_res.min() and X_res.max() <= 1
    assert Counter(y_res.tolist())["two"] == 182
    assert from_torch_dataset(TensorImages(*digits), max_items=5)[0].shape[0] == 5


class ImagesOnly(TensorImages):
    def __getitem__(self, i):
        return self.X[i]  # no label: a data set for unsupervised use


class WithIndex(TensorImages):
    def __getitem__(self, i):
        return self.X[i], torch.tensor(self.y[i]), i


@pytest.mark.parametrize("dataset, match", [
    (ImagesOnly, r"Item 0 of the data set is a Tensor; .* needs \(image, label\) pairs"),
    (WithIndex, r"Item 0 of the data set is a tuple of 3; .* needs \(image, label\) pairs"),
])
def test_from_torch_dataset_names_items_that_are_not_pairs(digits, dataset, match):
    # unpacking gave "not enough values to unpack (expected 2, got 1)" for the first (an
    # image of one channel) and "too many values to unpack" for the second
    from vaeaug.datasets import from_torch_dataset

    with pytest.raises(ValueError, match=match):
        from_torch_dataset(dataset(*digits))


def test_torchvision_image_folder_and_ours_agree(digits, tmp_path):
    torchvision = pytest.importorskip("torchvision")
    from vaeaug.datasets import from_torch_dataset, load_image_folder

    digit_folder(digits, tmp_path)
    y = digits[1]
    X_tv, y_tv = from_torch_dataset(torchvision.datasets.ImageFolder(tmp_path))
    X_ours, y_ours = load_image_folder(tmp_path)
    assert X_tv.shape == (len(y), 8, 8, 3)  # ImageFolder opens images as RGB
    np.testing.assert_array_equal(X_tv[..., 0], X_ours)
    np.testing.assert_array_equal(y_tv, y_ours)


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_image_model_save_load_round_trip(digits, tmp_path, architecture, as_tensor):
    X, y = digits
    X = (X * 255 / 16).astype(np.uint8)
    if as_tensor:
        X = torch.from_numpy(X)
    sampler = ImageCVAEOverSampler(architecture=architecture, **FAST).fit(X, y)
    sampler.save(tmp_path / "m.vaeaug")
    loaded = ImageCVAEOverSampler.load(tmp_path / "m.vaeaug")
    a, ya = sampler.sample(6, y=2, random_state=1)
    b, yb = loaded.sample(6, y=2, random_state=1)
    assert type(b) is type(a) and b.dtype == a.dtype and b.shape == (6, 8, 8)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_allclose(loaded.encode(X[:5], y[:5]), sampler.encode(X[:5], y[:5]))
    from vaeaug import CVAEOverSampler

    with pytest.raises(ValueError, match="holds an ImageCVAEOverSampler"):
        CVAEOverSampler.load(tmp_path / "m.vaeaug")
    flat = np.asarray(X).reshape(len(X), -1)
    table_model = CVAEOverSampler(epochs=2, random_state=0).fit(flat, y)
    table_model.save(tmp_path / "t.vaeaug")
    with pytest.raises(ValueError, match=r"holds a CVAEOverSampler; .* \(on the command line: "
                                         r"vaeaug augment TABLE -t COLUMN --model FILE"):
        ImageCVAEOverSampler.load(tmp_path / "t.vaeaug")


def test_images_outside_class_folders_and_a_single_class_are_reported(digits, tmp_path):
    # images in the folder itself: "no images found"; one class folder: imbalanced-learn's
    # "The target 'y' needs to have more than 1 class"; loose images beside class folders:
    # skipped without a word
    import shutil

    src = digit_folder(digits, tmp_path / "digits")
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in list((src / "2").glob("*.png"))[:3]:
        shutil.copy(f, flat / f.name)
    result = CliRunner().invoke(main, ["info", str(flat)])
    assert result.exit_code == 2
    assert f"{flat}: its 3 images lie in the folder itself; expected one sub-folder" in (
        result.output)
    shutil.rmtree(src / "0")
    shutil.rmtree(src / "1")
    result = CliRunner().invoke(main, ["augment", str(src), "-o", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 2
    assert "one class folder ('2'); oversampling needs at least two" in result.output
    shutil.copy(flat / next(flat.iterdir()).name, src / "loose.png")
    result = CliRunner().invoke(main, ["info", str(src)])
    assert result.exit_code == 0
    assert (f"Warning: {src}: left out 1 image that lies in the folder itself, not in a class "
            "folder.") in result.stderr


def test_image_output_inside_the_input_folder_is_refused(digits, tmp_path):
    # -o images/balanced was written, and the next run read "balanced" as a class
    src = digit_folder(digits, tmp_path / "digits")
    result = CliRunner().invoke(main, ["augment", str(src), "-o", str(src / "balanced"), "-q"])
    assert result.exit_code == 2
    assert (f"{src / 'balanced'} is inside the input folder {src}, where a later run would "
            "read its images as training images") in result.output
    assert sorted(p.name for p in src.iterdir()) == ["0", "1", "2"]


def test_image_folder_save_model_then_reuse_it(digits, tmp_path):
    src = digit_folder(digits, tmp_path / "digits")
    first = ["augment", str(src), "-o", str(tmp_path / "a"), "--epochs", "2", "-q",
             "--save-model", str(tmp_path / "m.vaeaug")]
    assert CliRunner().invoke(main, first).exit_code == 0
    again = ["augment", str(src), "-o", str(tmp_path / "b"), "-q",
             "--model", str(tmp_path / "m.vaeaug")]
    result = CliRunner().invoke(main, again)
    assert result.exit_code == 0, result.output
    wrong = CliRunner().invoke(main, ["sample", str(tmp_path / "m.vaeaug"), "-n", "2"])
    assert wrong.exit_code == 2 and "vaeaug augment IMAGE_DIR --model" in wrong.output
    assert len(list((tmp_path / "b" / "2").glob("synthetic_*.png"))) == 170
    from PIL import Image as PILImage

    with PILImage.open(next((tmp_path / "b" / "2").glob("synthetic_*.png"))) as image:
        assert image.size == (8, 8) and image.mode == "L"
    shown = CliRunner().invoke(main, ["info", str(tmp_path / "m.vaeaug")])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"{tmp_path / 'm.vaeaug'}: an ImageCVAEOverSampler for 8x8 "
                                   "images, 1 channel, 3 classes\n")
    assert "real images kept per class (new images start from them):" in shown.output
    assert "\n2          12\n" in shown.output and "columns:" not in shown.output
    # a folder of images of another size for that model: refused (8x8 images were written
    # beside the folder's 10x10 ones, silently)
    X, y = digits
    digit_folder((np.pad(X, ((0, 0), (1, 1), (1, 1))), y), tmp_path / "larger")
    other = CliRunner().invoke(main, ["augment", str(tmp_path / "larger"), "-o",
                                      str(tmp_path / "c"), "--model", str(tmp_path / "m.vaeaug")])
    assert other.exit_code == 2
    assert other.stderr == ("Error: Images of 10x10 pixels, 1 channel differ from the 8x8 "
                            "pixels, 1 channel the model was fitted on.\n")
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("doc, heading", [("README.md", "## Images"),
                                          ("docs/images.md", "# Images")])
def test_image_examples_in_docs_run(doc, heading):
    # they used undefined `images` and `labels`
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / doc).read_text()
    code = text.split(heading)[1].split("```python")[1].split("```")[0]
    names: dict = {}
    exec(compile(code, doc, "exec"), names)
    assert names["images"].shape == (1475, 8, 8)
    assert Counter(names["y_res"].tolist()) == dict.fromkeys(range(10), 182)
    assert names["X_res"].shape == (1820, 8, 8) and 0 <= names["X_res"].min()
    assert names["X_res"].max() <= 16  # within the observed range
    if "new_images" in names:
        assert names["new_images"].shape == (50, 8, 8) and set(names["new_labels"]) == {3}


def test_tags_say_images_refuse_nan_and_tables_take_it():
    # the image sampler inherited the table sampler's allow_nan, and refuses NaN pixels
    from vaeaug import CVAEOverSampler

    assert CVAEOverSampler().__sklearn_tags__().input_tags.allow_nan
    assert not ImageCVAEOverSampler().__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        ImageCVAEOverSampler(epochs=1).fit(np.full((6, 4, 4), np.nan), [0, 0, 0, 0, 1, 1])


def test_evaluate_images_pairs_pixels_with_the_image_model(digits):
    # evaluation was for tables only: an image set had to be flattened by hand, and then
    # vaeaug's *table* model (standardised per pixel) stood in for the image model
    from vaeaug.image_evaluate import FlatImages, evaluate_images, image_samplers

    X, y = digits
    images = (X * 255 / 16).astype(np.uint8)[..., None]  # (N, 8, 8, 1) as a folder gives
    chosen = image_samplers(None, pd.DataFrame(images.reshape(len(images), -1)),
                            images.shape[1:])
    assert list(chosen) == ["none", "vaeaug", "smote", "ros"]
    assert isinstance(chosen["vaeaug"], FlatImages)
    assert isinstance(chosen["vaeaug"].sampler, ImageCVAEOverSampler)
    assert chosen["vaeaug"].image_shape == (8, 8, 1)
    fast = ImageCVAEOverSampler(**FAST)
    result = evaluate_images(torch.from_numpy(images), y, cv=3,
                             samplers={"none": None, "vaeaug": fast}, classifiers=["knn"])
    scores = result.scores
    assert len(scores) == 6 and scores.gmean.between(0, 1).all()
    # new images in every training fold; uint8 pixels stay uint8, the originals come first
    assert (scores.query("sampler == 'vaeaug'").n_synthetic > 0).all()
    rows = pd.DataFrame(images.reshape(len(images), -1))
    new_rows, new_y = FlatImages(fast, (8, 8, 1)).fit_resample(rows, y)
    assert new_rows.dtypes.eq(np.uint8).all() and list(new_rows.columns) == list(rows.columns)
    # the rows evaluate_images gives them: pixels in [0, 1], as floats
    unit = rows.astype(np.float32) / 255
    new_unit, _ = FlatImages(fast, (8, 8, 1)).fit_resample(unit, y)
    assert new_unit.dtypes.eq(np.float32).all() and new_unit.to_numpy().max() <= 1
    assert np.array_equal(new_rows.to_numpy()[: len(rows)], rows.to_numpy())
    assert Counter(new_y.tolist()) == {0: 182, 1: 182, 2: 182}
    with pytest.raises(ValueError, match=r"rows of 64 pixel values \(images of \(8, 8, 1\)\)"):
        FlatImages(fast, (8, 8, 1)).fit_resample(np.zeros((5, 10)), np.arange(5) % 2)
    with pytest.raises(ValueError, match=r"images must be shaped \(N, H, W\)"):
        evaluate_images(images.reshape(len(images), -1), y)


def test_evaluate_command_takes_an_image_folder(digits, tmp_path):
    # "Error: digits: a folder, not a table. Of the commands that train, only `vaeaug
    # augment` reads folders of images"
    src = digit_folder(digits, tmp_path / "digits")
    report = tmp_path / "report"
    args = ["evaluate", str(src), "--classifiers", "knn", "--samplers", "none,vaeaug,smote",
            "--folds", "2", "-q"]
    result = CliRunner().invoke(main, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "classifier: knn" in result.output and "vaeaug vs smote" in result.output
    assert sorted(p.name for p in report.iterdir()) == [
        "class_recall.png", "images.png", "metric_deltas.png", "report.md"]
    assert "`images.png`: for each class, a row of real images" in (
        report / "report.md").read_text()
    for extra, message in ((["-t", "label"], "--target is for tables"),
                           (["--na-values", "?"], "--na-values is for tables")):
        wrong = CliRunner().invoke(main, [*args, *extra])
        assert wrong.exit_code == 2 and message in wrong.output
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": range(10), "label": [0, 1] * 5}).to_csv(table, index=False)
    wrong = CliRunner().invoke(main, ["evaluate", str(table), "-t", "label", "--image-size",
                                      "8x8"])
    assert wrong.exit_code == 2 and "--image-size is for folders of images" in wrong.output


def test_image_evaluate_in_docs_is_the_real_output(tmp_path, monkeypatch,
                                                   image_docs_machine):
    # docs/images.md shows `vaeaug evaluate rare/`: the bundled digits with 3 and 8 made rare,
    # saved as PNGs in one folder per digit; only the timings may differ
    from PIL import Image

    from vaeaug.datasets import load_dataset

    X, y = load_dataset("digits")
    for i, (image, label) in enumerate(zip(
            (X.to_numpy().reshape(-1, 8, 8) * 255 / 16).astype(np.uint8), y)):
        (tmp_path / "rare" / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(tmp_path / "rare" / str(label) / f"{i:04d}.png")
    monkeypatch.chdir(tmp_path)
    docs = (Path(__file__).parents[1] / "docs" / "images.md").read_text()
    for command in ("vaeaug evaluate rare/ --classifiers logreg,knn -q",
                    "vaeaug evaluate rare/ --classifiers cnn -q"):
        shown = docs[docs.index(f"$ {command}\n") + len(command) + 3:]
        shown = shown[: shown.index("```")]
        result = CliRunner().invoke(main, command.split()[1:], prog_name="vaeaug")
        assert result.exit_code == 0, result.output
        assert without_seconds(result.output) == without_seconds(shown)


def test_a_small_cnn_classifies_rows_of_pixels(digits):
    # `evaluate_images` compared classifiers on pixel rows only; image users train CNNs
    from sklearn.base import clone

    from vaeaug.image_evaluate import ImageCNNClassifier, image_classifiers

    X, y = digits
    rows = (X / 16).reshape(len(X), -1)
    fast = ImageCNNClassifier((8, 8), epochs=5, random_state=0)
    fitted = clone(fast).fit(rows, y)
    assert list(fitted.classes_) == [0, 1, 2]
    proba = fitted.predict_proba(rows)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert (fitted.predict(rows) == y).mean() > 0.9  # digits 0-2 are easy
    again = clone(fast).fit(rows, y)  # the same seed, the same network
    np.testing.assert_array_equal(again.predict_proba(rows), proba)
    # channels last or first, as ImageCVAEOverSampler takes them
    for shape, pixels in (((8, 8, 3), np.repeat((X / 16)[..., None], 3, axis=3)),
                          ((3, 8, 8), np.repeat((X / 16)[:, None], 3, axis=1))):
        colour = ImageCNNClassifier(shape, epochs=2, random_state=0)
        assert colour.fit(pixels.reshape(len(X), -1), y).predict(
            pixels.reshape(len(X), -1)).shape == y.shape
    with pytest.raises(ValueError, match=r"rows of 64 pixel values \(images of \(8, 8\)\)"):
        fast.fit(np.zeros((5, 10)), np.arange(5) % 2)
    chosen = image_classifiers("logreg,cnn", (8, 8, 1), random_state=3)
    assert isinstance(chosen["cnn"], ImageCNNClassifier)
    assert chosen["cnn"].get_params()["image_shape"] == (8, 8, 1)
    assert chosen["cnn"].get_params()["random_state"] == 3


def test_the_cnn_classifier_leaves_torchs_global_random_state_alone(digits):
    # Seeded from random_state alone, like the samplers: building the network must not draw
    # torch's default initialisation from the global generator either.
    import torch

    from vaeaug.image_evaluate import ImageCNNClassifier

    X, y = digits
    torch.manual_seed(5)
    state = torch.get_rng_state()
    ImageCNNClassifier((8, 8), epochs=1, random_state=0).fit((X / 16).reshape(len(X), -1), y)
    assert torch.equal(torch.get_rng_state(), state)


def test_evaluate_command_takes_cnn_for_images_only(digits, tmp_path):
    src = digit_folder(digits, tmp_path / "digits")
    result = CliRunner().invoke(main, ["evaluate", str(src), "--classifiers", "cnn",
                                       "--samplers", "none", "--folds", "2", "-q"])
    assert result.exit_code == 0, result.output
    assert "classifier: cnn" in result.output
    csv = tmp_path / "t.csv"
    pd.DataFrame({"a": np.arange(20.0), "label": [0, 1] * 10}).to_csv(csv, index=False)
    table = CliRunner().invoke(main, ["evaluate", str(csv), "-t", "label", "--classifiers",
                                      "cnn", "-q"])
    assert table.exit_code == 2 and "unknown classifier 'cnn'" in table.output
