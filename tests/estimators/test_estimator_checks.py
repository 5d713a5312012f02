"""scikit-learn's estimator checks on the 2-D array route, for every estimator."""

import functools

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

from skpoe import ESTIMATORS

EXPECTED_FAILED_CHECKS = {
    "check_classifiers_classes": (
        "the check uses -1 as a class label; -1 marks unlabeled rows, as in sklearn.semi_supervised"
    ),
}

#: Checks that compare outputs at scikit-learn's default rtol=1e-7: a float32
#: network's predict_proba / score_samples differ at that level with the
#: composition of the batch (BLAS blocking), on some platforms and thread
#: counts and not on others. They are skipped here, not xfailed (they pass as
#: often as not), and test_batch_invariance_at_float32_precision checks the
#: same invariance at float32's precision.
FLOAT32_CHECKS = ("check_methods_sample_order_invariance", "check_methods_subset_invariance")

PARAMS = dict(
    n_components=4,
    hidden_layer_sizes=(32,),
    max_iter=30,
    batch_size=32,
    random_state=0,
    device="cpu",
)


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


def _check_name(check):
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


@parametrize_with_checks(
    [Estimator(**PARAMS) for Estimator in ESTIMATORS],
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    if _check_name(check) in FLOAT32_CHECKS:
        pytest.skip("compares at rtol=1e-7; see test_batch_invariance_at_float32_precision")
    check(estimator)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_batch_invariance_at_float32_precision(Estimator):
    X, y = load_digits(return_X_y=True)
    X, y = X[:200] / 16.0, y[:200]
    model = Estimator(**{**PARAMS, "max_iter": 3}).fit(X, y)
    order = np.random.RandomState(0).permutation(len(X))
    for method in ("predict_proba", "score_samples", "transform"):
        full = getattr(model, method)(X)
        np.testing.assert_allclose(
            getattr(model, method)(X[order]),
            full[order],
            rtol=1e-4,
            atol=1e-5,
            err_msg=f"{method}: row order",
        )
        np.testing.assert_allclose(
            getattr(model, method)(X[:37]),
            full[:37],
            rtol=1e-4,
            atol=1e-5,
            err_msg=f"{method}: a subset",
        )
