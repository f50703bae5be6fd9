"""One training run of one framework on one workload, shared by ``compare.py``
(speed) and ``quality.py`` (test metrics at equal epochs).

Every framework trains the same network (ReLU hidden layers of ``w.hidden``, a
linear, softmax or sigmoid output), on the same float32 data, with Adam at
learning rate 1e-3 and its other defaults, no weight penalty, the same batch
size, shuffled every epoch, and each framework's own default initialisation:

==========  ==================================================================
fastnn      ``DNNClassifier`` / ``DNNRegressor`` (``weight_init='auto'``)
sklearn     ``MLPClassifier`` / ``MLPRegressor``
torch       ``nn.Sequential`` of ``nn.Linear`` + ``nn.ReLU``, a plain loop
jax         a hand-written MLP (flax's defaults: LeCun-normal kernels, zero
            biases), ``optax.adam``, one jitted epoch: ``lax.scan`` over the
            minibatches of a permutation drawn inside the program
==========  ==================================================================

:func:`train` returns the test metric after each epoch count in ``checkpoints``
(accuracy, or RMSE for regression), the training seconds to the last checkpoint
(time spent evaluating intermediate checkpoints excluded), the time of one
``predict`` of the test rows, and fastnn's or JAX's compile (or cache-load) time,
measured apart in a warm-up run.
"""
import time
import warnings

import numpy as np

FRAMEWORKS = ("fastnn", "sklearn", "torch", "skorch", "jax")
LEARNING_RATE = 1e-3


def metric(task, out, y_te):
    """Test accuracy (``out`` holds class scores) or RMSE (``out`` predictions)."""
    out = np.asarray(out)
    if task == "regression":
        return float(np.sqrt(np.mean((out.ravel() - y_te) ** 2)))
    return float(np.mean(out.argmax(axis=1) == y_te))


class _Clock:
    """Training time with the evaluation of intermediate checkpoints left out."""

    def __init__(self):
        self.start = time.perf_counter()
        self.paused = 0.0

    def pause(self):
        return time.perf_counter()

    def resume(self, since):
        self.paused += time.perf_counter() - since

    def elapsed(self):
        return time.perf_counter() - self.start - self.paused


# ------------------------------------------------------------ sklearn-like
def _sklearn_like(lib, w, data, checkpoints, seed, params):
    X_tr, y_tr, X_te, y_te = data
    regression = w.task == "regression"
    if lib == "fastnn":
        from fastnn import DNNClassifier as Clf, DNNRegressor as Reg
    else:
        from sklearn.neural_network import MLPClassifier as Clf, MLPRegressor as Reg
    predict = "predict" if regression else "predict_proba"
    scores = {}
    last = max(checkpoints)
    clock = None

    def record(est, epoch):
        if epoch in checkpoints and epoch != last:
            since = clock.pause()
            scores[epoch] = metric(w.task, getattr(est, predict)(X_te), y_te)
            clock.resume(since)

    kwargs = dict(hidden_layer_sizes=w.hidden, solver="adam", learning_rate_init=LEARNING_RATE,
                  alpha=0.0, batch_size=w.batch_size, tol=0.0, n_iter_no_change=10**9,
                  shuffle=True, random_state=seed)
    kwargs.update(params or {})
    cls = Reg if regression else Clf
    extra = {}
    if lib == "fastnn":
        def make(epochs):
            return cls(max_iter=epochs, callbacks=[lambda est, info: record(est, info["epoch"])],
                       **kwargs)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(max_iter=1, **kwargs).fit(X_tr[:64], y_tr[:64])
        extra["compile_seconds"] = time.perf_counter() - start
    else:
        class Recording(cls):
            # scikit-learn has no callbacks; this hook runs once after every epoch
            def _update_no_improvement_count(self, *args):
                super()._update_no_improvement_count(*args)
                record(self, self.n_iter_)

        Recording.__name__ = cls.__name__

        def make(epochs):
            return Recording(max_iter=epochs, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make(last)
        clock = _Clock()
        model.fit(X_tr, y_tr)
        seconds = clock.elapsed()
    getattr(model, predict)(X_te[:10])
    start = time.perf_counter()
    out = getattr(model, predict)(X_te)
    extra["predict_seconds"] = time.perf_counter() - start
    scores[last] = metric(w.task, out, y_te)
    return scores, seconds, extra


# ------------------------------------------------------------------- torch
def _torch_module(torch, hidden, n_in, n_out):
    layers, prev = [], n_in
    for h in hidden:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
        prev = h
    layers.append(torch.nn.Linear(prev, n_out))
    return torch.nn.Sequential(*layers)


def torch_epoch(torch, model, opt, loss_fn, X, y, batch_size):
    """One epoch of minibatch training in PyTorch: a fresh ``torch.randperm``
    order, then a step of ``opt`` on ``loss_fn`` for each batch of it."""
    perm = torch.randperm(X.shape[0])
    for i in range(0, X.shape[0], batch_size):
        idx = perm[i : i + batch_size]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        opt.step()


def _n_outputs(w, y_tr):
    return 1 if w.task == "regression" else int(y_tr.max()) + 1


def _torch(w, data, checkpoints, seed, threads):
    import torch

    X_tr, y_tr, X_te, y_te = data
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    regression = w.task == "regression"
    model = _torch_module(torch, w.hidden, X_tr.shape[1], _n_outputs(w, y_tr))
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.MSELoss() if regression else torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(X_tr)
    y = torch.from_numpy(y_tr.reshape(-1, 1) if regression else y_tr.astype(np.int64))
    Xt = torch.from_numpy(X_te)

    def predict():
        with torch.inference_mode():
            out = model(Xt)
            return out.numpy().ravel() if regression else torch.softmax(out, 1).numpy()

    scores = {}
    clock = _Clock()
    for epoch in range(1, max(checkpoints) + 1):
        torch_epoch(torch, model, opt, loss_fn, X, y, w.batch_size)
        if epoch in checkpoints and epoch != max(checkpoints):
            since = clock.pause()
            scores[epoch] = metric(w.task, predict(), y_te)
            clock.resume(since)
    seconds = clock.elapsed()
    with torch.inference_mode():
        model(Xt[:10])
    start = time.perf_counter()
    out = predict()
    predict_seconds = time.perf_counter() - start
    scores[max(checkpoints)] = metric(w.task, out, y_te)
    return scores, seconds, {"predict_seconds": predict_seconds}


def _skorch(w, data, checkpoints, seed, threads):
    import torch
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    X_tr, y_tr, X_te, y_te = data
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    regression = w.task == "regression"
    cls = NeuralNetRegressor if regression else NeuralNetClassifier
    net = cls(_torch_module(torch, w.hidden, X_tr.shape[1], _n_outputs(w, y_tr)),
              criterion=torch.nn.MSELoss if regression else torch.nn.CrossEntropyLoss,
              optimizer=torch.optim.Adam, lr=LEARNING_RATE, batch_size=w.batch_size,
              max_epochs=max(checkpoints), train_split=None, iterator_train__shuffle=True,
              verbose=0)
    y = y_tr.reshape(-1, 1) if regression else y_tr.astype(np.int64)
    start = time.perf_counter()
    net.fit(X_tr, y)
    seconds = time.perf_counter() - start
    predict = net.predict if regression else net.predict_proba
    predict(X_te[:10])
    start = time.perf_counter()
    out = predict(X_te)
    predict_seconds = time.perf_counter() - start
    return {max(checkpoints): metric(w.task, out, y_te)}, seconds, {
        "predict_seconds": predict_seconds}


# --------------------------------------------------------------------- jax
def _jax_program(w, n, n_in, n_out):
    """``init(key)``, a jitted ``epoch(params, opt_state, key, X, Y)`` and a jitted
    ``predict(params, X)`` for this workload's shapes."""
    import jax
    import jax.numpy as jnp
    import optax

    regression = w.task == "regression"
    units = [n_in, *w.hidden, n_out]
    kernel_init = jax.nn.initializers.lecun_normal()  # flax.linen.Dense's default
    opt = optax.adam(LEARNING_RATE)

    def init(key):
        params = []
        for fan_in, fan_out in zip(units[:-1], units[1:]):
            key, sub = jax.random.split(key)
            params.append((kernel_init(sub, (fan_in, fan_out), jnp.float32),
                           jnp.zeros(fan_out, jnp.float32)))
        return params, opt.init(params)

    def forward(params, x):
        for W, b in params[:-1]:
            x = jax.nn.relu(x @ W + b)
        W, b = params[-1]
        return x @ W + b

    def loss_fn(params, x, y):
        out = forward(params, x)
        if regression:
            return jnp.mean((out[:, 0] - y) ** 2)
        return optax.softmax_cross_entropy_with_integer_labels(out, y).mean()

    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    bs = w.batch_size
    n_full, rest = divmod(n, bs)

    @jax.jit
    def epoch(params, opt_state, key, X, Y):
        perm = jax.random.permutation(key, n)

        def body(carry, idx):
            params, opt_state = carry
            params, opt_state, loss = step(params, opt_state, X[idx], Y[idx])
            return (params, opt_state), loss

        (params, opt_state), _ = jax.lax.scan(
            body, (params, opt_state), perm[: n_full * bs].reshape(n_full, bs))
        if rest:
            idx = perm[n_full * bs :]
            params, opt_state, _ = step(params, opt_state, X[idx], Y[idx])
        return params, opt_state

    @jax.jit
    def predict(params, X):
        out = forward(params, X)
        return out[:, 0] if regression else jax.nn.softmax(out, axis=1)

    return init, epoch, predict


def _jax(w, data, checkpoints, seed):
    import jax

    X_tr, y_tr, X_te, y_te = data
    regression = w.task == "regression"
    init, epoch, predict = _jax_program(w, X_tr.shape[0], X_tr.shape[1], _n_outputs(w, y_tr))
    X = jax.device_put(X_tr)
    Y = jax.device_put(y_tr.astype(np.float32) if regression else y_tr.astype(np.int32))
    Xt = jax.device_put(X_te)
    key = jax.random.PRNGKey(seed)
    key, init_key = jax.random.split(key)
    params, opt_state = init(init_key)
    # compile (not timed, as for fastnn): one epoch on copies, thrown away
    start = time.perf_counter()
    warm = epoch(params, opt_state, key, X, Y)
    jax.block_until_ready(warm)
    jax.block_until_ready(predict(params, Xt))
    compile_seconds = time.perf_counter() - start
    del warm
    scores = {}
    clock = _Clock()
    for e in range(1, max(checkpoints) + 1):
        key, sub = jax.random.split(key)
        params, opt_state = epoch(params, opt_state, sub, X, Y)
        if e in checkpoints and e != max(checkpoints):
            jax.block_until_ready(params)
            since = clock.pause()
            scores[e] = metric(w.task, np.asarray(predict(params, Xt)), y_te)
            clock.resume(since)
    jax.block_until_ready(params)
    seconds = clock.elapsed()
    start = time.perf_counter()
    out = np.asarray(predict(params, Xt))
    predict_seconds = time.perf_counter() - start
    scores[max(checkpoints)] = metric(w.task, out, y_te)
    return scores, seconds, {"predict_seconds": predict_seconds,
                             "compile_seconds": compile_seconds}


# ------------------------------------------------------------------ entry
def train(framework, w, data, checkpoints, seed=0, threads=1, params=None):
    """Train ``framework`` on workload ``w`` and score it at each checkpoint.

    Parameters
    ----------
    framework : str
        One of :data:`FRAMEWORKS`.
    w : workloads.Workload
        Network, batch size and task.
    data : tuple
        ``(X_train, y_train, X_test, y_test)``, float32 features.
    checkpoints : sequence of int
        Epoch counts after which to score on the test rows.
    seed : int
        Seed of the initialisation and of the shuffles.
    threads : int
        Threads for PyTorch (the others take theirs from the environment).
    params : dict or None
        Extra estimator parameters (fastnn and sklearn only).

    Returns
    -------
    dict
        ``scores`` ({epochs: metric}), ``seconds`` (training time to the last
        checkpoint) and ``predict_seconds``, ``compile_seconds`` where measured.
    """
    checkpoints = sorted(set(int(c) for c in checkpoints))
    if framework in ("fastnn", "sklearn"):
        scores, seconds, extra = _sklearn_like(framework, w, data, checkpoints, seed, params)
    elif framework == "torch":
        scores, seconds, extra = _torch(w, data, checkpoints, seed, threads)
    elif framework == "skorch":
        scores, seconds, extra = _skorch(w, data, checkpoints, seed, threads)
    elif framework == "jax":
        scores, seconds, extra = _jax(w, data, checkpoints, seed)
    else:
        raise ValueError(f"unknown framework {framework!r}; choose from {FRAMEWORKS}")
    return {"scores": scores, "seconds": seconds, **extra}
