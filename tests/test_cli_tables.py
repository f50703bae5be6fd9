"""``fastnn`` on real-world tables (issue 15), each behaviour in a subprocess.

The table is the seeded customer table of :mod:`customers` (numeric columns
with gaps, text columns with rare levels, a yes / no target), with a boolean
and a small-integer column added.
"""
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import TransformedTargetRegressor

import fastnn
from customers import customer_frame
from customers_baseline import reference_accuracy
from fastnn import DNNClassifier, DNNRegressor, make_table_pipeline
from fastnn.cli.train import holdout
from fastnn.table.pipeline import final_network
from test_cli import run_fastnn

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NET = ["--hidden", "16", "--max-iter", "30", "--random-state", "0"]


def table(n_rows, seed):
    frame = customer_frame(n_rows, seed)
    rng = np.random.default_rng(seed)
    frame.insert(5, "autopay", rng.random(n_rows) < 0.6)        # read back as booleans
    frame.insert(6, "n_products", rng.integers(1, 4, n_rows))   # 1, 2 or 3
    return frame


def csv_output(res):
    assert res.returncode == 0, res.stderr
    return pd.read_csv(io.StringIO(res.stdout))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("tables")
    frame = table(1000, seed=7)
    frame.to_csv(d / "customers.csv", index=False)
    return d, frame


@pytest.fixture(scope="module")
def trained(data):
    d, _ = data
    res = run_fastnn("train", d / "customers.csv", "--target", "churn", *NET,
                     "--out", d / "model.fastnn")
    assert res.returncode == 0, res.stderr
    return d / "model.fastnn", res


def test_train_takes_the_table_as_it_comes_and_says_what_it_did(trained):
    path, res = trained
    lines = res.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("preprocessing:"))
    n_inputs = len(fastnn.load(path).named_steps["preprocess"].get_feature_names_out())
    assert lines[start] == (f"preprocessing: 10 columns -> {n_inputs} network inputs "
                            "(fastnn.TablePreprocessor)")
    columns = dict(line.strip().split(": ", 1) for line in lines[start + 1:start + 11])
    assert list(columns) == ["age", "income", "score", "tenure_months", "monthly_charges",
                             "autopay", "n_products", "region", "plan", "device"]
    assert "-> median" in columns["age"] and "indicator 'age=(missing)'" in columns["age"]
    assert "standardised (mean" in columns["tenure_months"]
    assert columns["autopay"].startswith("boolean (0/1), no missing values")
    assert columns["n_products"].startswith("numeric")  # integers stay numeric by default
    assert "rare grouped as 'region=(other)'" in columns["region"]
    assert columns["device"].startswith("categorical, 4 levels")
    accuracy = float(res.stdout.split("validation accuracy ")[1].split()[0])
    majority = float(res.stdout.split("most frequent class alone: ")[1].split(")")[0])
    assert accuracy > majority + 0.08
    with np.load(path, allow_pickle=False) as npz:  # the safe format, no pickle
        assert all(npz[f].dtype != object for f in npz.files)
        assert json.loads(bytes(npz["meta"]).decode())["pipeline"][0]["type"] == \
            "TablePreprocessor"


def test_predict_takes_the_raw_table_and_matches_the_python_pipeline(data, trained, tmp_path):
    d, frame = data
    path, _ = trained
    X = frame.drop(columns="churn")
    raw = frame[frame.columns[::-1]].assign(comment="ignored")  # reordered, one more column
    raw.loc[0, "region"] = "atlantis"                           # a level never seen
    raw.to_csv(tmp_path / "raw.csv", index=False)
    got = csv_output(run_fastnn("predict", path, tmp_path / "raw.csv", "--proba"))
    X.loc[0, "region"] = "atlantis"
    loaded = fastnn.load(path)
    assert_array_equal(got["prediction"], loaded.predict(X))
    assert_allclose(got[["proba_no", "proba_yes"]], loaded.predict_proba(X), rtol=1e-6)
    # the same pipeline built and fitted in Python on the rows train trained on
    X_tr, y_tr, _, _ = holdout(X, frame["churn"].to_numpy().astype(str), 0.1,
                               "classification", 0)
    by_hand = make_table_pipeline(DNNClassifier(hidden_layer_sizes=(16,), max_iter=30,
                                                random_state=0)).fit(X_tr, y_tr)
    assert_array_equal(by_hand.predict_proba(X), loaded.predict_proba(X))


def test_info_tells_every_step_and_the_epoch_the_model_keeps(trained, data, tmp_path):
    path, _ = trained
    res = run_fastnn("info", path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    net = final_network(fastnn.load(path))
    assert "model: Pipeline (preprocess: TablePreprocessor, model: DNNClassifier)" in out
    assert "features: 10: 'age', 'income'" in out
    assert "  region: categorical" in out and "  age: numeric" in out
    last = net.history_["val_score"][-1]
    assert f"kept weights: epoch 30 of 30 (the last), validation score {last:.4f}" in out
    best = int(np.argmax(net.history_["val_score"]))
    if best != 29:
        assert f"best validation score was {max(net.history_['val_score']):.4f} at epoch " \
               f"{best + 1}" in out
    d, _ = data
    res = run_fastnn("train", d / "customers.csv", "--target", "churn", "--hidden", "16",
                     "--max-iter", "40", "--early-stopping", "--n-iter-no-change", "3",
                     "--random-state", "0", "--out", tmp_path / "es.fastnn")
    assert res.returncode == 0, res.stderr
    net = final_network(fastnn.load(tmp_path / "es.fastnn"))
    kept = int(np.argmax(net.history_["val_score"])) + 1
    line = (f"kept weights: epoch {kept} of {net.n_iter_} (early stopping restored the best), "
            f"validation score {net.best_validation_score_:.4f}")
    assert line in res.stdout and line in run_fastnn("info", tmp_path / "es.fastnn").stdout


def test_options_change_each_preprocessing_choice(data, tmp_path):
    d, _ = data
    res = run_fastnn("train", d / "customers.csv", "--target", "churn", "--hidden", "4",
                     "--max-iter", "3", "--impute", "mean", "--no-missing-indicator",
                     "--no-standardize", "--min-frequency", "1", "--max-categories", "3",
                     "--categorical", "n_products", "--drop", "score,tenure_months",
                     "--out", tmp_path / "m.fastnn")
    assert res.returncode == 0, res.stderr
    pre = fastnn.load(tmp_path / "m.fastnn").named_steps["preprocess"]
    assert pre.get_params() == {**pre.get_params(), "impute": "mean", "missing_indicator": False,
                                "standardize": False, "min_frequency": 1, "max_categories": 3,
                                "categorical": ["n_products"]}
    names = list(pre.get_feature_names_out())
    assert "score" not in names and "age=(missing)" not in names
    assert names[names.index("n_products=1"):][:3] == ["n_products=1", "n_products=2",
                                                        "n_products=3"]
    assert "region=(other)" in names and sum(n.startswith("region=") for n in names) == 3
    assert "age: numeric, " in res.stdout and "-> mean" in res.stdout
    assert "not scaled" in res.stdout
    res = run_fastnn("train", d / "customers.csv", "--target", "churn", "--hidden", "4",
                     "--max-iter", "3", "--categorical-integers", "3",
                     "--out", tmp_path / "k.fastnn")
    assert "  n_products: categorical, 3 levels" in res.stdout


def test_regression_targets_are_standardised_and_predicted_in_their_units(data, tmp_path):
    d, frame = data
    res = run_fastnn("train", d / "customers.csv", "--target", "income", "--drop", "churn",
                     "--hidden", "16", "--max-iter", "30", "--random-state", "0",
                     "--out", tmp_path / "r.fastnn")
    # the target has gaps: those rows cannot train
    gaps = int(frame["income"].isna().sum())
    assert res.returncode == 2 and f"the target 'income' has {gaps} missing values" in res.stderr
    frame.dropna(subset=["income"]).to_csv(tmp_path / "incomes.csv", index=False)
    res = run_fastnn("train", tmp_path / "incomes.csv", "--target", "income", "--drop",
                     "churn", "--hidden", "16", "--max-iter", "30", "--random-state", "0",
                     "--out", tmp_path / "r.fastnn")
    assert res.returncode == 0, res.stderr
    assert "target: standardised for training (mean 5." in res.stdout
    model = fastnn.load(tmp_path / "r.fastnn")
    assert isinstance(model.named_steps["model"], TransformedTargetRegressor)
    got = csv_output(run_fastnn("predict", tmp_path / "r.fastnn", tmp_path / "incomes.csv"))
    y = frame["income"].dropna().to_numpy()
    assert abs(got["prediction"].mean() - y.mean()) < 0.2 * y.std()  # in dollars
    assert_allclose(got["prediction"], model.predict(frame.dropna(subset=["income"])),
                    rtol=1e-6)
    res = run_fastnn("train", tmp_path / "incomes.csv", "--target", "income", "--drop",
                     "churn", "--hidden", "4", "--max-iter", "2", "--no-standardize-target",
                     "--out", tmp_path / "u.fastnn")
    assert res.returncode == 0, res.stderr
    assert "target: standardised" not in res.stdout
    assert isinstance(fastnn.load(tmp_path / "u.fastnn").named_steps["model"], DNNRegressor)


def test_npz_files_use_their_feature_names(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)).astype(np.float32) * [1, 100, 5]
    X[::7, 1] = np.nan
    y = np.nan_to_num(X[:, 1]) / 100 + X[:, 0] + 0.1 * rng.normal(size=300)
    names = np.array(["rooms", "total_bedrooms", "ocean_proximity=INLAND"])
    np.savez(tmp_path / "houses.npz", X=X, y=y, feature_names=names)
    res = run_fastnn("train", tmp_path / "houses.npz", "--no-preprocess", "--out",
                     tmp_path / "m.fastnn")
    assert res.returncode == 2 and "missing values in column 'total_bedrooms'" in res.stderr
    res = run_fastnn("train", tmp_path / "houses.npz", *NET, "--out", tmp_path / "m.fastnn")
    assert res.returncode == 0, res.stderr
    assert re.search(r"  total_bedrooms: numeric, \d+ missing \(1\d\.\d%\) -> median",
                     res.stdout)
    info = run_fastnn("info", tmp_path / "m.fastnn").stdout
    assert "features: 3: 'rooms', 'total_bedrooms', 'ocean_proximity=INLAND'" in info
    order = [2, 0, 1]  # the same columns in another order: taken by name
    np.savez(tmp_path / "new.npz", X=X[:, order], feature_names=names[order])
    got = csv_output(run_fastnn("predict", tmp_path / "m.fastnn", tmp_path / "new.npz"))
    model = fastnn.load(tmp_path / "m.fastnn")
    assert_allclose(got["prediction"], model.predict(pd.DataFrame(X, columns=names)),
                    rtol=1e-6)


def test_files_that_are_not_models_say_what_they_look_like(data, trained):
    d, _ = data
    path, _ = trained
    for res in (run_fastnn("info", d / "customers.csv"),
                run_fastnn("predict", d / "customers.csv", path)):
        assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
        assert "not a fastnn model file: it looks like CSV text" in res.stderr
        assert "pickle" not in res.stderr
    assert "the arguments look swapped; the order is fastnn predict MODEL DATA" in res.stderr


def test_option_typos_get_a_suggestion_and_no_abbreviation_is_taken(data, tmp_path):
    d, _ = data
    base = ["train", d / "customers.csv", "--target", "churn", "--out", tmp_path / "m.fastnn"]
    res = run_fastnn(*base, "--hiden", "64")
    assert res.returncode == 2 and "unrecognized arguments: --hiden 64" in res.stderr
    assert "--hiden: did you mean --hidden?" in res.stderr
    res = run_fastnn(*base, "--standard")
    assert res.returncode == 2 and "--standard: did you mean --standardize?" in res.stderr
    res = run_fastnn("trian", d / "customers.csv")
    assert res.returncode == 2 and "did you mean 'train'?" in res.stderr
    res = run_fastnn(*base, "--impute", "medain")
    assert res.returncode == 2 and "did you mean 'median'?" in res.stderr
    assert not (tmp_path / "m.fastnn").exists()


def test_init_from_a_pipeline_reuses_its_fitted_preprocessing(data, trained, tmp_path):
    d, frame = data
    path, _ = trained
    table(300, seed=11).to_csv(tmp_path / "more.csv", index=False)
    res = run_fastnn("train", tmp_path / "more.csv", "--target", "churn", "--hidden", "16",
                     "--max-iter", "3", "--init-from", path, "--out", tmp_path / "ft.fastnn")
    assert res.returncode == 0, res.stderr
    assert "taken from --init-from as it was fitted" in res.stdout
    assert "copied hidden layers [0]" in res.stderr
    source = fastnn.load(path).named_steps["preprocess"]
    tuned = fastnn.load(tmp_path / "ft.fastnn").named_steps["preprocess"]
    assert tuned.describe() == source.describe()
    res = run_fastnn("train", tmp_path / "more.csv", "--target", "churn", "--init-from", path,
                     "--impute", "mean", "--out", tmp_path / "x.fastnn")
    assert res.returncode == 2 and "brings its own fitted preprocessing" in res.stderr


def test_accuracy_matches_the_hand_built_mlpclassifier_pipeline(tmp_path):
    frame = customer_frame(2000, seed=5)
    frame.to_csv(tmp_path / "c.csv", index=False)
    res = run_fastnn("train", tmp_path / "c.csv", "--target", "churn", "--random-state", "0",
                     "--out", tmp_path / "m.fastnn")
    assert res.returncode == 0, res.stderr
    ours = float(res.stdout.split("validation accuracy ")[1].split()[0])
    theirs, majority = reference_accuracy(frame, "churn", seed=0)
    # 200 validation rows: a few rows either way is noise
    assert ours >= theirs - 0.04 and ours > majority + 0.1


@pytest.mark.slow
def test_accuracy_on_the_issues_20000_row_table(tmp_path):
    frame = customer_frame(20000, seed=0)
    frame.to_csv(tmp_path / "customers.csv", index=False)
    res = run_fastnn("train", tmp_path / "customers.csv", "--target", "churn",
                     "--random-state", "0", "--out", tmp_path / "m.fastnn")
    assert res.returncode == 0, res.stderr
    ours = float(res.stdout.split("validation accuracy ")[1].split()[0])
    theirs, _ = reference_accuracy(frame, "churn", seed=0)
    assert ours >= theirs - 0.01


def test_a_network_saved_alone_takes_and_needs_numeric_features(data, tmp_path):
    d, frame = data
    numbers = frame[["tenure_months", "monthly_charges", "churn"]]
    numbers.to_csv(tmp_path / "numbers.csv", index=False)
    res = run_fastnn("train", tmp_path / "numbers.csv", "--target", "churn", "--hidden", "8",
                     "--max-iter", "3", "--no-preprocess", "--out", tmp_path / "alone.fastnn")
    assert res.returncode == 0, res.stderr
    assert "preprocessing: none" in res.stdout
    assert isinstance(fastnn.load(tmp_path / "alone.fastnn"), DNNClassifier)
    assert "preprocessing: none saved" in run_fastnn("info", tmp_path / "alone.fastnn").stdout
    # fine-tuning it keeps the raw inputs, and refuses preprocessing options
    res = run_fastnn("train", tmp_path / "numbers.csv", "--target", "churn", "--hidden", "8",
                     "--max-iter", "2", "--init-from", tmp_path / "alone.fastnn",
                     "--out", tmp_path / "tuned.fastnn")
    assert res.returncode == 0 and "preprocessing: none" in res.stdout, res.stderr
    res = run_fastnn("train", tmp_path / "numbers.csv", "--target", "churn", "--init-from",
                     tmp_path / "alone.fastnn", "--impute", "mean", "--out", tmp_path / "x.fastnn")
    assert res.returncode == 2 and "saved without preprocessing" in res.stderr
    # predicting from text: the message says what this model needs
    frame.assign(monthly_charges="high").to_csv(tmp_path / "text.csv", index=False)
    res = run_fastnn("predict", tmp_path / "alone.fastnn", tmp_path / "text.csv")
    assert res.returncode == 2 and "non-numeric feature column 'monthly_charges'" in res.stderr
    assert "saved without preprocessing: prepare the data as it was for training" in res.stderr


def test_npz_training_works_without_pandas(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    X[::5, 1] = np.nan
    np.savez(tmp_path / "data.npz", X=X, y=(np.nan_to_num(X[:, 1]) > 0).astype(int),
             feature_names=np.array(["a", "b", "c"]))
    blocker = (  # pandas cannot be imported, as if it were not installed
        "import sys\n"
        "class NoPandas:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'pandas':\n"
        "            raise ImportError('no pandas here')\n"
        "sys.meta_path.insert(0, NoPandas())\n"
        "from fastnn.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n")
    res = subprocess.run([sys.executable, "-c", blocker, "train", str(tmp_path / "data.npz"),
                          "--hidden", "4", "--max-iter", "3", "--out",
                          str(tmp_path / "m.fastnn")],
                         capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr
    assert "x1: numeric, " in res.stdout and "indicator 'x1=(missing)'" in res.stdout
    assert "feature_names needs pandas" in res.stderr
    assert_allclose(fastnn.load(tmp_path / "m.fastnn").predict_proba(X).sum(axis=1), 1,
                    rtol=1e-5)
