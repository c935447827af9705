"""On a CUDA GPU: the same results as the CPU's code paths promise (skipped without one).

``bash benchmarks/gpu_check.sh`` runs these, with the sampler tests, on a lent GPU machine.
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from vaeaug import CVAEOverSampler, ImageCVAEOverSampler, cuda_graphs
from vaeaug.model import CVAE, init_parameters

from .test_fast_step import SPANS, assert_matches_autograd

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("kind", ["numeric", "mixed"])
def test_fast_step_matches_autograd_on_cuda(kind):
    spans = SPANS[kind]
    model = CVAE(spans[-1].stop, 3, 4, (16, 8)).cuda()
    init_parameters(model, torch.Generator(device="cuda").manual_seed(1))
    assert_matches_autograd(model, spans, 0.3, device="cuda")


def fit_twice(make, X, y, autocast: bool = False):
    """Weights and 200 sampled rows of two fits with the same random_state."""
    results = []
    for _ in range(2):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            sampler = make().fit(X, y)
            rows, _ = sampler.sample(200, random_state=1)
        assert sampler.device_.type == "cuda"  # device="auto"
        results.append(({k: v.cpu() for k, v in sampler.module_.state_dict().items()},
                        np.asarray(rows)))
    return results


@pytest.mark.parametrize("autocast", [False, True])
def test_table_fit_is_reproducible_on_cuda(mixed_frame, autocast):
    X, y = mixed_frame
    (w1, rows1), (w2, rows2) = fit_twice(
        lambda: CVAEOverSampler(epochs=20, random_state=0), X, y, autocast)
    for name in w1:
        assert torch.equal(w1[name], w2[name]), name
    assert rows1.shape == (200, X.shape[1])
    assert (rows1 == rows2).all()


def test_image_fit_is_reproducible_on_cuda():
    X, y = make_classification(n_samples=300, n_features=64, random_state=0)
    images = (X.reshape(-1, 8, 8) > 0).astype(np.float32)
    (w1, rows1), (w2, rows2) = fit_twice(
        lambda: ImageCVAEOverSampler(epochs=5, channels=(4, 8), random_state=0), images, y)
    for name in w1:
        assert torch.equal(w1[name], w2[name]), name
    np.testing.assert_array_equal(rows1, rows2)


def test_cuda_graphs_train_the_same_model(mixed_frame, monkeypatch):
    X, y = mixed_frame
    made = []

    class Recorded(cuda_graphs.GraphedStep):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(cuda_graphs, "GraphedStep", Recorded)
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(cuda_graphs, "ENABLED", enabled)
        sampler = CVAEOverSampler(epochs=20, random_state=0).fit(X, y)
        rows, _ = sampler.sample(200, random_state=1)
        results.append(({k: v.cpu() for k, v in sampler.module_.state_dict().items()},
                        np.asarray(rows), sampler.history_))
    assert len(made) == 1 and made[0].replays > 0  # the first fit replayed graphs
    (w1, rows1, hist1), (w2, rows2, hist2) = results
    for name in w1:
        assert torch.equal(w1[name], w2[name]), name
    assert (rows1 == rows2).all()
    assert hist1 == hist2


def test_image_evaluation_runs_its_cnn_and_sampler_on_cuda():
    # the CNN trained on the CPU only; with device="auto" it takes the GPU, as the samplers do
    from sklearn.datasets import load_digits

    from vaeaug.image_evaluate import ImageCNNClassifier, evaluate_images

    d = load_digits()
    keep = np.flatnonzero(d.target < 3)
    rows, y = (d.images[keep] / 16).reshape(len(keep), -1), d.target[keep]
    fitted = [ImageCNNClassifier((8, 8), epochs=5, random_state=0).fit(rows, y)
              for _ in range(2)]
    assert fitted[0].device_.type == "cuda"
    assert next(fitted[0].net_.parameters()).is_cuda
    proba = fitted[0].predict_proba(rows)
    assert isinstance(proba, np.ndarray)
    np.testing.assert_array_equal(fitted[1].predict_proba(rows), proba)  # reproducible
    assert (fitted[0].predict(rows) == y).mean() > 0.9
    on_cpu = ImageCNNClassifier((8, 8), epochs=5, random_state=0, device="cpu").fit(rows, y)
    assert (on_cpu.predict(rows) == fitted[0].predict(rows)).mean() > 0.95
    rare = np.flatnonzero(y < 2).tolist() + np.flatnonzero(y == 2)[:15].tolist()
    result = evaluate_images(d.images[keep][rare], y[rare], samplers=["none", "vaeaug"],
                             classifiers=["cnn"], cv=3, progress=False)
    scores = result.summary()
    assert set(scores.index.get_level_values("sampler")) == {"none", "vaeaug"}
    assert np.isfinite(scores.to_numpy(dtype=float)).all()
