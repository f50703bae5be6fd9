"""The scikit-learn estimators: parameters, validation and the estimator contract."""
