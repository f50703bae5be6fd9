"""The compiled inference path: the Cython forward pass against NumPy."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_network, run_and_list_compiled
from numpy.testing import assert_allclose

import reference as ref
from fastnn.nn.activations import ACTIVATION_CODES
from fastnn.nn.output import OUTPUT_CODES

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out", sorted(OUTPUT_CODES))
@pytest.mark.parametrize("hidden", sorted(ACTIVATION_CODES))
def test_cython_and_numpy_forward_agree(hidden, out, dtype, rng):
    net = make_network((6, 8, 5, 3), hidden, out, dtype)
    X = rng.normal(size=(2100, 6)).astype(dtype)  # more rows than one chunk
    cython_out = net.forward(X)
    acts, _ = ref.forward(X.astype(float), [c.astype(float) for c in net.coefs],
                          [b.astype(float) for b in net.intercepts], hidden, out)
    assert cython_out.shape == (2100, 3)
    assert cython_out.dtype == dtype
    assert_allclose(cython_out, acts[-1], **TOL[dtype])
    assert_allclose(ref.inference_forward(net, X), acts[-1], **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_forward_equals_dense(dtype, rng):
    net = make_network((30, 7, 4), "relu", "softmax", dtype)
    X = sp.random(50, 30, density=0.1, format="lil", random_state=1, dtype=dtype)
    X[3] = 0  # an all-zero row
    X = X.tocsr()
    assert_allclose(net.forward(X), net.forward(X.toarray()), **TOL[dtype])
    empty = sp.csr_matrix((4, 30), dtype=dtype)
    assert_allclose(net.forward(empty), net.forward(np.zeros((4, 30), dtype)), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden", ["relu", "prelu", "tanh"])
def test_batch_norm_folded_into_weights_equals_running_statistics_path(hidden, dtype, rng):
    net = make_network((6, 8, 5, 3), hidden, "softmax", dtype, batch_norm=True)
    for l, width in enumerate((8, 5)):
        for part, values in [("gamma", rng.uniform(0.5, 2, width)),
                             ("beta", rng.normal(size=width)),
                             ("running_mean", rng.normal(size=width)),
                             ("running_var", rng.uniform(0.2, 3, width))]:
            net.part(l, part)[...] = values
        if hidden == "prelu":
            net.part(l, "prelu_slopes")[...] = rng.uniform(0, 0.5, width)
    X = rng.normal(size=(300, 6)).astype(dtype)
    folded = net.forward(X)
    z = X.astype(float)
    for l in range(2):
        z = z @ net.coefs[l] + net.intercepts[l]
        g, b, m, v = (net.part(l, c).astype(float)
                      for c in ("gamma", "beta", "running_mean", "running_var"))
        z = g * (z - m) / np.sqrt(v + 1e-5) + b
        slope = net.part(l, "prelu_slopes") if hidden == "prelu" else 0.0
        z = ref.ACTIVATIONS[hidden][0](z, slope)
    expected = ref.softmax(z @ net.coefs[2] + net.intercepts[2])
    assert_allclose(folded, expected, **TOL[dtype])
    assert_allclose(ref.inference_forward(net, X), expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_norm", [False, True])
def test_layer_norm_inference_normalises_each_row(batch_norm, dtype, rng):
    net = make_network((6, 8, 5, 3), "gelu", "softmax", dtype, batch_norm=batch_norm,
                       layer_norm=True)
    for l, width in enumerate((8, 5)):
        net.part(l, "ln_gamma")[...] = rng.uniform(0.5, 2, width)
        net.part(l, "ln_beta")[...] = rng.normal(size=width)
        if batch_norm:
            net.part(l, "running_var")[...] = rng.uniform(0.2, 3, width)
    for n_rows in (3, 300):  # the direct loop and the BLAS path
        X = rng.normal(size=(n_rows, 6)).astype(dtype)
        assert_allclose(net.forward(X), ref.inference_forward(net, X), **TOL[dtype])
    hidden = net.forward(X, hidden_layer=0)
    z = X.astype(float) @ net.coefs[0] + net.intercepts[0]
    if batch_norm:
        z = z / np.sqrt(net.part(0, "running_var").astype(float) + 1e-5)
    z = ref.layernorm(z, net.part(0, "ln_gamma").astype(float), net.part(0, "ln_beta"))
    assert_allclose(hidden, ref.ACTIVATIONS["gelu"][0](z, 0.0), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_rows", [1, 3, 8, 9])
def test_small_batches_take_the_direct_loop_and_agree(n_rows, dtype, rng):
    net = make_network((6, 8, 5, 3), "relu", "softmax", dtype)
    X = rng.normal(size=(n_rows, 6)).astype(dtype)
    X[0, :3] = 0  # zero inputs are skipped by the direct loop
    acts, _ = ref.forward(X.astype(float), [c.astype(float) for c in net.coefs],
                          [b.astype(float) for b in net.intercepts], "relu", "softmax")
    assert_allclose(net.forward(X), acts[-1], **TOL[dtype])


def test_prediction_fast_path_matches_full_validation(rng):
    from fastnn import DNNClassifier

    X = rng.normal(size=(120, 5))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    row = X[:1]
    fast = clf.predict_proba(row)  # small plain array: fast path
    slow = clf.predict_proba(sp.csr_matrix(row))  # sparse: full validation
    assert_allclose(fast, slow, rtol=1e-6)
    assert_allclose(clf.predict_proba(X[:3].astype(np.int64)),
                    clf.predict_proba(sp.csr_matrix(X[:3].astype(np.int64))), rtol=1e-6)
    bad = row.copy()
    bad[0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(bad)
    with pytest.raises(ValueError, match="features"):
        clf.predict_proba(X[:1, :4])
    with pytest.raises(ValueError):
        clf.predict(np.array([["a"] * 5], dtype=object))


def test_import_fastnn_loads_neither_sklearn_nor_numba():
    code = ("import sys, fastnn; print(sorted(m for m in ('sklearn', 'numba') "
            "if m in sys.modules)); fastnn.DNNClassifier; "
            "print('numba' in sys.modules and 'sklearn' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert res.stdout.split("\n")[:2] == ["[]", "True"]


def test_logistic_outputs_stay_strictly_inside_0_1():
    net = make_network((2, 3, 2), "relu", "logistic", np.float32)
    out = net.forward(np.array([[1e4, 1e4], [-1e4, -1e4]], dtype=np.float32))
    assert ((out > 0) & (out < 1)).all()


def test_predict_in_fresh_process_compiles_nothing(tmp_path):
    from sklearn.datasets import load_iris

    from fastnn import DNNClassifier

    X, y = load_iris(return_X_y=True)
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    stdout = run_and_list_compiled(f"""
        import pickle
        clf = pickle.loads(open({str(path)!r}, "rb").read())
        X = np.asarray({X[:5].tolist()!r})
        print(clf.predict(X).tolist(), clf.predict_proba(X).shape)
    """)
    assert "COMPILED []" in stdout
    assert str(clf.predict(X[:5]).tolist()) in stdout
