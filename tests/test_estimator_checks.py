"""scikit-learn's and imbalanced-learn's estimator checks on CVAEOverSampler."""

from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from vaeaug import CVAEOverSampler

FAST = CVAEOverSampler(epochs=2, hidden_dims=(8,), latent_dim=2, random_state=0)


@sklearn_checks([FAST])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@imblearn_checks([FAST])
def test_imblearn_compatible(estimator, check):
    check(estimator)
