"""ImageCVAEOverSampler and image folders."""

from collections import Counter

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from vaeaug import ImageCVAEOverSampler
from vaeaug.cli import main

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


def test_odd_image_sizes_are_padded_and_cropped():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(30, 10, 7), dtype=np.uint8)
    y = np.r_[np.zeros(24, int), np.ones(6, int)]
    X_res, _ = ImageCVAEOverSampler(**FAST).fit_resample(X, y)
    assert X_res.shape == (48, 10, 7) and X_res.dtype == np.uint8


@pytest.mark.parametrize("X, match", [
    (np.zeros((5, 4)), "Images must be shaped"),
    (np.zeros((5, 6, 6, 6)), "Cannot tell the channel axis"),
    (np.full((5, 4, 4), np.nan), "NaN or infinite"),
])
def test_bad_images(X, match):
    with pytest.raises(ValueError, match=match):
        ImageCVAEOverSampler(**FAST).fit(X, np.r_[0, 0, 0, 1, 1])


def test_image_folder_round_trip_with_cli(digits, tmp_path):
    from PIL import Image

    X, y = digits
    src = tmp_path / "digits"
    for i, (image, label) in enumerate(zip((X * 255 / 16).astype(np.uint8), y)):
        (src / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(src / str(label) / f"{i}.png")
    before = {p: p.read_bytes() for p in src.rglob("*.png")}
    out, grid = tmp_path / "out", tmp_path / "grid.png"
    args = ["augment", str(src), "--class-balance", "-o", str(out), "--grid", str(grid),
            "--epochs", "2", "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in src.rglob("*.png")} == before
    counts = {d.name: len(list(d.glob("*.png"))) for d in out.iterdir()}
    assert counts == {"0": 182, "1": 182, "2": 182}
    assert len(list((out / "2").glob("synthetic_*.png"))) == 170
    for p in src.rglob("*.png"):
        assert (out / p.parent.name / p.name).read_bytes() == p.read_bytes()
    with Image.open(grid) as image:  # a row per class that got synthetic images: 0 and 2
        assert image.size == (8 * 10, 2 * 10)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "exists; pass --force" in again.output
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0


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
