"""Parameter documentation shared by both estimators (written once, used twice)."""

SHARED_PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
    The ith element is the number of neurons in the ith hidden layer.

activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
    Activation of the hidden layers: ``z``, ``1 / (1 + exp(-z))``,
    ``tanh(z)`` or ``max(z, 0)``.

solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
    Weight optimizer. ``'sgd'``: ``v = momentum * v - lr * g`` then
    ``p += v`` (or ``p += momentum * v - lr * g`` with Nesterov momentum).
    ``'adam'``: ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)``.
    ``'lbfgs'``: SciPy's L-BFGS-B on the full-batch loss (small data sets).

alpha : float, default=0.0001
    L2 strength: the loss gains ``alpha / (2 * sum(w)) * ||W||^2`` per batch,
    ``sum(w)`` being the batch's total sample weight.

batch_size : int or 'auto', default='auto'
    Minibatch size of the stochastic solvers; ``'auto'`` is
    ``min(200, n_samples)``.

learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
    Schedule of the ``'sgd'`` solver: constant; ``lr_init / (t + 1) ** power_t``
    after each epoch, ``t`` the number of samples seen; or divided by 5 each time
    ``n_iter_no_change`` epochs fail to improve by ``tol``.

learning_rate_init : float, default=0.001
    Initial learning rate of ``'sgd'`` and ``'adam'``.

power_t : float, default=0.5
    Exponent of the ``'invscaling'`` schedule.

max_iter : int, default=200
    Maximum number of epochs (stochastic solvers) or iterations (``'lbfgs'``).

shuffle : bool, default=True
    Shuffle the samples every epoch (stochastic solvers).

random_state : int, RandomState instance or None, default=None
    Seeds the initialisation, the validation split and the shuffling. The same
    value (and thread count) gives bit-identical results.

tol : float, default=1e-4
    Improvement below which an epoch counts as no improvement.

verbose : bool, default=False
    Print the loss of each epoch.

warm_start : bool, default=False
    Reuse the fitted weights as the starting point of the next ``fit``.

momentum : float, default=0.9
    Momentum of ``'sgd'``, in [0, 1].

nesterovs_momentum : bool, default=True
    Use Nesterov's momentum with ``'sgd'``.

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified for
    single-output classifiers) and stop when its score fails to improve by
    ``tol`` for ``n_iter_no_change`` epochs; the best weights are restored.

validation_fraction : float, default=0.1
    Share of the training data held out for early stopping.

beta_1, beta_2 : float, default=0.9, 0.999
    Adam's decay rates of the first and second moment estimates, in [0, 1).

epsilon : float, default=1e-8
    Adam's numerical-stability constant.

n_iter_no_change : int, default=10
    Epochs without improvement tolerated before stopping (stochastic solvers).

max_fun : int, default=15000
    Maximum number of loss evaluations of ``'lbfgs'``.

dtype : {'float32', 'float64'}, default='float32'
    Compute dtype of the parameters and of every kernel. Input of any real
    dtype is converted once to it.
"""

SHARED_ATTRIBUTES = """\
loss_ : float
    Training loss (with the L2 term) at the end of the last epoch.

best_loss_ : float or None
    Lowest training loss seen (stochastic solvers; None with early stopping).

loss_curve_ : list of float
    Training loss of each epoch (stochastic solvers).

validation_scores_ : list of float or None
    Validation score of each epoch when ``early_stopping=True``.

best_validation_score_ : float or None
    Best validation score when ``early_stopping=True``.

t_ : int
    Number of training samples seen by the solver.

coefs_ : list of ndarray of shape (fan_in, fan_out)
    Weight matrix of each layer: views into one flat parameter buffer.

intercepts_ : list of ndarray of shape (fan_out,)
    Bias vector of each layer: views into the same buffer.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of the features seen during fit, when ``X`` had string column names.

n_iter_ : int
    Number of epochs (or L-BFGS iterations) run.

n_layers_ : int
    Number of layers, input and output included.

n_outputs_ : int
    Number of outputs.

out_activation_ : str
    Name of the output activation.
"""
