"""``fastnn.save``, ``fastnn.load`` and the types skops needs to trust.

A model file (:mod:`fastnn.io.format`) holds either one estimator
(:mod:`fastnn.estimators.state`) or a pipeline (:mod:`fastnn.io.pipeline_state`:
the steps' JSON state in ``meta["pipeline"]`` and their arrays under the step's
index, ``0.means_``, ``1.params``...). Loading reads it with ``allow_pickle=False``,
checks the version and the checksum, and rebuilds the object without compiling
anything. A file that is not a fastnn model is named for what it looks like.
"""
from sklearn.pipeline import Pipeline

from ..estimators.base import BaseDNN
from .format import FORMAT_VERSION, read_file, write_file
from .format import _fail as _fail_file
from .pipeline_state import estimator_from_state, pipeline_from_state, pipeline_state
from ..estimators.state import estimator_state

#: Types to pass as ``trusted`` to ``skops.io.load`` for a fastnn estimator or a
#: :func:`fastnn.make_table_pipeline` pipeline (scikit-learn's own types, such as
#: LabelBinarizer, are trusted by skops already). The names of fastnn 0.1's
#: modules are kept for files written by it.
SKOPS_TRUSTED_TYPES = [
    "fastnn.estimators.classifier.DNNClassifier",
    "fastnn.estimators.regressor.DNNRegressor",
    "fastnn.nn.plan.Network",
    "fastnn.nn.dense.Dense",
    "fastnn.nn.batch_norm.BatchNorm",
    "fastnn.nn.layer_norm.LayerNorm",
    "fastnn.nn.activations.Activation",
    "fastnn.nn.dropout.Dropout",
    "fastnn.nn.output.Output",
    "fastnn.training.minibatch.MinibatchTrainer",
    "fastnn.training.minibatch.TrainingSettings",
    "fastnn.training.loop.Progress",
    "fastnn.table.preprocessor.TablePreprocessor",
    "fastnn._classifier.DNNClassifier",
    "fastnn._regressor.DNNRegressor",
    "fastnn._network.Network",
    "fastnn._solvers.MinibatchTrainer",
    "fastnn._solvers.Regularization",
    "fastnn._table.TablePreprocessor",
    "numpy.dtype",
]
__all__ = ["save", "load", "SKOPS_TRUSTED_TYPES", "FORMAT_VERSION"]


def save(obj, path):
    """Write a fitted estimator or pipeline to ``path`` in the safe native format.

    Parameters
    ----------
    obj : DNNClassifier, DNNRegressor or sklearn.pipeline.Pipeline
        A fitted estimator, or a fitted pipeline whose steps are
        :class:`~fastnn.TablePreprocessor`, ``StandardScaler``, a fastnn
        estimator, or ``TransformedTargetRegressor`` around a fastnn regressor
        with a ``StandardScaler`` (as :func:`fastnn.make_table_pipeline` builds).
    path : str or path-like
        Destination file (conventionally ``*.fastnn``).

    Raises
    ------
    TypeError
        For another kind of object, or a pipeline step the native format does
        not hold (save such pipelines with skops).

    Notes
    -----
    ``callbacks`` are not saved (they are code); a ``RandomState`` instance as
    ``random_state``, or an estimator as ``init_from``, is saved as None (a path
    given as ``init_from`` is kept).
    """
    if isinstance(obj, Pipeline):
        steps, arrays = pipeline_state(obj)
        meta = {"pipeline": steps}
    else:
        if not isinstance(obj, BaseDNN):
            raise TypeError(f"fastnn.save takes a fitted DNNClassifier, DNNRegressor or "
                            f"Pipeline, got {type(obj).__name__}; put other steps in a "
                            "Pipeline with the model.")
        meta, arrays = estimator_state(obj)
    write_file(path, meta, arrays)


def load(path):
    """Read an estimator or pipeline written by :func:`save` (no pickle is involved).

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    DNNClassifier, DNNRegressor or sklearn.pipeline.Pipeline
        Fitted and ready to predict; an estimator can continue training.

    Raises
    ------
    ModelFileError
        If the file is missing, truncated or corrupt (checksum mismatch), is not
        a fastnn model (the message says what it looks like), or was written by
        a newer version of the format.
    """
    meta, arrays = read_file(path)

    def fail(problem):
        _fail_file(path, problem)

    if "pipeline" in meta:
        return pipeline_from_state(meta["pipeline"], arrays, fail)
    return estimator_from_state(meta, arrays, fail)
