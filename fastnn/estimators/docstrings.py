"""Parameter documentation shared by both estimators (written once, used twice)."""

SHARED_PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
    The ith element is the number of neurons in the ith hidden layer.

activation : str, default='relu'
    Activation of the hidden layers:

    - ``'identity'``: ``z``; ``'logistic'`` (alias ``'sigmoid'``):
      ``1 / (1 + exp(-z))``; ``'tanh'``; ``'relu'``: ``max(z, 0)``;
    - ``'leaky_relu'``: ``z if z > 0 else 0.01 z``;
    - ``'prelu'``: ``z if z > 0 else a_j z``, slope ``a_j`` learned per unit
      (initialised to 0.25);
    - ``'rrelu'``: slope drawn from ``U(1/8, 1/3)`` per element in training,
      their mean ``11/48`` at inference;
    - ``'elu'``: ``z if z > 0 else exp(z) - 1``; ``'selu'``: ``1.0507 * (z if
      z > 0 else 1.6733 (exp(z) - 1))``; ``'gelu'``: ``z Phi(z)`` (exact);
      ``'silu'``: ``z sigmoid(z)``; ``'mish'``: ``z tanh(log(1 + exp(z)))``.

solver : str, default='adam'
    Weight optimizer, ``g`` the gradient and ``lr`` the learning rate:

    - ``'sgd'``: ``v = momentum v - lr g`` then ``p += v`` (or
      ``p += momentum v - lr g`` with Nesterov momentum);
    - ``'adam'``: ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
      ``p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)``
      (scikit-learn's form);
    - ``'adagrad'``: ``G += g^2``, ``p -= lr g / (sqrt(G) + epsilon)``;
    - ``'rmsprop'``: ``s = rho s + (1 - rho) g^2``,
      ``p -= lr g / (sqrt(s) + epsilon)``;
    - ``'adamw'``: ``p -= lr weight_decay p`` (decoupled decay), then Adam
      with bias-corrected ``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)``:
      ``p -= lr m_hat / (sqrt(v_hat) + epsilon)``;
    - ``'nadam'``: Adam with Nesterov momentum,
      ``m_hat = b1 m / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)``;
    - ``'lbfgs'``: SciPy's L-BFGS-B on the full-batch loss (small data sets).

alpha : float, default=0.0001
    L2 strength: the loss gains ``alpha / (2 * sum(w)) * ||W||^2`` per batch,
    ``sum(w)`` being the batch's total sample weight.

batch_size : int or 'auto', default='auto'
    Minibatch size of the stochastic solvers; ``'auto'`` is
    ``min(200, n_samples)``.

learning_rate : str, default='constant'
    Learning-rate schedule of every stochastic solver, applied after each epoch
    (``e`` epochs done and ``t`` samples seen since the model was initialised,
    so warm starts and ``partial_fit`` continue the schedule):

    - ``'constant'``: ``lr_init``;
    - ``'invscaling'``: ``lr_init / (t + 1) ** power_t``;
    - ``'adaptive'``: divided by 5 each time ``n_iter_no_change`` epochs fail
      to improve by ``tol`` (training stops once it is below 1e-6);
    - ``'step'``: ``lr_init * lr_decay ** (e // lr_step_epochs)``;
    - ``'exponential'``: ``lr_init * lr_decay ** e``;
    - ``'cosine'``: ``lr_init * (1 + cos(pi e / max_iter)) / 2``, zero at
      ``max_iter``.

learning_rate_init : float, default=0.001
    Initial learning rate of the stochastic solvers.

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

verbose : bool or int, default=False
    0 / False: silent. 1 / True: a progress bar with the loss and validation
    metrics when standard error is a terminal, else one line per epoch.
    2: one line per epoch.

warm_start : bool, default=False
    Reuse the fitted weights as the starting point of the next ``fit``.

momentum : float, default=0.9
    Momentum of ``'sgd'``, in [0, 1].

nesterovs_momentum : bool, default=True
    Use Nesterov's momentum with ``'sgd'``.

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data (stratified for
    binary and multiclass targets; scikit-learn stratifies binary only) and stop when its score fails to improve by
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

weight_init : str, default='auto'
    Initial weights. The named schemes draw uniform or normal weights of
    variance ``2 / (fan_in + fan_out)`` (``'glorot_uniform'``,
    ``'glorot_normal'``), ``2 / fan_in`` (``'he_uniform'``, ``'he_normal'``) or
    ``1 / fan_in`` (``'lecun_normal'``) and start the biases at zero.
    ``'sklearn'``: scikit-learn's MLP scheme (uniform weights and biases, the
    same draws as ``MLPClassifier`` for the same ``random_state``);
    ``'pytorch'``: ``nn.Linear``'s defaults (weights and biases from
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``).

    ``'auto'``, chosen by measuring test scores at equal epochs against
    PyTorch, JAX and scikit-learn (``benchmarks/quality.py``, 16 datasets, 3,
    10 and 50 epochs of Adam), for the ReLU family (relu, leaky_relu, prelu,
    rrelu, elu, gelu, silu) and a stochastic solver:

    - weights uniform with half of Glorot's variance, ``1 / (fan_in +
      fan_out)``, in every layer. Shallow networks on standardised tables
      learn faster and generalise better from small weights (with Adam's
      fixed step size, small weights move further per step); He's ``2 /
      fan_in``, right for keeping variance through depth, made a (64, 64)
      network reach 0.919 accuracy after 3 epochs on ``make_classification``
      data where PyTorch's smaller default reached 0.938 and this scheme
      0.941 (mean of 3 seeds).
    - hidden layers of deep stacks get at least ``2 ** (1 - 8 / n_hidden) /
      fan_in``: the signal loses at most a factor ``2 ** 8`` of variance
      through the hidden layers, and the variance tends to He's as depth
      grows (a 16 x 64 network on digits: 0.935 after 10 epochs, against 0.816
      for the best peer).
    - hidden biases from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (PyTorch's),
      so the units' kinks do not all pass through the origin; the output
      layer starts without a floor and its bias at the targets' prior (the
      mean target, or the log class frequencies), so the first epochs are not
      spent learning the offset (Friedman #1 with targets around 14: RMSE
      1.37 after 10 epochs against 1.66 for the best peer).

    With L-BFGS, ``'auto'`` is He uniform with zero biases (larger weights did
    better there). LeCun normal for selu, Glorot uniform for logistic, tanh
    and identity. Where the measurements still favour a peer: raw-pixel data
    after 3 epochs (digits 0.917 against 0.930 for scikit-learn's larger
    init), a 6 x 64 network on standardised data at 10 and 50 epochs (PyTorch's
    smaller init, 0.841 and 0.864 against 0.831 and 0.844, 6 seeds;
    ``weight_init='pytorch'`` matches PyTorch there, 0.840 and 0.863, and
    leaves an 8 x 64 network on digits at 0.417 after 3 epochs, where this
    default reaches 0.854) and two-moons
    after 3 epochs (0.880 against PyTorch's 0.899, 6 seeds). That one is the
    output parametrisation, not the init: PyTorch's two-output softmax gets
    opposite gradients on its two logits, so Adam moves their difference by
    twice the step. PyTorch with one logistic output reaches 0.886, and 0.898
    with that output's learning rate doubled (12 seeds); scikit-learn (one
    output) 0.882, JAX 0.884. fastnn keeps ``MLPClassifier``'s single logistic
    output for two classes (``coefs_[-1]`` of shape ``(n_units, 1)``).

batch_norm : bool, default=False
    Make every hidden layer dense -> batch norm -> activation, with a learned
    scale and shift per unit: ``h = gamma (z - mu) / sqrt(var + 1e-5) + beta``,
    batch statistics in training and running statistics at inference, where
    the normalisation is folded into the dense weights.

batch_norm_momentum : float, default=0.1
    Running statistics update ``r = (1 - momentum) r + momentum * batch_stat``
    (PyTorch's convention; the running variance uses the unbiased estimate).

layer_norm : bool, default=False
    Normalise each row's pre-activations in every hidden layer over its units
    (after batch norm when both are on), with a learned scale and shift per
    unit: ``h = gamma (z - mean_row) / sqrt(var_row + 1e-5) + beta``. Unlike
    batch norm it does not depend on the batch, so training and prediction
    compute the same thing.

dropout : float or tuple of float, default=0.0
    Inverted dropout after each hidden layer's activation: one rate for all
    hidden layers or one per hidden layer. In training each unit is kept with
    probability ``1 - p`` and scaled by ``1 / (1 - p)``; at inference it is the
    identity. Masks are drawn from ``random_state``.

l1 : float, default=0.0
    L1 strength, scaled like ``alpha``: the loss gains
    ``l1 / sum(w) * sum(|W|)`` per batch.

max_norm : float or None, default=None
    After each update, rescale each unit's incoming weight vector (a column of
    ``coefs_[l]``) to L2 norm at most ``max_norm``.

clip_norm : float or None, default=None
    Rescale the gradient of all parameters together to global L2 norm at most
    ``clip_norm`` before each update.

clip_value : float or None, default=None
    Clip each gradient element to ``[-clip_value, clip_value]`` before each
    update (applied before ``clip_norm``).

input_noise : float, default=0.0
    Standard deviation of Gaussian noise added to the inputs of every training
    batch (data augmentation for tabular data; needs dense input).

rho : float, default=0.9
    Decay of ``'rmsprop'``'s moving average of squared gradients.

weight_decay : float, default=0.01
    Decoupled weight decay of ``'adamw'``.

lr_decay : float or None, default=None
    Factor of the ``'step'`` and ``'exponential'`` schedules; None means 0.1
    for ``'step'`` and 0.95 for ``'exponential'``.

lr_step_epochs : int, default=10
    Epochs between decays of the ``'step'`` schedule.

callbacks : list of callable or None, default=None
    Called after every epoch as ``callback(estimator, epoch_info)``, with
    ``epoch_info`` a dict of ``epoch`` (the epoch number within this call,
    ``n_iter_``), ``loss, val_loss, val_score, learning_rate, epoch_time``;
    returning True stops training.

init_from : estimator, str, path-like or None, default=None
    Transfer learning: a fitted fastnn estimator or the path of a saved model
    (``est.save(path)``). At the start of a fresh fit, the hidden layers whose
    shapes match are copied from it (from the input side, stopping at the first
    mismatch; batch-norm statistics and PReLU slopes too) and a warning says
    which; the output layer is built fresh for the new target. With
    ``weight_init='auto'`` and every hidden layer copied, it is drawn small for
    the copied features (initial outputs with standard deviation 0.2 on the
    training rows), so the loss starts near that of a model that knows nothing
    (``log n_classes``) rather than from large random outputs on trained
    features; otherwise fresh layers follow ``weight_init``. The input width
    must match. Inside ``GridSearchCV`` pass a path: estimator-valued parameters
    are cloned unfitted.

freeze_layers : int, tuple of int or None, default=None
    Transfer learning: hidden layers whose parameters do not train. An int
    ``k`` freezes the first ``k`` hidden layers (``k = len(hidden_layer_sizes)``
    retrains only the output layer); a tuple lists hidden-layer indices
    (negative ones count from the last hidden layer). A frozen layer's weights,
    bias, batch-norm scale, shift and running statistics and PReLU slopes stay
    bit-identical through training: its batch norm runs in inference mode, it
    gets no weight gradient, no optimizer state, no clipping, max-norm or
    weight penalty, and backpropagation stops below the lowest trainable layer.
    Dropout after a frozen layer still applies. Changing it between
    ``partial_fit`` calls keeps the optimizer state of the parameters that stay
    trainable.

n_threads : int or None, default=None
    Threads that ``fit``, ``partial_fit`` and prediction may use, in Numba's
    kernels and in the BLAS calls inside them (set per call in the calling
    thread with ``numba.set_num_threads`` and ``threadpoolctl``, restored
    afterwards). ``None``: all available, within the limits the environment
    sets, with two exceptions for minibatch training, whose BLAS threads wait
    for each other at every product: a network whose largest per-batch matrix
    product is below 8M multiply-adds uses one BLAS thread (a second gains
    little there and, spinning between products, slows the first), and a
    larger one uses only the CPUs that other processes leave free when the call
    starts (on Linux, from ``/proc/loadavg``; at least one). A thread whose
    core another process holds stalls the others: on 2 cores beside one busy
    process, two threads were 14x slower than one. The
    thread count can change the last bits of large products, so a fit with
    ``None`` is reproducible on a machine in the same state; pass a number for
    results that do not depend on the load. Use ``n_threads=1`` when a search
    runs one fit per core (``GridSearchCV(n_jobs=-1)``), so that the workers do
    not oversubscribe.
"""

#: The last parameter of both signatures (the classifier's ``class_weight`` comes
#: before it), kept apart so that the documented order is the signature's.
DTYPE_PARAMETER = """\
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
    Validation score of each epoch when there is a validation set
    (``early_stopping=True`` or ``X_val`` given), else None.

best_validation_score_ : float or None
    Best validation score when ``early_stopping=True``.

validation_loss_curve_ : list of float
    Data loss (no penalty terms) on the validation set after each epoch, when
    there is one.

history_ : dict of list
    Per epoch: ``loss``, ``val_loss``, ``val_score`` (None without a validation
    set), ``learning_rate`` (the rate used during the epoch) and
    ``epoch_time`` (seconds).

t_ : int
    Number of training samples seen by the solver.

coefs_ : list of ndarray of shape (fan_in, fan_out)
    Weight matrix of each layer: views into one flat parameter buffer.

intercepts_ : list of ndarray of shape (fan_out,)
    Bias vector of each layer: views into the same buffer.

n_features_in_ : int
    Number of features seen during fit.

feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen during fit, when ``X`` had string column names.

n_iter_ : int
    Number of epochs (or L-BFGS iterations) run by the last call to ``fit``,
    as in ``MLPClassifier``: a warm-started ``fit`` trains ``max_iter`` more
    epochs and reports those, and ``partial_fit`` leaves 1. ``t_``,
    ``loss_curve_`` and ``history_`` keep counting across calls.

n_layers_ : int
    Number of layers, input and output included.

n_outputs_ : int
    Number of outputs.

out_activation_ : str
    Name of the output activation.
"""
