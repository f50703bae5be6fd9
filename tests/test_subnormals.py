"""Training flushes subnormal floats to zero (fastnn.training.subnormals)."""
import contextlib

import numpy as np
import pytest

from fastnn import DNNClassifier
from fastnn.training import minibatch, subnormals

pytestmark = pytest.mark.skipif(not subnormals.SUPPORTED,
                                reason="no flush-to-zero control on this CPU")
TINY = np.finfo(np.float32).tiny


def test_flush_subnormals_sets_and_restores_the_control_word():
    assert not subnormals.flushing()
    with subnormals.flush_subnormals():
        assert subnormals.flushing()
        x = np.array([TINY], np.float32)
        assert (x * np.float32(0.5))[0] == 0.0  # a subnormal result becomes 0
    assert not subnormals.flushing()
    assert (np.array([TINY], np.float32) * np.float32(0.5))[0] > 0.0
    with pytest.raises(RuntimeError), subnormals.flush_subnormals():
        raise RuntimeError
    assert not subnormals.flushing()


def _adam_state_after_rare_features(monkeypatch, flush):
    """Adam's first moment of the weights of a feature that is nonzero in one row
    only decays by beta_1 every step after that row's batch: twelve such
    features, 20 steps apart, leave some of it in the subnormal range."""
    if not flush:
        monkeypatch.setattr(minibatch, "flush_subnormals", contextlib.nullcontext)
    rng = np.random.default_rng(0)
    steps, rare = 1000, 12
    X = rng.standard_normal((2 * steps, rare + 4)).astype(np.float32)
    X[:, :rare] = 0.0
    for j in range(rare):
        X[2 * (steps - 780 - 20 * j), j] = 1.0
    y = (X[:, rare] > 0).astype(int)
    model = DNNClassifier((8,), batch_size=2, max_iter=1, shuffle=False, alpha=0.0,
                          random_state=0).fit(X, y)
    assert not subnormals.flushing()  # the caller's control word is back
    state = model._trainer.state
    return state[np.abs(state) > 0], model


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_training_leaves_no_subnormal_optimizer_state(monkeypatch):
    flushed, model = _adam_state_after_rare_features(monkeypatch, flush=True)
    assert np.abs(flushed).min() >= TINY
    monkeypatch.undo()
    unflushed, plain = _adam_state_after_rare_features(monkeypatch, flush=False)
    assert np.abs(unflushed).min() < TINY  # the case the flush is for
    # far below anything an update resolves: the same model either way
    np.testing.assert_allclose(model.coefs_[1], plain.coefs_[1], rtol=1e-5, atol=1e-7)
