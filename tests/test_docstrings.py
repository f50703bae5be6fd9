"""numpydoc's docstring validation on every public object of fastnn.

The public objects are the names in ``fastnn.__all__`` and the exceptions in
:mod:`fastnn.exceptions`, with every public method and property their classes
define in fastnn (methods inherited from scikit-learn, such as ``get_params``
or the generated ``set_fit_request``, are scikit-learn's to document). A new
parameter without documentation, a parameter documented out of the signature's
order, a missing type or description, or a missing docstring fails here.
"""
import inspect
import pydoc
import re

import pytest

import fastnn
import fastnn.exceptions

numpydoc_validate = pytest.importorskip("numpydoc.validate")

#: numpydoc checks not enforced, and why:
#: ES01 (extended summary), SA01 (See Also) and EX01 (Examples) are optional
#: sections: a one-line method like ``save`` says all it needs in its summary,
#: and the examples live in the user guide and gallery, which a test runs.
#: RT02 asks the Returns section to give only a type; fastnn names its returned
#: arrays as scikit-learn does (``proba : ndarray of shape ...``), which the
#: numpydoc format allows.
EXCLUDED_CHECKS = {"ES01", "SA01", "EX01", "RT02"}

#: Values in ``__all__`` that are data, not code (documented in the API page).
DATA_NAMES = {"SKOPS_TRUSTED_TYPES", "__version__"}


def public_objects():
    """``(qualified name, object)`` of every public function and class."""
    found = {}
    names = [n for n in fastnn.__all__ if n not in DATA_NAMES]
    objects = [getattr(fastnn, n) for n in names]
    objects += [obj for name, obj in vars(fastnn.exceptions).items()
                if inspect.isclass(obj) and obj.__module__ == "fastnn.exceptions"]
    for obj in objects:
        found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def public_members(cls):
    """Qualified names of the public methods and properties fastnn defines on ``cls``."""
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next(k for k in cls.__mro__ if name in vars(k))
        attr = vars(owner)[name]
        func = attr.fget if isinstance(attr, property) else attr
        func = getattr(func, "__func__", func)  # classmethod / staticmethod
        func = getattr(func, "fn", func)  # scikit-learn's available_if
        if not callable(func) or not (getattr(func, "__module__", "") or "").startswith("fastnn"):
            continue
        names.append(f"{owner.__module__}.{owner.__qualname__}.{name}")
    return names


def all_qualified_names():
    names = []
    for qualname, obj in public_objects().items():
        names.append(qualname)
        if inspect.isclass(obj):
            names += public_members(obj)
    return sorted(set(names))


def test_the_public_objects_are_the_ones_the_issue_lists():
    names = {qualname.rsplit(".", 1)[1] for qualname in public_objects()}
    assert {"DNNClassifier", "DNNRegressor", "load", "save", "to_onnx",
            "register_onnx_converters", "plot_history", "warmup", "TablePreprocessor",
            "make_table_pipeline", "DivergenceError", "ModelFileError"} <= names
    members = all_qualified_names()
    for method in ["fit", "partial_fit", "predict", "predict_proba", "save", "summary",
                   "hidden_activations"]:
        assert f"fastnn.estimators.classifier.DNNClassifier.{method}" in members \
            or f"fastnn.estimators.base.BaseDNN.{method}" in members, method


@pytest.mark.parametrize("qualname", all_qualified_names())
def test_numpydoc_validation(qualname):
    result = numpydoc_validate.validate(qualname)
    errors = [f"{code}: {message}" for code, message in result["errors"]
              if code not in EXCLUDED_CHECKS]
    assert not errors, f"{qualname}:\n" + "\n".join(errors)


def test_validation_catches_an_undocumented_parameter(monkeypatch):
    """The check above can fail: a parameter missing from the docstring is PR01."""
    def fit(self, X, y, new_parameter=None):
        """Fit the model.

        Parameters
        ----------
        X : ndarray
            Input data.
        y : ndarray
            Targets.

        Returns
        -------
        self
            The estimator.
        """

    monkeypatch.setattr(fastnn.DNNClassifier, "fit", fit, raising=False)
    fit.__module__ = "fastnn.estimators.classifier"
    fit.__qualname__ = "DNNClassifier.fit"
    codes = {code for code, _ in
             numpydoc_validate.validate("fastnn.estimators.classifier.DNNClassifier.fit")["errors"]}
    assert "PR01" in codes


@pytest.mark.parametrize("cls", ["DNNClassifier", "DNNRegressor"])
def test_every_constructor_parameter_is_documented_in_signature_order(cls):
    from numpydoc.docscrape import ClassDoc

    est = getattr(fastnn, cls)
    documented = []
    for param in ClassDoc(est)["Parameters"]:
        documented += [name.strip() for name in param.name.split(",")]
    signature = [p for p in inspect.signature(est.__init__).parameters if p != "self"]
    assert documented == signature


def test_help_prints_every_entry_at_the_same_indentation():
    """``help(fastnn.DNNClassifier)``: no entry starts at column 0 of the docstring."""
    for cls in (fastnn.DNNClassifier, fastnn.DNNRegressor):
        text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
        params = text.split("Parameters\n")[1].split("Method resolution order")[0]
        entries = re.findall(r"^ \|( *)(\w+(?:, \w+)*) : ", params, re.MULTILINE)
        assert {"hidden_layer_sizes", "loss_", "class_weight" if cls is fastnn.DNNClassifier
                else "loss"} <= {name for _, name in entries}
        assert len({indent for indent, _ in entries}) == 1, sorted(set(entries))
        assert "\n    \n" not in cls.__doc__  # no whitespace-only lines


def test_make_table_pipeline_documents_the_preprocessor_parameters_alike():
    from numpydoc.docscrape import ClassDoc, FunctionDoc

    pre = {p.name: (p.type, p.desc) for p in ClassDoc(fastnn.TablePreprocessor)["Parameters"]}
    pipe = {p.name: (p.type, p.desc) for p in FunctionDoc(fastnn.make_table_pipeline)["Parameters"]}
    shared = set(inspect.signature(fastnn.TablePreprocessor).parameters)
    assert shared <= set(pipe)
    for name in shared:
        assert pipe[name] == pre[name], name


def test_dir_lists_only_the_public_api():
    import subprocess
    import sys

    # In a fresh process, after everything public (and the command line) is loaded.
    code = ("import fastnn, fastnn.cli, fastnn.exceptions\n"
            "for n in fastnn.__all__: getattr(fastnn, n)\n"
            "print(' '.join(dir(fastnn)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert set(out) == set(fastnn.__all__) | {"exceptions"}
    assert fastnn.exceptions.DivergenceError is not None
