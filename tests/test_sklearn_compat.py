"""The scikit-learn estimator contract, checked by ``parametrize_with_checks``."""
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastnn import DNNClassifier, DNNRegressor

# These two checks compare a fit with weight 2 against a fit with the sample
# repeated at rtol=1e-7, below float32's resolution (about 6e-8 per operation,
# compounded over every update). They run in float64, as scikit-learn sets
# per-check parameters for its own estimators; everything else runs with the
# default float32.
_FLOAT64_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
}


@parametrize_with_checks(
    [
        DNNClassifier(max_iter=100),
        DNNRegressor(max_iter=100),
        DNNClassifier(solver="sgd", max_iter=100),
        DNNClassifier(solver="lbfgs", max_iter=100),
        DNNRegressor(solver="lbfgs", max_iter=100),
    ],
)
def test_sklearn_estimator_checks(estimator, check):
    if check.func.__name__ in _FLOAT64_CHECKS:
        estimator.set_params(dtype="float64")
    check(estimator)
