"""Preprocessing options of ``fastnn train`` and what the command says about them.

By default ``train`` fits :func:`fastnn.make_table_pipeline`: every numeric column
imputed (median, with a missing-value indicator) and standardised, every
categorical column one-hot encoded (rare levels grouped, unseen levels handled),
booleans as 0 / 1, and a regression target standardised (predictions stay in
its units). Each option below changes one of those choices; ``--no-preprocess``
trains the bare network on numeric, complete features, as ``est.fit`` would.
"""
import argparse

from .errors import CLIError

#: TablePreprocessor parameter -> (flags, argparse keywords, help). Defaults are
#: the transformer's own (shown in the help, never passed).
_TABLE_OPTIONS = {
    "categorical": (("--categorical",), {"metavar": "COL[,COL...]"},
                    "numeric columns to one-hot encode as well (text and category "
                    "columns always are); names, or indices for arrays without names"),
    "categorical_integers": (("--categorical-integers",), {"metavar": "N", "type": int},
                             "integer columns with at most N distinct values are "
                             "categorical (default: 0, integers stay numeric)"),
    "impute": (("--impute",), {"choices": ("median", "mean", "zero")},
               "value that replaces a missing number (default: median)"),
    "missing_indicator": (("--missing-indicator",),
                          {"action": argparse.BooleanOptionalAction},
                          "add a 0/1 column COL=(missing) for each numeric column with "
                          "missing values (default: on)"),
    "standardize": (("--standardize",), {"action": argparse.BooleanOptionalAction},
                    "scale numeric columns to mean 0, standard deviation 1 (default: on)"),
    "min_frequency": (("--min-frequency",), {"metavar": "N|SHARE"},
                      "levels in fewer rows than N (or than this share of the rows, "
                      "0 < SHARE < 1) are grouped into COL=(other) (default: 10)"),
    "max_categories": (("--max-categories",), {"metavar": "N", "type": int},
                       "at most N columns per categorical feature, COL=(other) included "
                       "(default: no limit)"),
}
#: Options that are not TablePreprocessor parameters.
_OTHER_OPTIONS = ("standardize_target", "drop", "no_preprocess")


def _count_or_share(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a count or a share, got {text!r}") from None
    return int(value) if value >= 1 and value.is_integer() else value


def _column_list(text):
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected column names separated by commas, "
                                         f"got {text!r}")
    return names


def add_preprocess_options(parser):
    """Add the preprocessing options to ``parser`` (absent options are not set)."""
    group = parser.add_argument_group(
        "preprocessing",
        "How the table's columns become the network's inputs (fastnn.TablePreprocessor; "
        "the steps are saved in the model file and applied again by predict).",
    )
    for name, (flags, kwargs, help) in _TABLE_OPTIONS.items():
        kwargs = dict(kwargs)
        if name == "min_frequency":
            kwargs["type"] = _count_or_share
        if name == "categorical":
            kwargs["type"] = _column_list
        group.add_argument(*flags, dest=name, default=argparse.SUPPRESS, help=help, **kwargs)
    group.add_argument("--standardize-target", dest="standardize_target",
                       action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                       help="train a regressor on the standardised target; predictions "
                            "stay in its units (default: on, except for --loss poisson)")
    group.add_argument("--drop", metavar="COL[,COL...]", type=_column_list,
                       default=argparse.SUPPRESS,
                       help="columns to leave out (an identifier, a leak of the target)")
    group.add_argument("--no-preprocess", dest="no_preprocess", action="store_true",
                       default=argparse.SUPPRESS,
                       help="train the network on the features as they are (numbers only, "
                            "no missing values) and save it alone")


def given_options(args):
    """The preprocessing options given on the command line, by parameter name."""
    names = (*_TABLE_OPTIONS, *_OTHER_OPTIONS)
    return {name: getattr(args, name) for name in names if hasattr(args, name)}


def table_kwargs(options, X):
    """The keyword arguments of :func:`fastnn.make_table_pipeline` from the options.

    ``--categorical`` entries become column indices for an array ``X``.
    """
    kwargs = {name: options[name] for name in _TABLE_OPTIONS if name in options}
    if "categorical" in kwargs and not hasattr(X, "columns"):
        kwargs["categorical"] = [_index(entry, X.shape[1], "--categorical")
                                 for entry in kwargs["categorical"]]
    if "standardize_target" in options:
        kwargs["standardize_target"] = options["standardize_target"]
    return kwargs


def _index(entry, width, flag):
    try:
        index = int(entry)
    except ValueError:
        raise CLIError(f"{flag} {entry}: the features have no column names here; give "
                       "column indices") from None
    if not -width <= index < width:
        raise CLIError(f"{flag} {index}: not a column of {width} feature columns")
    return index % width


def check_compatible(options, task, loss):
    """Raise CLIError for options that contradict each other or the task."""
    if options.get("no_preprocess"):
        clash = [name for name in options if name not in ("no_preprocess", "drop")]
        if clash:
            flag = "--" + clash[0].replace("_", "-")
            raise CLIError(f"{flag} is a preprocessing option, but --no-preprocess trains on "
                           "the features as they are; drop one of them")
    if options.get("standardize_target") and task != "regression":
        raise CLIError("--standardize-target applies to regression only, but the target was "
                       f"taken as {task}")
    if options.get("standardize_target") and loss == "poisson":
        raise CLIError("--standardize-target cannot be used with --loss poisson, whose "
                       "targets must stay non-negative counts")


def describe_preprocessing(pipeline):
    """Lines saying what the pipeline does to each column and to the target."""
    from ..table.pipeline import PREPROCESS, target_scaling

    pre = pipeline.named_steps.get(PREPROCESS)
    lines = []
    if pre is not None:
        n_out = len(pre.get_feature_names_out())
        lines.append(f"preprocessing: {pre.n_features_in_} columns -> {n_out} network inputs "
                     f"(fastnn.TablePreprocessor)")
        lines.extend("  " + line for line in pre.describe())
    scaling = target_scaling(pipeline)
    if scaling is not None:
        mean, scale = scaling
        shown = ", ".join(f"mean {m:.4g}, sd {s:.4g}" for m, s in zip(mean, scale))
        lines.append(f"target: standardised for training ({shown}); predictions are in "
                     "its own units")
    return lines
