"""scikit-learn's and imbalanced-learn's estimator checks on CVAEOverSampler."""

import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from vaeaug import CVAEOverSampler

FAST = CVAEOverSampler(epochs=2, hidden_dims=(8,), latent_dim=2, random_state=0)


def as_list(mark: pytest.MarkDecorator) -> pytest.MarkDecorator:
    """The same parametrization with its values in a list: imbalanced-learn's decorator
    hands pytest a generator, which pytest 9.1 deprecates and pytest 10 will reject."""
    names, values = mark.args
    return pytest.mark.parametrize(names, list(values), **mark.kwargs)


@sklearn_checks([FAST])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@as_list(imblearn_checks([FAST]))
def test_imblearn_compatible(estimator, check):
    check(estimator)
