"""Sphinx configuration of fastnn's documentation site.

Build it with ``sphinx-build -W -b html docs docs/_build/html`` after
``pip install -e ".[docs]"`` (README.md, "Documentation"). fastnn is imported
from the installed package (its Cython extension and kernel cache are built at
install time), never from the source tree.

The gallery runs every script in ``examples/`` with ``--quick`` (the reduced
size CI runs). An example whose data file (``mnist.npz``,
``california_housing.npz``) is not found where the example itself looks
(``$FASTNN_DATA_DIR``, else ``../shared/data`` beside the repository) is not
executed: its page shows the code, its docstring with the numbers measured at
full size, and a note saying that this build did not run it.
"""
import os
import re
import sys
from pathlib import Path

import fastnn

DOCS = Path(__file__).resolve().parent
EXAMPLES = DOCS.parent / "examples"
sys.path.insert(0, str(DOCS / "_ext"))

project = "fastnn"
author = "the fastnn developers"
copyright = "the fastnn developers"
release = fastnn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "cli_help",  # _ext/cli_help.py: the command line's help, from its parser
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
root_doc = "index"

# -- API reference ------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": False}
# The class template lists the methods itself (templates/class.rst); numpydoc's
# own members table would repeat them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"fastnn {release}"
html_static_path = []
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False

# -- Gallery ------------------------------------------------------------------
sys.path.insert(0, str(EXAMPLES))
from _data import DEFAULT_DATA_DIR  # noqa: E402  (examples/_data.py: where examples look)

sys.path.remove(str(EXAMPLES))


def example_data_file(script):
    """The data file an example reads (its ``DATA_FILE``), or None."""
    match = re.search(r'^DATA_FILE = "([^"]+)"', script.read_text(), re.MULTILINE)
    return match.group(1) if match else None


def data_dir():
    """Where the examples look for their data (as ``examples/_data.py``)."""
    return Path(os.environ.get("FASTNN_DATA_DIR") or DEFAULT_DATA_DIR)


def examples_without_data():
    """``{script name: missing data path}`` of the examples this build cannot run."""
    missing = {}
    for script in sorted(EXAMPLES.glob("[!_]*.py")):
        name = example_data_file(script)
        if name is not None and not (data_dir() / name).is_file():
            missing[script.name] = data_dir() / name
    return missing


SKIPPED_EXAMPLES = examples_without_data()
_runnable = [s.name for s in sorted(EXAMPLES.glob("[!_]*.py")) if s.name not in SKIPPED_EXAMPLES]


sphinx_gallery_conf = {
    "examples_dirs": [str(EXAMPLES)],
    "gallery_dirs": ["auto_examples"],
    # Executed: every example whose data is there (the others are rendered only).
    "filename_pattern": "/(" + "|".join(re.escape(n) for n in _runnable) + ")$"
    if _runnable else r"^$",
    # Helper modules (_data.py, _torch_transfer.py) are not examples.
    "ignore_pattern": r"(^|/|\\)_[^/\\]*\.py$",
    "reset_argv": "gallery_argv.quick_argv",  # _ext/gallery_argv.py: --quick
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 0,
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": (),
    "abort_on_example_error": True,
}


def note_skipped_examples(app, docname, source):
    """Say on the page of an example that this build did not run it, and why."""
    if not docname.startswith("auto_examples/"):
        return
    script = docname.split("/", 1)[1] + ".py"
    if script not in SKIPPED_EXAMPLES:
        return
    note = (f"\n.. note::\n\n   This build did not run this example: its data file "
            f"``{SKIPPED_EXAMPLES[script].name}`` was not found in "
            f"``{SKIPPED_EXAMPLES[script].parent}``. Set ``FASTNN_DATA_DIR`` to the "
            "folder holding it to show the output here; the numbers above were "
            "measured at full size.\n\n")
    text = source[0]
    # After the title's underline, which is the first line of '=' characters.
    match = re.search(r"^=+\n", text, re.MULTILINE)
    source[0] = text[:match.end()] + note + text[match.end():] if match else text + note


def setup(app):
    app.connect("source-read", note_skipped_examples)
    if SKIPPED_EXAMPLES:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "gallery: not running %s (data not found in %s)",
            ", ".join(SKIPPED_EXAMPLES), data_dir())
