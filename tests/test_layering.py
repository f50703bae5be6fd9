"""The package is a stack of layers, and no import points up it.

From the bottom: the exceptions and version; the kernels and the network plan
(``nn``); the training layer; the model-file container (``io.format``,
``io.sniff``); the estimators; the table preprocessing; what builds on the
estimators (persistence, pipelines, ONNX, plotting, warm-up); the command line;
the package's public face. A module may import its own layer and those below,
at module level or inside a function alike.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fastnn"

#: Module-name prefix -> rank (the longest matching prefix wins).
RANKS = {
    "fastnn.exceptions": 0, "fastnn._version": 0,
    "fastnn.nn": 1,
    "fastnn.training": 2,
    "fastnn.io.format": 3, "fastnn.io.sniff": 3,
    "fastnn.estimators": 4,
    "fastnn.table": 5,
    "fastnn.io": 6, "fastnn.plotting": 6, "fastnn.warmup": 6,
    "fastnn.cli": 7,
    "fastnn": 8, "fastnn.__main__": 8,
}


def rank(module):
    best = max((p for p in RANKS if module == p or module.startswith(p + ".")), key=len)
    return RANKS[best]


def module_name(path, root=PACKAGE):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name, root):
    where = root.parent / Path(*name.split("."))
    return where.with_suffix(".py").exists() or where.is_dir()


def imported_modules(path, root=PACKAGE):
    """Every ``(fastnn module, line)`` that ``path`` imports, anywhere in the file."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("fastnn")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("fastnn"):
                # ``from . import x`` imports the submodule x when there is one
                found += [(f"{target}.{a.name}" if _is_module(f"{target}.{a.name}", root)
                           else target, node.lineno) for a in node.names]
    return found


def upward_imports(path, root=PACKAGE):
    own = rank(module_name(path, root))
    return [f"line {line}: {target} (layer {rank(target)})"
            for target, line in imported_modules(path, root) if rank(target) > own]


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    assert len(SOURCES) > 40
    for path in SOURCES:
        rank(module_name(path))


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_no_import_points_up_the_stack(path):
    upward = upward_imports(path)
    assert not upward, f"{module_name(path)} (layer {rank(module_name(path))}) imports upward: {upward}"


def test_the_check_catches_upward_imports(tmp_path):
    """A kernel module importing an estimator, even lazily, or the package."""
    root = tmp_path / "fastnn"
    (root / "nn").mkdir(parents=True)
    (root / "estimators").mkdir()
    (root / "estimators" / "base.py").write_text("")
    kernel = root / "nn" / "activations.py"
    kernel.write_text("from . import dense\n"
                      "def f():\n    from ..estimators.base import BaseDNN\n"
                      "    from .. import DNNClassifier\n    import fastnn.cli\n")
    assert [line.split(":")[1].split()[0] for line in upward_imports(kernel, root)] == [
        "fastnn.estimators.base", "fastnn", "fastnn.cli"]
