"""scikit-learn's and imbalanced-learn's estimator checks on CVAEOverSampler."""

import pytest
import sklearn
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks
from sklearn.utils.fixes import parse_version

from vaeaug import CVAEOverSampler

FAST = CVAEOverSampler(epochs=2, hidden_dims=(8,), latent_dim=2, random_state=0)


def as_list(mark: pytest.MarkDecorator) -> pytest.MarkDecorator:
    """The same parametrization with its values in a list: imbalanced-learn's decorator
    hands pytest a generator, which pytest 9.1 deprecates and pytest 10 will reject."""
    names, values = mark.args
    return pytest.mark.parametrize(names, list(values), **mark.kwargs)


def known_check_bugs(estimator) -> dict[str, str]:
    """Checks that fail in scikit-learn itself before they reach the estimator."""
    if parse_version(sklearn.__version__) >= parse_version("1.7"):
        return {}
    return {"check_positive_only_tag_during_fit":
            "scikit-learn 1.6 casts X to int32 for an estimator that takes categorical input, "
            "then subtracts a float mean in place: a UFuncTypeError in the check (1.7 runs "
            "it, and it passes)"}


@sklearn_checks([FAST], expected_failed_checks=known_check_bugs)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@as_list(imblearn_checks([FAST]))
def test_imblearn_compatible(estimator, check):
    check(estimator)
