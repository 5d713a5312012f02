"""scikit-learn's estimator checks on the 2-D array route, for every estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skpoe import ESTIMATORS

EXPECTED_FAILED_CHECKS = {
    "check_classifiers_classes": (
        "the check uses -1 as a class label; -1 marks unlabeled rows, as in "
        "sklearn.semi_supervised"
    ),
    "check_methods_sample_order_invariance": (
        "predict_proba / score_samples of a float32 network differ at the 1e-7 "
        "level with the composition of the batch (BLAS blocking)"
    ),
    "check_methods_subset_invariance": (
        "predict_proba / score_samples of a float32 network differ at the 1e-7 "
        "level with the composition of the batch (BLAS blocking)"
    ),
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [
        Estimator(
            n_components=4,
            hidden_layer_sizes=(32,),
            max_iter=30,
            batch_size=32,
            random_state=0,
            device="cpu",
        )
        for Estimator in ESTIMATORS
    ],
    expected_failed_checks=_expected_failed_checks,
    # not strict: the float32 differences come and go with the thread count,
    # platform and estimator (seen both ways here); the other failure is by
    # design and its behaviour is tested in test_validation/test_data
    xfail_strict=False,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
