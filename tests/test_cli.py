"""The ``fastnn`` command: demo, train, predict and info.

Each command runs once in a subprocess on a small file (the real entry point:
``python -m fastnn``); the many error paths run in-process through
``fastnn.cli.main``, which is what the subprocess calls too.
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastnn
from fastnn import DNNClassifier, DNNRegressor, cli
from fastnn.cli.data import (
    MAX_AUTO_CLASSES,
    choose_task,
    numeric_features,
    read_prediction_features,
    read_training_data,
)
from fastnn.cli.errors import CLIError
from fastnn.cli.options import EXCLUDED, estimator_kwargs, option_specs
from fastnn.cli.train import holdout
from fastnn.table.pipeline import final_network

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

IRIS_OPTS = ["--hidden", "16", "--max-iter", "100", "--learning-rate-init", "0.01",
             "--random-state", "0"]


def run_fastnn(*args, cwd=None):
    """``python -m fastnn ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "fastnn", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600,
                          check=False)


def run_main(capsys, *args):
    """``fastnn.cli.main(ARGS)`` in this process: (exit status, stdout, stderr)."""
    try:
        status = cli.main([str(a) for a in args])
    except SystemExit as exc:  # argparse's usage errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(status, err, *fragments):
    """Exit status 2 and one error line, last on stderr (after notes or warnings, if
    any, one line each); no traceback."""
    assert status == 2
    lines = err.strip().splitlines()
    assert [line.startswith("fastnn: error: ") for line in lines].count(True) == 1, err
    assert lines[-1].startswith("fastnn: error: ")
    assert all(line.startswith(("fastnn: note: ", "fastnn: warning: ")) for line in lines[:-1])
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[-1], lines[-1]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small data files: iris as CSV (string labels), a badly scaled regression as
    .npz and as .npy (target in the last column), and broken files."""
    from sklearn.datasets import load_iris

    d = tmp_path_factory.mktemp("data")
    iris = load_iris(as_frame=True)
    frame = iris.frame.drop(columns="target")
    frame["species"] = np.array(iris.target_names)[iris.target]
    frame.to_csv(d / "iris.csv", index=False)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X @ [3.0, -2.0, 1.0, 0.5] + 0.3 * rng.normal(size=300)
    X = X * [100, 1, 0.01, 5] + [1000, -50, 0, 20]  # far from unit scale
    np.savez(d / "reg.npz", X=X, y=y * 1000 + 5e4)
    np.save(d / "reg.npy", np.column_stack([X, y]))
    (d / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5,6,7\n")
    (d / "text.csv").write_text("a,colour,y\n1,red,0\n2,blue,1\n3,red,0\n4,blue,1\n")
    (d / "corrupt.fastnn").write_bytes(b"PK\x03\x04 not really a zip archive")
    return d


@pytest.fixture(scope="module")
def iris_model(files, tmp_path_factory):
    """A classifier trained on iris.csv by ``fastnn train`` (in a subprocess)."""
    path = tmp_path_factory.mktemp("models") / "iris.fastnn"
    res = run_fastnn("train", files / "iris.csv", "--target", "species", *IRIS_OPTS,
                     "--out", path)
    assert res.returncode == 0, res.stderr
    return path, res


def test_demo_prints_accuracy_and_time_next_to_mlpclassifier():
    res = subprocess.run(
        [sys.executable, "-m", "fastnn", "demo", "--epochs", "20", "--hidden", "32"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    ours = next(line for line in lines if line.startswith("fastnn DNNClassifier"))
    theirs = next(line for line in lines if line.startswith("sklearn MLPClassifier"))
    for line in (ours, theirs):
        accuracy, seconds = map(float, line.split()[-2:])
        assert 0.5 < accuracy <= 1.0 and seconds > 0
    assert "Warning" not in res.stderr


def test_unknown_command_exits_non_zero():
    res = subprocess.run([sys.executable, "-m", "fastnn", "nonsense"], capture_output=True,
                         text=True, check=False)
    assert res.returncode != 0
    assert "invalid choice" in res.stderr


# ------------------------------------------------------------ each command, subprocess
def test_train_csv_reports_task_split_metrics_and_saves(files, iris_model):
    path, res = iris_model
    out = res.stdout
    assert "target 'species'" in out and "150 rows, 4 feature columns" in out
    assert "task: classification of 3 classes (setosa, versicolor, virginica)" in out
    assert "135 to train, 15 to validate" in out
    accuracy = float(out.split("validation accuracy ")[1].split()[0])
    assert 0.8 <= accuracy <= 1.0
    epochs, seconds = re.search(r"trained: (\d+) epochs in (\S+) s", out).groups()
    assert float(seconds) > 0
    if epochs == "100":  # stopped by --max-iter: the warning is one line
        assert "fastnn: warning: Stochastic Optimizer: Maximum iterations (100)" in res.stderr
    assert "Traceback" not in res.stderr
    pipeline = fastnn.load(path)
    model = final_network(pipeline)
    assert isinstance(model, DNNClassifier) and model.n_iter_ == int(epochs)
    assert model.hidden_layer_sizes == (16,) and model.max_iter == 100
    assert model.learning_rate_init == 0.01 and model.random_state == 0
    assert list(pipeline.named_steps["preprocess"].feature_names_in_) == list(
        pd.read_csv(files / "iris.csv").columns[:4])
    # the held-out rows were scored every epoch
    assert len(model.history_["val_score"]) == model.n_iter_
    assert model.history_["val_score"][-1] == pytest.approx(accuracy, abs=1e-4)


def test_predict_writes_the_models_predictions_as_csv(files, iris_model, tmp_path):
    path, _ = iris_model
    res = run_fastnn("predict", path, files / "iris.csv", "--proba")
    assert res.returncode == 0, res.stderr
    got = pd.read_csv(pd.io.common.StringIO(res.stdout))
    model = fastnn.load(path)
    X = pd.read_csv(files / "iris.csv").drop(columns="species")
    assert list(got.columns) == ["prediction"] + [f"proba_{c}" for c in model.classes_]
    assert (got["prediction"].to_numpy() == model.predict(X)).all()
    np.testing.assert_allclose(got.iloc[:, 1:].to_numpy(), model.predict_proba(X), rtol=1e-6)
    # --out writes a file and says so on standard output
    res = run_fastnn("predict", path, files / "iris.csv", "--out", tmp_path / "p.csv")
    assert res.returncode == 0 and "wrote 150 predictions" in res.stdout
    assert (pd.read_csv(tmp_path / "p.csv")["prediction"] == got["prediction"]).all()


def test_info_prints_classes_features_training_and_layers(iris_model):
    path, _ = iris_model
    res = run_fastnn("info", path)
    assert res.returncode == 0, res.stderr
    model = final_network(fastnn.load(path))
    out = res.stdout
    assert "model: DNNClassifier" in out
    assert "3 classes: 'setosa', 'versicolor', 'virginica'" in out
    assert "features: 4: 'sepal length (cm)'" in out
    assert f"training: {model.n_iter_} epochs of adam" in out
    assert "hidden_layer_sizes=(16,)" in out and "learning_rate_init=0.01" in out
    assert f"total parameters: {model.summary().total_params:,}" in out
    assert "dense_1" in out and "softmax" in out


def test_train_npz_regression_with_standardize_then_predict(files, tmp_path):
    model_path = tmp_path / "reg.fastnn"
    res = run_fastnn("train", files / "reg.npz", "--hidden", "32", "--max-iter", "100",
                     "--learning-rate-init", "0.01", "--random-state", "0", "--standardize",
                     "--out", model_path)
    assert res.returncode == 0, res.stderr
    assert "task: regression (auto: non-integer values)" in res.stdout
    r2 = float(res.stdout.split("validation R^2 ")[1].split(",")[0])
    assert r2 > 0.95  # unscaled, the same network stays far lower (see the note test)
    res = run_fastnn("predict", model_path, files / "reg.npz")
    assert res.returncode == 0, res.stderr
    got = pd.read_csv(pd.io.common.StringIO(res.stdout))["prediction"].to_numpy()
    model = fastnn.load(model_path)
    with np.load(files / "reg.npz") as data:
        np.testing.assert_allclose(got, model.predict(data["X"]), rtol=1e-6)
        assert np.corrcoef(got, data["y"])[0, 1] > 0.97  # raw units: the scaling is folded in


def test_train_and_predict_npy_with_a_target_column_index(files, tmp_path):
    model_path = tmp_path / "npy.fastnn"
    res = run_fastnn("train", files / "reg.npy", "--target", "-1", "--solver", "lbfgs",
                     "--hidden", "8", "--max-iter", "50", "--random-state", "0",
                     "--standardize", "--out", model_path)
    assert res.returncode == 0, res.stderr
    assert "target column 4" in res.stdout and "L-BFGS iterations" in res.stdout
    res = run_fastnn("predict", model_path, files / "reg.npy", "--target", "-1")
    assert res.returncode == 0, res.stderr
    assert len(pd.read_csv(pd.io.common.StringIO(res.stdout))) == 300


def test_errors_in_a_subprocess_are_one_line_without_traceback(files):
    res = run_fastnn("train", files / "missing.csv", "--target", "y", "--out", "m.fastnn")
    assert_one_error_line(res.returncode, res.stderr, "missing.csv: no such file")
    res = run_fastnn("info", files / "corrupt.fastnn")
    assert_one_error_line(res.returncode, res.stderr, "Cannot load fastnn model",
                          "corrupt.fastnn")


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_train_shows_a_progress_bar_on_a_terminal(files, tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "fastnn", "train", str(files / "iris.csv"), "--target",
         "species", "--hidden", "8", "--max-iter", "7", "--out", str(tmp_path / "m.fastnn")],
        stdout=subprocess.PIPE, stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.communicate(timeout=600)
    os.close(master)
    terminal = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, terminal
    assert "7/7" in terminal and "epoch/s" in terminal and "val_score=" in terminal


# ------------------------------------------------------------ errors, in-process
ERRORS = {
    "ragged-csv": (["train", "{d}/ragged.csv", "--target", "c"],
                   ["ragged.csv: not a valid CSV file", "Expected 3 fields"]),
    "unknown-target-column": (["train", "{d}/iris.csv", "--target", "colour"],
                              ["no column 'colour'", "'species'"]),
    "csv-without-target": (["train", "{d}/iris.csv"], ["--target COLUMN"]),
    "text-feature-without-preprocessing": (["train", "{d}/text.csv", "--target", "y",
                                            "--no-preprocess"],
                                           ["non-numeric feature column 'colour'",
                                            "leave out --no-preprocess"]),
    "preprocessing-option-without-preprocessing": (
        ["train", "{d}/text.csv", "--target", "y", "--no-preprocess", "--impute", "mean"],
        ["--impute is a preprocessing option, but --no-preprocess"]),
    "standardize-target-for-classification": (
        ["train", "{d}/iris.csv", "--target", "species", "--standardize-target"],
        ["--standardize-target applies to regression only"]),
    "unknown-drop-column": (["train", "{d}/iris.csv", "--target", "species", "--drop", "zz"],
                            ["--drop names no column 'zz'"]),
    "invalid-value": (["train", "{d}/iris.csv", "--target", "species", "--dropout", "1.5"],
                      ["'dropout' parameter", "Got 1.5", "(option --dropout)"]),
    "bad-list": (["train", "{d}/iris.csv", "--target", "species", "--hidden", "64,abc"],
                 ["argument --hidden", "comma-separated list of integers"]),
    "bad-choice": (["train", "{d}/iris.csv", "--target", "species", "--solver", "sgdd"],
                   ["argument --solver: invalid choice: 'sgdd'"]),
    "bad-integer": (["train", "{d}/iris.csv", "--target", "species", "--max-iter", "2.5"],
                    ["argument --max-iter", "expected an integer"]),
    "text-regression": (["train", "{d}/iris.csv", "--target", "species", "--task",
                         "regression"], ["not numeric", "--task classification"]),
    "option-of-other-task": (["train", "{d}/iris.csv", "--target", "species", "--loss",
                              "poisson"], ["--loss applies to regression only"]),
    "unknown-class-weight": (["train", "{d}/iris.csv", "--target", "species",
                              "--class-weight", "cat:2"], ["--class-weight names cat", "setosa"]),
    "npz-key": (["train", "{d}/reg.npz", "--target", "z"], ["no array 'z'", "'X', 'y'"]),
    "npy-without-target": (["train", "{d}/reg.npy"], ["--target INDEX"]),
    "npy-bad-index": (["train", "{d}/reg.npy", "--target", "9"],
                      ["--target 9 is not a column"]),
    "unknown-suffix": (["train", "{d}/corrupt.fastnn", "--target", "y"], ["unknown file type"]),
    "plot-format": (["train", "{d}/reg.npz", "--plot", "{d}/history.xyz"],
                    ["cannot save a picture in this format"]),
    "corrupt-model": (["predict", "{d}/corrupt.fastnn", "{d}/iris.csv"],
                      ["Cannot load fastnn model"]),
    "missing-model": (["predict", "{d}/missing.fastnn", "{d}/iris.csv"], ["No such file"]),
    "not-a-model": (["info", "{d}/iris.csv"],
                    ["Cannot load fastnn model",
                     "not a fastnn model file: it looks like CSV text"]),
    "missing-arguments": (["predict"], ["the following arguments are required: MODEL, DATA"]),
    "init-from-a-file-that-is-not-a-model": (["train", "{d}/reg.npz", "--init-from",
                                              "{d}/corrupt.fastnn"],
                                             ["Cannot load fastnn model", "truncated"]),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_each_error_is_one_line_and_exit_status_2(files, tmp_path, capsys, case):
    if case == "plot-format":
        pytest.importorskip("matplotlib")  # without it --plot says how to install it
    args, fragments = ERRORS[case]
    args = [a.format(d=files) for a in args]
    if args[0] == "train":
        if "--max-iter" not in args:
            args += ["--max-iter", "3"]
        args += ["--out", tmp_path / "m.fastnn"]
    status, _, err = run_main(capsys, *args)
    assert_one_error_line(status, err, *fragments)
    assert not (tmp_path / "m.fastnn").exists()


def test_plot_without_matplotlib_is_a_clean_error_before_training(files, tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    status, _, err = run_main(capsys, "train", files / "reg.npz", "--max-iter", "3", "--out",
                              tmp_path / "m.fastnn", "--plot", tmp_path / "h.png")
    assert_one_error_line(status, err, "needs matplotlib", "pip install")
    assert not (tmp_path / "m.fastnn").exists()


def test_predict_input_errors_name_the_columns_or_width(files, iris_model, tmp_path, capsys):
    path, _ = iris_model
    frame = pd.read_csv(files / "iris.csv")
    frame.drop(columns="petal width (cm)").to_csv(tmp_path / "short.csv", index=False)
    status, _, err = run_main(capsys, "predict", path, tmp_path / "short.csv")
    assert_one_error_line(status, err, "missing column 'petal width (cm)'")
    np.save(tmp_path / "wide.npy", np.zeros((5, 6)))
    status, _, err = run_main(capsys, "predict", path, tmp_path / "wide.npy")
    assert_one_error_line(status, err, "6 feature columns, but the model was trained on 4")
    np.save(tmp_path / "flat.npy", np.zeros(5))
    status, _, err = run_main(capsys, "predict", path, tmp_path / "flat.npy")
    assert_one_error_line(status, err, "must be 2-D", "(5,)")
    reg = DNNRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(np.zeros((20, 4)), np.zeros(20))
    reg.save(tmp_path / "reg.fastnn")
    status, _, err = run_main(capsys, "predict", tmp_path / "reg.fastnn", tmp_path / "wide.npy",
                              "--proba")
    assert_one_error_line(status, err, "--proba needs a classifier")


def test_predict_takes_csv_columns_by_name(files, iris_model, tmp_path, capsys):
    path, _ = iris_model
    frame = pd.read_csv(files / "iris.csv")
    shuffled = frame[frame.columns[::-1]].assign(extra=1.0)  # reordered, one more column
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    status, out, _ = run_main(capsys, "predict", path, tmp_path / "shuffled.csv")
    assert status == 0
    got = pd.read_csv(pd.io.common.StringIO(out))["prediction"].to_numpy()
    assert (got == fastnn.load(path).predict(frame.drop(columns="species"))).all()


def test_predict_takes_arrays_by_position_for_a_csv_model(files, iris_model, tmp_path, capsys):
    path, _ = iris_model
    X = pd.read_csv(files / "iris.csv").drop(columns="species")
    np.save(tmp_path / "iris.npy", X.to_numpy())
    status, out, err = run_main(capsys, "predict", path, tmp_path / "iris.npy")
    assert status == 0 and err == ""  # no feature-name warning
    got = pd.read_csv(pd.io.common.StringIO(out))["prediction"].to_numpy()
    assert (got == fastnn.load(path).predict(X)).all()


def test_train_without_held_out_rows_reports_training_metrics(files, tmp_path, capsys):
    model_path = tmp_path / "m.fastnn"
    status, out, err = run_main(capsys, "train", files / "iris.csv", "--target", "species",
                                "--validation-fraction", "0", "--solver", "lbfgs",
                                "--hidden", "8", "--max-iter", "30", "--random-state", "0",
                                "--out", model_path)
    assert status == 0, err
    assert "150 to train, 0 to validate" in out
    accuracy = float(out.split("training (no rows held out) accuracy ")[1].split()[0])
    X = pd.read_csv(files / "iris.csv")
    model = fastnn.load(model_path)
    assert accuracy == pytest.approx(model.score(X.drop(columns="species"), X["species"]),
                                     abs=1e-4)
    status, out, _ = run_main(capsys, "info", model_path)
    net = final_network(model)
    assert status == 0 and f"training: {net.n_iter_} L-BFGS iterations" in out
    assert f"kept weights: the last L-BFGS iteration ({net.n_iter_})" in out
    assert "no validation score (no rows held out)" in out
    assert "solver='lbfgs'" in out and "validation_fraction=0.0" in out


def test_divergence_is_reported_as_one_line(files, tmp_path, capsys):
    status, _, err = run_main(capsys, "train", files / "reg.npz", "--solver", "sgd",
                              "--learning-rate-init", "10", "--momentum", "0",
                              "--max-iter", "5", "--out", tmp_path / "m.fastnn")
    assert_one_error_line(status, err, "Training diverged")


def test_unexpected_exceptions_are_one_line_unless_asked(monkeypatch, capsys, files):
    def broken(args):
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr(cli.info, "info", broken)
    status, _, err = run_main(capsys, "info", files / "corrupt.fastnn")
    assert_one_error_line(status, err, "unexpected RuntimeError: something unforeseen",
                          "FASTNN_TRACEBACK=1")
    monkeypatch.setenv("FASTNN_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="unforeseen"):
        cli.main(["info", str(files / "corrupt.fastnn")])


def test_unscaled_data_gets_a_note_and_train_plot_saves_a_picture(files, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status, out, err = run_main(capsys, "train", files / "reg.npz", "--hidden", "8",
                                "--max-iter", "5", "--early-stopping", "--random-state", "0",
                                "--out", tmp_path / "m.fastnn", "--plot", tmp_path / "h.png")
    assert status == 0, err
    assert "--standardize" not in err  # standardised by default: nothing to suggest
    net = final_network(fastnn.load(tmp_path / "m.fastnn"))
    kept = int(np.nanargmax(net.history_["val_score"])) + 1
    assert f"kept weights: epoch {kept} of 5" in out
    status, _, err = run_main(capsys, "train", files / "reg.npz", "--hidden", "8",
                              "--max-iter", "2", "--no-standardize", "--no-standardize-target",
                              "--out", tmp_path / "raw.fastnn")
    assert status == 0, err
    assert "fastnn: note: network input 'x0' has mean" in err and "--standardize" in err
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------ options
def test_every_estimator_parameter_has_exactly_one_option():
    specs = option_specs()
    names = [s.name for s in specs]
    params = set(DNNClassifier().get_params()) | set(DNNRegressor().get_params())
    assert sorted(names) == sorted(params - set(EXCLUDED))
    flags = [f for s in specs for f in s.flags]
    assert len(flags) == len(set(flags))
    tasks = {s.name: s.task for s in specs if s.task}
    assert tasks == {"class_weight": "classification", "loss": "regression"}


def _parse(argv):
    specs = option_specs()
    parser = cli.build_parser()
    args = parser.parse_args(["train", "data.csv", "--out", "m.fastnn", *argv])
    return estimator_kwargs(args, specs)


def test_options_parse_to_estimator_values():
    kwargs = _parse(
        "--hidden 256,128 --batch-norm --dropout 0.2,0.1 --solver adamw --max-iter 7 "
        "--learning-rate-init 3e-3 --alpha 0 --early-stopping --random-state 4 --no-shuffle "
        "--batch-size 64 --n-iter-no-change inf --clip-norm 5 --max-norm none "
        "--activation gelu --dtype float64 --class-weight balanced --verbose 2 "
        "--freeze-layers 0,1 --n-threads 1".split()
    )
    assert kwargs == {
        "hidden_layer_sizes": (256, 128), "batch_norm": True, "dropout": (0.2, 0.1),
        "solver": "adamw", "max_iter": 7, "learning_rate_init": 0.003, "alpha": 0.0,
        "early_stopping": True, "random_state": 4, "shuffle": False, "batch_size": 64,
        "n_iter_no_change": np.inf, "clip_norm": 5.0, "max_norm": None,
        "activation": "gelu", "dtype": "float64", "class_weight": "balanced", "verbose": 2,
        "freeze_layers": (0, 1), "n_threads": 1,
    }
    for key, value in kwargs.items():  # every value is one the estimator accepts
        assert DNNClassifier(**{key: value}).get_params()[key] == value
    DNNClassifier(**kwargs)._validate_params()
    assert _parse([]) == {}  # nothing given: the estimator's defaults apply
    assert _parse(["--dropout", "0.3", "--epochs", "9", "--batch-size", "auto",
                   "--class-weight", "a:1,b:2.5", "--freeze-layers", "1"]) == {
        "dropout": 0.3, "max_iter": 9, "batch_size": "auto",
        "class_weight": {"a": 1.0, "b": 2.5}, "freeze_layers": 1}


def test_help_lists_every_option_with_the_estimator_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for spec in option_specs():
        assert spec.flag in text
    assert "--learning-rate-init FLOAT Initial learning rate" in text
    assert "(default: 0.001)" in text and "(default: adam)" in text
    assert f"at most {MAX_AUTO_CLASSES} distinct integer values" in text


# ------------------------------------------------------------ data, task, holdout, scaling
def test_choose_task_rule():
    task, y, why = choose_task(np.array(["a", "b", "a"], dtype=object))
    assert task == "classification" and y.dtype.kind == "U" and "not numeric" in why
    task, y, _ = choose_task(np.array([0.0, 2.0, 1.0, 2.0]))
    assert task == "classification" and y.dtype == np.int64
    assert choose_task(np.array([True, False]))[0] == "classification"
    assert choose_task(np.arange(MAX_AUTO_CLASSES))[0] == "classification"
    assert choose_task(np.arange(MAX_AUTO_CLASSES + 1))[0] == "regression"
    assert choose_task(np.array([0.5, 1.0, 2.0]))[0] == "regression"
    assert choose_task(np.array([[0, 1], [1, 1]]))[0] == "classification"
    assert choose_task(np.array([[0, 2], [1, 1]]))[0] == "regression"
    assert choose_task(np.array([0.5, 1.5]), "classification")[0] == "classification"
    assert choose_task(np.array([0, 1, 0]), "regression")[1].dtype == np.float64
    with pytest.raises(CLIError, match="not numeric"):
        choose_task(np.array(["a", "b"]), "regression")


def test_read_training_data_formats(files):
    csv = read_training_data(files / "iris.csv", "species")
    assert csv.X.shape == (150, 4) and list(csv.y[:1]) == ["setosa"]
    npz = read_training_data(files / "reg.npz")
    npy = read_training_data(files / "reg.npy", "-1")
    assert npz.X.shape == npy.X.shape == (300, 4)
    np.testing.assert_array_equal(npz.X, npy.X)


def test_read_training_data_keeps_gaps_and_text_until_preprocessing(tmp_path):
    (tmp_path / "gaps.csv").write_text("a,b,c,y\n1,,x,0\n2,3,z,1\n")
    data = read_training_data(tmp_path / "gaps.csv", "y")
    assert data.X["b"].isna().sum() == 1 and list(data.X["c"]) == ["x", "z"]
    assert list(read_training_data(tmp_path / "gaps.csv", "y", drop=["c"]).X.columns) == [
        "a", "b"]
    with pytest.raises(CLIError, match="missing values in column 'b'"):
        numeric_features(data.X[["a", "b"]], "gaps.csv")
    (tmp_path / "ygaps.csv").write_text("a,y\n1,0\n2,\n")
    with pytest.raises(CLIError, match="target 'y' has 1 missing values"):
        read_training_data(tmp_path / "ygaps.csv", "y")


def test_prediction_features_of_an_array_model_need_the_same_width(files):
    model = DNNRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(np.zeros((20, 4)), np.zeros(20))
    X = read_prediction_features(files / "reg.npy", None, model.n_features_in_, target="-1",
                                 raw=False)
    assert X.shape == (300, 4)
    with pytest.raises(CLIError, match="5 feature columns.*--target"):
        read_prediction_features(files / "reg.npy", None, model.n_features_in_, raw=False)


def test_holdout_stratifies_and_keeps_every_class_in_training():
    y = np.array([0] * 50 + [1] * 50)
    X = np.arange(100.0)[:, None]
    X_tr, y_tr, X_val, y_val = holdout(X, y, 0.2, "classification", 0)
    assert np.bincount(y_val).tolist() == [10, 10] and len(y_tr) == 80
    assert sorted(np.concatenate([X_tr, X_val]).ravel()) == list(range(100))
    y = np.array([0] * 10 + [1] * 9 + [2])  # class 2 has one row: it must train
    _, y_tr, _, y_val = holdout(np.zeros((20, 1)), y, 0.5, "classification", 0)
    assert 2 in y_tr and 2 not in y_val and len(y_tr) + len(y_val) == 20
    assert holdout(X, y[:1].repeat(100), 0.0, "classification", 0)[2] is None


def test_cli_parser_errors_are_one_line(capsys):
    status, _, err = run_main(capsys, "train", "x.csv", "--out", "m", "--dropout", "lots")
    assert_one_error_line(status, err, "argument --dropout", "got 'lots'")
    assert isinstance(cli.build_parser(), argparse.ArgumentParser)
