"""Image oversampling on scikit-learn's 8x8 digits made imbalanced (and upscaled to 28x28).

Digits 1, 3 and 8 are cut to 8 % of their training images. A classifier (logistic regression,
and a small CNN) is trained with no oversampling, random oversampling, SMOTE (on flattened
pixels), and vaeaug (convolutional and MLP CVAE), and scored on an untouched, stratified half
of the data: balanced accuracy and the mean recall of the three rare digits, over 3 splits.

    python benchmarks/images.py                 # 8x8 (a few minutes on 2 cores)
    python benchmarks/images.py --size 28       # upscaled to 28x28: the conv path at scale
    python benchmarks/images.py --grid docs/images/digits_grid.png
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from torch import nn

from vaeaug import ImageCVAEOverSampler

RARE = (1, 3, 8)


def load(size: int) -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    images = (d.images * 255 / 16).astype(np.uint8)
    if size != 8:
        from PIL import Image

        images = np.stack([np.asarray(Image.fromarray(im).resize((size, size),
                                                                  Image.BILINEAR))
                           for im in images])
    return images, d.target


def cut(X: np.ndarray, y: np.ndarray, seed: int, keep: float = 0.08):
    rng = np.random.default_rng(seed)
    mask = np.ones(len(y), dtype=bool)
    for c in RARE:
        rows = np.flatnonzero(y == c)
        mask[rng.choice(rows, len(rows) - max(2, int(keep * len(rows))), replace=False)] = False
    return X[mask], y[mask]


def flat_sampler(sampler):
    """Apply a table oversampler to images by flattening the pixels."""
    def resample(X, y):
        Xf, yr = sampler.fit_resample(X.reshape(len(X), -1).astype(float), y)
        return np.clip(np.rint(Xf), 0, 255).astype(np.uint8).reshape(-1, *X.shape[1:]), yr
    return resample


def samplers(seed: int) -> dict:
    return {
        "none": lambda X, y: (X, y),
        "ros": flat_sampler(RandomOverSampler(random_state=seed)),
        "smote": flat_sampler(SMOTE(random_state=seed, k_neighbors=1)),
        "vaeaug-conv": ImageCVAEOverSampler(architecture="conv",
                                            random_state=seed).fit_resample,
        "vaeaug-mlp": ImageCVAEOverSampler(architecture="mlp", random_state=seed).fit_resample,
    }


def logreg(X, y, X_test, seed):
    clf = LogisticRegression(max_iter=3000).fit(X.reshape(len(X), -1) / 255, y)
    return clf.predict(X_test.reshape(len(X_test), -1) / 255)


def cnn(X, y, X_test, seed, epochs=30):
    """Two 3x3 convolutions, max-pooling, a linear layer; Adam, 30 epochs."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    size = X.shape[1]
    net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    Xt = torch.tensor(X[:, None] / 255, dtype=torch.float32)
    yt = torch.tensor(y)
    for _ in range(epochs):
        for idx in torch.randperm(len(Xt), generator=g).split(64):
            loss = nn.functional.cross_entropy(net(Xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return net(torch.tensor(X_test[:, None] / 255, dtype=torch.float32)).argmax(1).numpy()


def run(size: int, seeds: int, classifiers: dict) -> pd.DataFrame:
    X, y = load(size)
    rows = []
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.5, stratify=y,
                                                  random_state=seed)
        X_tr, y_tr = cut(X_tr, y_tr, seed)
        for s_name, resample in samplers(seed).items():
            start = time.perf_counter()
            X_res, y_res = resample(X_tr, y_tr)
            secs = time.perf_counter() - start
            for c_name, classify in classifiers.items():
                pred = classify(X_res, np.asarray(y_res), X_te, seed)
                recall = recall_score(y_te, pred, labels=list(RARE), average=None)
                rows.append({"sampler": s_name, "classifier": c_name, "seed": seed,
                             "balanced_accuracy": balanced_accuracy_score(y_te, pred),
                             "rare_recall": recall.mean(), "seconds": secs})
    return pd.DataFrame(rows)


def save_digit_grid(path: str, size: int = 8) -> None:
    from vaeaug.image_io import save_grid

    X, y = load(size)
    X, y = cut(X, y, 0)
    sampler = ImageCVAEOverSampler(random_state=0).fit(X, y)
    images, labels = sampler.sample(y={c: 10 for c in range(10)}, random_state=0)
    if size == 8:  # magnify for the eye
        images = images.repeat(4, axis=1).repeat(4, axis=2)
    save_grid(path, images, labels, per_class=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--no-cnn", action="store_true")
    ap.add_argument("--grid", help="also save a grid of generated digits (PNG)")
    a = ap.parse_args()
    classifiers = {"logreg": logreg} if a.no_cnn else {"logreg": logreg, "cnn": cnn}
    table = run(a.size, a.seeds, classifiers)
    summary = table.groupby(["classifier", "sampler"], sort=False)[
        ["balanced_accuracy", "rare_recall", "seconds"]].agg(["mean", "std"]).round(3)
    pd.set_option("display.width", 200)
    print(f"digits {a.size}x{a.size}, digits {RARE} cut to 8 % of training images, "
          f"{a.seeds} splits")
    print(summary.to_string())
    if a.grid:
        save_digit_grid(a.grid, a.size)
        print(f"wrote {a.grid}")


if __name__ == "__main__":
    main()
