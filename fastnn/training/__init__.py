"""The training layer: from validated arrays to a trained network.

- :mod:`.data`: training data in the kernels' form.
- :mod:`.minibatch`: optimizer state, workspaces and one epoch of a stochastic
  solver (:class:`~.minibatch.MinibatchTrainer`); the training settings.
- :mod:`.loop`: the epoch loop: shuffling, early stopping, learning-rate
  schedules, divergence rollback, callbacks (:func:`~.loop.train_stochastic`),
  and what it keeps between calls (:class:`~.loop.Progress`).
- :mod:`.lbfgs`: full-batch loss and gradient, and SciPy's L-BFGS-B.
- :mod:`.schedules`, :mod:`.reporting`, :mod:`.threads`.

It knows nothing of scikit-learn's estimator API; the estimators
(:mod:`fastnn.estimators`) validate, keep the parameters and call in here.
"""
