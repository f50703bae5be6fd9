"""Options of ``fastnn train``, generated from the estimators' parameters.

Each parameter of :class:`~fastnn.DNNClassifier` / :class:`~fastnn.DNNRegressor`
becomes one option, so the two stay one-to-one without a second list:

- its flag is the parameter name with dashes (``learning_rate_init`` ->
  ``--learning-rate-init``), plus the spellings in :data:`FLAGS`;
- its values are parsed from the parameter's ``_parameter_constraints``: a
  boolean is a ``--name`` / ``--no-name`` flag, a set of strings gives the
  choices, an interval an int or a float, ``none`` is None where None is
  allowed, an array-like parameter takes a comma list (``--hidden 256,128``);
- its help is the first sentence of the parameter's docstring (or
  :data:`HELP`), followed by the estimator's default;
- a parameter only one estimator has (``loss``, ``class_weight``) is marked
  with its task.

Options left out are not passed at all, so the estimator's own defaults apply,
and the estimator validates every value (``InvalidParameterError``).
"""
import argparse
import inspect
import re
from numbers import Integral

from sklearn.utils._param_validation import Interval, Options, StrOptions

#: Parameters the command line does not offer, with the reason.
EXCLUDED = {
    "callbacks": "callbacks are Python code",
    "warm_start": "each run trains a new model (start from a saved one with --init-from)",
}
#: Flags of parameters whose dashed name is not the only spelling (first = main).
FLAGS = {
    "hidden_layer_sizes": ("--hidden", "--hidden-layer-sizes"),
    "max_iter": ("--max-iter", "--epochs"),
}
#: Metavars where the generated one would say too little.
METAVARS = {
    "hidden_layer_sizes": "N[,N...]",
    "dropout": "RATE[,RATE...]",
    "init_from": "MODEL",
    "class_weight": "balanced|LABEL:W[,LABEL:W...]",
    "batch_size": "N|auto",
    "n_iter_no_change": "N|inf",
    "random_state": "SEED",
    "freeze_layers": "N[,N...]|none",
}
#: Help where the docstring's first sentence does not read well on its own.
HELP = {
    "hidden_layer_sizes": "Units of each hidden layer, comma-separated",
    "activation": "Activation of the hidden layers",
    "solver": "Weight optimizer",
    "learning_rate": "Learning-rate schedule of every stochastic solver",
    "verbose": ("0: silent; 1: a progress bar on standard error when it is a terminal, "
                "else one line per epoch; 2: one line per epoch"),
    "early_stopping": ("Stop when the validation score fails to improve by --tol for "
                       "--n-iter-no-change epochs; the best weights are restored"),
    "validation_fraction": ("Share of the rows held out to report validation metrics; "
                            "also the early-stopping set; 0 trains on every row"),
    "batch_norm_momentum": "Momentum of batch norm's running statistics",
    "init_from": "Start from the hidden layers of a saved model file",
    "class_weight": "'balanced' or a weight per class label, e.g. 'cat:1,dog:2.5'",
    "dropout": "Dropout rate after each hidden layer: one rate, or one per hidden layer",
    "loss": "Loss of the regressor",
    "random_state": "Seed of the initialisation, validation split and shuffling",
    "freeze_layers": ("Hidden layers that do not train (with --init-from): N freezes the "
                      "first N, a comma list gives hidden-layer indices"),
    "n_threads": "Threads for training and prediction; none: all available",
}


#: Defaults the command line chooses itself (the estimator's default otherwise).
CLI_DEFAULTS = {"verbose": "1 when standard error is a terminal, else 0"}


class OptionSpec:
    """One estimator parameter as a command-line option.

    Parameters
    ----------
    name : str
        The estimator parameter.
    constraints : list or str
        Its entry in ``_parameter_constraints``.
    default : object
        The estimator's default (shown in the help, never passed).
    task : {'classification', 'regression'} or None
        The only task whose estimator has this parameter (None: both).
    help : str
        One-line description.
    """

    def __init__(self, name, constraints, default, task, help):
        self.name = name
        self.constraints = constraints if isinstance(constraints, list) else [constraints]
        self.default = default
        self.task = task
        self.help = help

    @property
    def flags(self):
        return FLAGS.get(self.name, ("--" + self.name.replace("_", "-"),))

    @property
    def flag(self):
        """The main flag, as error messages name it."""
        return self.flags[0]

    def add_to(self, parser):
        """Add this option to ``parser`` (default SUPPRESS: absent means not passed)."""
        help = f"{self.help} (default: {CLI_DEFAULTS.get(self.name, _show(self.default))})"
        if self.task is not None:
            help += f" [{self.task} only]"
        help = help.replace("%", "%%")
        kwargs = {"dest": self.name, "default": argparse.SUPPRESS, "help": help}
        if "boolean" in self.constraints:
            parser.add_argument(*self.flags, action=argparse.BooleanOptionalAction, **kwargs)
            return
        choices = _pure_choices(self.constraints)
        if choices is not None:
            parser.add_argument(*self.flags, choices=choices, **kwargs)
            return
        parser.add_argument(*self.flags, type=value_parser(self.constraints),
                            metavar=METAVARS.get(self.name, _metavar(self.constraints)),
                            **kwargs)


def _show(value):
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "none" if value is None else str(value)


def _pure_choices(constraints):
    """Sorted options when the parameter is exactly one set of strings, else None."""
    if len(constraints) == 1 and isinstance(constraints[0], StrOptions):
        c = constraints[0]
        return sorted(c.options - set(getattr(c, "internal", ()) or ()))
    return None


#: Constraint tags that stand for an integer.
_INTEGER_TAGS = ("random_state", "verbose")


def _numeric(c):
    return isinstance(c, Interval) or c in _INTEGER_TAGS


def _listed(c):
    """Whether the constraint allows a sequence (given as a comma list)."""
    return c == "array-like" or c in (list, tuple)


def _number_type(constraints):
    """int when an integer interval or tag is among the constraints, else float."""
    for c in constraints:
        if (isinstance(c, Interval) and c.type is Integral) or c in _INTEGER_TAGS:
            return int
    return float


def _metavar(constraints):
    names = []
    for c in constraints:
        if _numeric(c):
            names.append("INT" if _number_type(constraints) is int else "FLOAT")
        elif c is None:
            names.append("none")
    return "|".join(dict.fromkeys(names)) or "VALUE"


def _parse_number(text, kind):
    try:
        value = float(text)
    except ValueError:
        return None
    if kind is int:
        if not value.is_integer():
            return None
        try:
            return int(text)
        except ValueError:
            return int(value)
    return value


def _describe(constraints):
    """What the parser accepts, for its error message."""
    integer = _number_type(constraints) is int
    if constraints[0] == "array-like":
        return f"a comma-separated list of {'integers' if integer else 'numbers'}"
    what = []
    for c in constraints:
        if isinstance(c, StrOptions):
            what.append(" or ".join(repr(o) for o in sorted(c.options)))
        elif _numeric(c):
            what.append("an integer" if integer else "a number")
        elif _listed(c):
            what.append(f"a comma-separated list of {'integers' if integer else 'numbers'}")
        elif c is dict:
            what.append("LABEL:WEIGHT pairs separated by commas")
        elif c is None:
            what.append("'none'")
        elif isinstance(c, Options):
            what.append(" or ".join(str(o) for o in c.options))
    return ", ".join(dict.fromkeys(what))


def value_parser(constraints):
    """A function turning the text of an option into a value the constraints allow.

    Parameters
    ----------
    constraints : list or str
        A parameter's entry in ``_parameter_constraints``.

    Returns
    -------
    callable
        ``parse(text)``; raises ``argparse.ArgumentTypeError`` saying what it
        expected.
    """
    constraints = constraints if isinstance(constraints, list) else [constraints]
    kind = _number_type(constraints)

    def parse(text):
        s = text.strip()
        if constraints == ["no_validation"]:
            return s
        if s.lower() == "none" and None in constraints:
            return None
        for c in constraints:
            if isinstance(c, StrOptions) and s in c.options:
                return s
            if isinstance(c, Options) and not isinstance(c, StrOptions):
                value = _parse_number(s, float)
                if value is not None and value in c.options:
                    return value
        listed = constraints[0] == "array-like" or ("," in s and any(map(_listed, constraints)))
        if listed:
            values = [_parse_number(part, kind) for part in s.split(",")]
            if values and None not in values:
                return tuple(values)
        elif any(_numeric(c) for c in constraints):
            value = _parse_number(s, kind)
            if value is not None:
                return value
        if dict in constraints:
            mapping = _parse_mapping(s)
            if mapping is not None:
                return mapping
        raise argparse.ArgumentTypeError(f"expected {_describe(constraints)}, got {text!r}")

    return parse


def _parse_mapping(text):
    """``'a:1,b:2.5'`` -> ``{'a': 1.0, 'b': 2.5}`` (labels stay strings), or None."""
    mapping = {}
    for part in text.split(","):
        label, sep, weight = part.rpartition(":")
        value = _parse_number(weight, float)
        if not sep or not label.strip() or value is None:
            return None
        mapping[label.strip()] = value
    return mapping


def _first_sentence(description):
    text = " ".join(description.split()).replace("``", "")
    match = re.match(r"(.+?[.:])(\s|$)", text)
    return (match.group(1) if match else text).rstrip(".:")


def parameter_docs(text):
    """First sentence of each parameter's description in a numpydoc parameter list
    (entries ``name : type`` at column 0, descriptions indented)."""
    docs = {}
    for match in re.finditer(r"^(\w[\w, ]*?) : .*\n((?:[ \t]+.*\n?|\n)*)", text, re.MULTILINE):
        names, body = match.group(1), match.group(2)
        paragraph = body.strip().split("\n\n", 1)[0]
        for name in names.split(","):
            docs[name.strip()] = _first_sentence(paragraph)
    return docs


def option_specs():
    """One :class:`OptionSpec` per estimator parameter the command line offers.

    Returns
    -------
    list of OptionSpec
        In the classifier's parameter order, then the regressor's own.
    """
    from ..estimators.classifier import DNNClassifier
    from ..estimators.docstrings import DTYPE_PARAMETER, SHARED_PARAMETERS
    from ..estimators.regressor import DNNRegressor

    tasks = {"classification": DNNClassifier, "regression": DNNRegressor}
    defaults = {}
    for task, cls in tasks.items():  # in the order of the constructor's signature
        signature = inspect.signature(cls.__init__).parameters.values()
        defaults[task] = {p.name: p.default for p in signature if p.name != "self"}
    docs = parameter_docs(SHARED_PARAMETERS + "\n" + DTYPE_PARAMETER)
    names = list(dict.fromkeys([*defaults["classification"], *defaults["regression"]]))
    specs = []
    for name in names:
        if name in EXCLUDED:
            continue
        owners = [task for task in tasks if name in defaults[task]]
        cls = tasks[owners[0]]
        specs.append(OptionSpec(
            name, cls._parameter_constraints[name], defaults[owners[0]][name],
            owners[0] if len(owners) == 1 else None, HELP.get(name, docs.get(name, name)),
        ))
    return specs


def add_estimator_options(parser, specs):
    """Add one option per spec to an argument group of ``parser``."""
    group = parser.add_argument_group(
        "estimator parameters",
        "One option per parameter of DNNClassifier / DNNRegressor (same name with dashes, "
        "same meaning and default; see their docstrings). Numbers as usual, 'none' for "
        "None, lists comma-separated.",
    )
    for spec in specs:
        spec.add_to(group)


def estimator_kwargs(args, specs):
    """The estimator parameters given on the command line, by parameter name."""
    return {spec.name: getattr(args, spec.name) for spec in specs if hasattr(args, spec.name)}
