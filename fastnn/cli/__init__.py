"""The ``fastnn`` command (also ``python -m fastnn``).

``fastnn demo`` trains on scikit-learn's digits next to MLPClassifier;
``fastnn train`` fits a model on a data table as it comes (text, booleans and
missing values included) and saves it with its preprocessing; ``fastnn predict``
writes a saved model's predictions for a raw table as CSV; ``fastnn info``
describes a saved model. Every error is one line on standard error starting
``fastnn: error:`` and exit status 2.
"""
import sys
import time
import warnings

from . import info, predict, train
from .errors import run_command
from .parser import Parser


def demo(args):
    """Train on scikit-learn's bundled digits; print accuracy and time next to MLPClassifier's."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from ..estimators.classifier import DNNClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    params = dict(hidden_layer_sizes=tuple(args.hidden), max_iter=args.epochs,
                  random_state=args.seed)
    print(f"digits: {X_tr.shape[0]} training rows, {X_te.shape[0]} test rows, "
          f"{X.shape[1]} features; hidden layers {params['hidden_layer_sizes']}, "
          f"{args.epochs} epochs of Adam")

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        DNNClassifier(**{**params, "max_iter": 1}).fit(X_tr[:64], y_tr[:64])
        compile_s = time.perf_counter() - start
        for name, cls in [("fastnn DNNClassifier", DNNClassifier),
                          ("sklearn MLPClassifier", MLPClassifier)]:
            start = time.perf_counter()
            model = cls(**params).fit(X_tr, y_tr)
            seconds = time.perf_counter() - start
            rows.append((name, model.score(X_te, y_te), seconds))
    width = max(len(r[0]) for r in rows)
    print(f"{'model':<{width}}  test accuracy  fit seconds")
    for name, acc, seconds in rows:
        print(f"{name:<{width}}  {acc:13.4f}  {seconds:11.3f}")
    print(f"fastnn is {rows[1][2] / rows[0][2]:.1f}x faster here "
          f"(first-call kernel load/compile, not included: {compile_s:.1f} s)")
    return 0 if np.isfinite(rows[0][1]) else 1


def build_parser():
    """The argument parser of the ``fastnn`` command and its subcommands."""
    from .options import option_specs

    parser = Parser(prog="fastnn",
                     description=__doc__.split("\n\n")[1].replace("\n", " ").replace("``", ""))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands")
    p = sub.add_parser("demo", help="train on scikit-learn's digits, compare with MLPClassifier",
                       description=demo.__doc__)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 128],
                   help="hidden layer sizes (default: 256 128)")
    p.add_argument("--epochs", type=int, default=30, help="training epochs (default: 30)")
    p.add_argument("--seed", type=int, default=0, help="random_state (default: 0)")
    p.set_defaults(func=demo)
    train.add_parser(sub, option_specs())
    predict.add_parser(sub)
    info.add_parser(sub)
    return parser


def main(argv=None):
    """Entry point of the ``fastnn`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments without the program name (None: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 2 after an error (printed as one line).
    """
    args = build_parser().parse_args(argv)
    return run_command(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
