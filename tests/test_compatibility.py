"""Files written by fastnn 0.1 (before the plan of layer ops): pickles and native
model files load, predict as they did (to float32 rounding on another CPU's BLAS
kernels, see ``assert_predicts_as_stored``) and continue training."""
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import fastnn
from conftest import assert_predicts_as_stored

DATA = Path(__file__).parent / "data"


def _load_pickle(name):
    with open(DATA / name, "rb") as fh:
        return pickle.load(fh)


@pytest.mark.parametrize("name, expected, method", [
    ("fastnn01_classifier.pkl", "fastnn01_classifier_proba.npy", "predict_proba"),
    ("fastnn01_regressor.pkl", "fastnn01_regressor_pred.npy", "predict"),
])
def test_pickles_of_fastnn_0_1_predict_as_they_did_and_continue(name, expected, method):
    X = np.load(DATA / "fastnn01_X.npy")
    est = _load_pickle(name)
    assert_predicts_as_stored(getattr(est, method)(X), np.load(DATA / expected))
    assert type(est).__module__.startswith("fastnn.estimators")
    n_iter, t = len(est.loss_curve_), est.t_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, est.predict(X))
    assert len(est.loss_curve_) == n_iter + 1 and est.t_ == t + len(X)
    assert est._trainer.step > 0  # the optimizer state came along
    again = pickle.loads(pickle.dumps(est))
    assert_array_equal(getattr(again, method)(X), getattr(est, method)(X))


def test_a_format_3_model_file_loads_predicts_and_continues():
    X = np.load(DATA / "fastnn01_X.npy")
    est = fastnn.load(DATA / "format_v3_classifier.fastnn")
    assert_predicts_as_stored(est.predict_proba(X), np.load(DATA / "fastnn01_classifier_proba.npy"))
    assert est._trainer.state.shape[0] == 2  # Adam's m and v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, est.predict(X))
    assert np.isfinite(est.loss_curve_[-1])
