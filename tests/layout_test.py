"""The package layout of CONTRIBUTING.md, checked by reading the imports (`ast`).

Layers, from the bottom (a module may import its own floor and the floors
below, never a floor above):

    floor 0: tfcnn.data, tfcnn.models, tfcnn.analysis, tfcnn.results
    floor 1: tfcnn.plots, tfcnn.training, tfcnn.scratch
    floor 2: tfcnn.bench, tfcnn.answers, tfcnn.site, and tfcnn.cli (the
             command line, which the answer modules read their options with)
    top:     the package face, tfcnn/__init__.py (and any other module at the
             top of tfcnn/)

`from tfcnn import build_shallow` imports the package itself, which is the
top: inside the library, import from the sub-package instead. At module level
the top imports only what `TOP_MODULE_LEVEL` allows (so that a script's
`--help` starts no TensorFlow); inside functions it may import any floor.
Nothing in tfcnn/ outside tfcnn/answers imports tfcnn.answers. Every script
is at most 100 lines and imports no TensorFlow, Keras, PyTorch or answer module
at module level, neither directly nor through a tfcnn module it imports
there. At most `MAX_TOP_MODULES` modules sit at the top of tfcnn/, and only
modules of tfcnn/answers define a class named `Config`.

Every failure names the file, the line and the import (or class).
"""

from __future__ import annotations

import ast
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOORS = (
    ("data", "models", "analysis", "results"),
    ("plots", "training", "scratch"),
    ("bench", "answers", "site"),
)
TOP = len(FLOORS)
# Modules at the top of tfcnn/ that stand on a floor below the top.
TOP_LEVEL_FLOORS = {"tfcnn.cli": 2}
# What a top module may import at module level (the rest only inside functions).
TOP_MODULE_LEVEL = {"tfcnn": (), "tfcnn.cli": ("tfcnn.results",)}
HEAVY = ("tensorflow", "keras", "torch", "tfcnn.answers")
MAX_SCRIPT_LINES = 100
MAX_TOP_MODULES = 5


class Import:
    """One import statement's target: the module it loads, where, and how."""

    def __init__(self, path: Path, node: ast.stmt, target: str, module_level: bool):
        self.path, self.line, self.target = path, node.lineno, target
        self.module_level = module_level
        self.source = ast.unparse(node)

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}: `{self.source}`"


def module_name(path: Path, root: Path) -> str:
    """`tfcnn/data/idx.py` -> "tfcnn.data.idx"; `tfcnn/data/__init__.py` -> "tfcnn.data"."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str, root: Path) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import in `path` (at any depth), each name resolved to a module."""
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(path, child, alias.name, module_level))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.split(".")[
                        : len(package.split(".")) - child.level + 1
                    ]
                    base = ".".join([*parent, *([base] if base else [])])
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    target = full if is_module(full, root) else base
                    found.append(Import(path, child, target, module_level))
            inner = isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            visit(child, module_level and not inner)

    visit(ast.parse(path.read_text(), str(path)), True)
    unique = {(i.line, i.target): i for i in reversed(found)}  # one per statement
    return sorted(unique.values(), key=lambda i: (i.line, i.target))


def floor_of(name: str) -> int:
    """The floor of a tfcnn module: its sub-package's, else TOP (the top of tfcnn/)."""
    parts = name.split(".")
    if ".".join(parts[:2]) in TOP_LEVEL_FLOORS:
        return TOP_LEVEL_FLOORS[".".join(parts[:2])]
    floors = [i for i, floor in enumerate(FLOORS) if parts[1:2] and parts[1] in floor]
    return floors[0] if floors else TOP


def library_files(root: Path) -> list[Path]:
    return sorted((root / "tfcnn").rglob("*.py"))


def upward_imports(root: Path) -> list[str]:
    """Rule: no import goes up a floor; the top imports little at module level."""
    problems = []
    placed = {package for floor in FLOORS for package in floor}
    for package in sorted((root / "tfcnn").glob("*/__init__.py")):
        if package.parent.name not in placed:
            problems.append(
                f"{package.relative_to(root)}:1: tfcnn.{package.parent.name} is on no "
                "floor; add it to FLOORS (and to CONTRIBUTING.md)"
            )
    for path in library_files(root):
        name = module_name(path, root)
        top_level = path.parent == root / "tfcnn" and name not in TOP_LEVEL_FLOORS
        own = TOP if top_level else floor_of(name)
        for found in imports_of(path, root):
            if not is_under(found.target, "tfcnn"):
                continue
            target = floor_of(found.target)
            if target > own:
                problems.append(
                    f"{found.where(root)}: imports {found.target} (floor {target}) "
                    f"from {name} (floor {own}); imports go down only"
                )
            elif (
                name in TOP_MODULE_LEVEL
                and found.module_level
                and not any(
                    is_under(found.target, allowed)
                    for allowed in TOP_MODULE_LEVEL.get(name, ())
                )
            ):
                problems.append(
                    f"{found.where(root)}: {name} may import only "
                    f"{TOP_MODULE_LEVEL.get(name, ())} at module level; "
                    "import it inside the function that needs it"
                )
    return problems


def answers_imports(root: Path) -> list[str]:
    """Rule: nothing in tfcnn/ outside tfcnn/answers imports tfcnn.answers."""
    return [
        f"{found.where(root)}: only tfcnn/answers may import tfcnn.answers"
        for path in library_files(root)
        if root / "tfcnn" / "answers" not in path.parents
        for found in imports_of(path, root)
        if is_under(found.target, "tfcnn.answers")
    ]


def module_file(name: str, root: Path) -> Path:
    base = root.joinpath(*name.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def heavy_chain(path: Path, root: Path, seen: set[str]) -> str | None:
    """How importing `path` loads a HEAVY module at module level, else None."""
    for found in imports_of(path, root):
        if not found.module_level:
            continue
        if any(is_under(found.target, heavy) for heavy in HEAVY):
            return found.where(root)
        parts = found.target.split(".")
        for depth in range(1, len(parts) + 1):  # a module loads its packages first
            name = ".".join(parts[:depth])
            if parts[0] != "tfcnn" or name in seen or not is_module(name, root):
                continue
            seen.add(name)
            chain = heavy_chain(module_file(name, root), root, seen)
            if chain:
                return f"{found.where(root)} -> {chain}"
    return None


def script_problems(root: Path) -> list[str]:
    """Rule: scripts are short and load no TensorFlow/Keras/PyTorch/answers at start."""
    problems = []
    for path in sorted((root / "scripts").glob("*.py")):
        lines = len(path.read_text().splitlines())
        if lines > MAX_SCRIPT_LINES:
            problems.append(
                f"{path.relative_to(root)}:{lines}: {lines} lines "
                f"(at most {MAX_SCRIPT_LINES}); move the logic to its answer module"
            )
        chain = heavy_chain(path, root, set())
        if chain:
            problems.append(
                f"{chain}: loaded at module level; import it inside a function "
                "(cli.launch imports the answer module)"
            )
    return problems


def top_module_problems(root: Path) -> list[str]:
    """Rule: at most MAX_TOP_MODULES modules (with __init__.py) at the top of tfcnn/."""
    top = sorted(p.name for p in (root / "tfcnn").glob("*.py"))
    if len(top) <= MAX_TOP_MODULES:
        return []
    return [
        f"tfcnn/:1: {len(top)} modules at the top ({', '.join(top)}); at most "
        f"{MAX_TOP_MODULES}: move the others into their layer's sub-package"
    ]


def config_classes(root: Path) -> list[str]:
    """Rule: only tfcnn/answers defines a class named `Config`."""
    problems = []
    paths = [*library_files(root), *sorted((root / "scripts").glob("*.py"))]
    for path in paths:
        if root / "tfcnn" / "answers" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef) and node.name == "Config":
                problems.append(
                    f"{path.relative_to(root)}:{node.lineno}: `class Config`: "
                    "a Config belongs to its answer module in tfcnn/answers"
                )
    return problems


class LayoutTest(unittest.TestCase):
    """The repository follows the layout."""

    def assertNoProblems(self, check):
        problems = check(ROOT)
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_nothing_outside_answers_imports_answers(self):
        self.assertNoProblems(answers_imports)

    def test_no_import_goes_up(self):
        self.assertNoProblems(upward_imports)

    def test_scripts_are_thin_launchers(self):
        self.assertTrue(list((ROOT / "scripts").glob("*.py")))
        self.assertNoProblems(script_problems)

    def test_few_modules_at_the_top(self):
        self.assertNoProblems(top_module_problems)

    def test_only_answers_define_a_config(self):
        self.assertNoProblems(config_classes)


CLEAN_TREE = {
    "tfcnn/__init__.py": "import importlib\n",
    "tfcnn/cli.py": (
        "from tfcnn.results import results_dir\n"
        "def launch():\n"
        "    from tfcnn.training import fit\n"
    ),
    "tfcnn/data/__init__.py": "from tfcnn.data.idx import read_idx\n",
    "tfcnn/data/idx.py": "import numpy as np\ndef read_idx(): pass\n",
    "tfcnn/results/__init__.py": "from . import summary\n",
    "tfcnn/results/summary.py": "import json\n",
    "tfcnn/training/__init__.py": "",
    "tfcnn/training/fit.py": "import keras\nfrom ..data import idx\n",
    "tfcnn/answers/__init__.py": "",
    "tfcnn/answers/set_a/__init__.py": "",
    "tfcnn/answers/set_a/a1.py": (
        "from tfcnn.training.fit import x\nclass Config:\n    pass\n"
    ),
    "tfcnn/site/__init__.py": "from tfcnn.results import summary\n",
    "scripts/train.py": (
        '"""A launcher."""\nfrom tfcnn import cli\n'
        "def main():\n    import tensorflow\n"
        '    cli.launch("tfcnn.answers.set_a.a1", None)\n'
    ),
}


class CheckerTest(unittest.TestCase):
    """The checker finds a planted breach of each rule, and only that."""

    def tree(self, changes: dict[str, str] | None = None) -> Path:
        """A fake repository: CLEAN_TREE with `changes` (path -> text) on top."""
        root = Path(tempfile.mkdtemp(dir=self.tmp.name))
        for name, text in {**CLEAN_TREE, **(changes or {})}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(textwrap.dedent(text))
        return root

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_clean_tree_passes_every_rule(self):
        root = self.tree()
        for check in (
            upward_imports,
            answers_imports,
            script_problems,
            top_module_problems,
            config_classes,
        ):
            self.assertEqual(check(root), [], check.__name__)

    def test_upward_import_is_reported_with_file_line_and_import(self):
        root = self.tree(
            {"tfcnn/data/pipeline.py": "import os\n\nfrom tfcnn.training import fit\n"}
        )
        self.assertEqual(
            upward_imports(root),
            [
                "tfcnn/data/pipeline.py:3: `from tfcnn.training import fit`: imports "
                "tfcnn.training.fit (floor 1) from tfcnn.data.pipeline (floor 0); "
                "imports go down only"
            ],
        )

    def test_relative_and_nested_upward_imports_are_reported(self):
        root = self.tree(
            {
                "tfcnn/results/summary.py": (
                    "def plot():\n    from ..training.fit import fit_iterations\n"
                )
            }
        )
        (problem,) = upward_imports(root)
        self.assertIn("tfcnn/results/summary.py:2:", problem)
        self.assertIn("tfcnn.training.fit (floor 1)", problem)

    def test_importing_the_package_itself_goes_to_the_top(self):
        root = self.tree({"tfcnn/site/hook.py": "from tfcnn import read_idx\n"})
        (problem,) = upward_imports(root)
        self.assertIn("tfcnn/site/hook.py:1: `from tfcnn import read_idx`", problem)
        self.assertIn("imports tfcnn (floor 3)", problem)

    def test_cli_imports_only_results_at_module_level(self):
        root = self.tree(
            {
                "tfcnn/cli.py": "from tfcnn.results import x\nfrom tfcnn.training import fit\n"
            }
        )
        (problem,) = upward_imports(root)
        self.assertIn("tfcnn/cli.py:2: `from tfcnn.training import fit`", problem)

    def test_answers_imported_from_outside(self):
        root = self.tree({"tfcnn/site/hook.py": "import tfcnn.answers.set_a.a1\n"})
        self.assertEqual(
            answers_imports(root),
            [
                "tfcnn/site/hook.py:1: `import tfcnn.answers.set_a.a1`: only "
                "tfcnn/answers may import tfcnn.answers"
            ],
        )

    def test_script_importing_tensorflow_directly_or_through_tfcnn(self):
        root = self.tree(
            {
                "scripts/direct.py": "import os\nimport tensorflow as tf\n",
                "scripts/indirect.py": "from tfcnn.training.fit import x\n",
            }
        )
        problems = script_problems(root)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("scripts/direct.py:2: `import tensorflow as tf`", problems[0])
        self.assertIn(
            "scripts/indirect.py:1: `from tfcnn.training.fit import x`", problems[1]
        )
        self.assertIn("tfcnn/training/fit.py:1: `import keras`", problems[1])

    def test_long_script(self):
        root = self.tree({"scripts/long.py": "x = 1\n" * (MAX_SCRIPT_LINES + 1)})
        (problem,) = script_problems(root)
        self.assertIn(f"scripts/long.py:{MAX_SCRIPT_LINES + 1}: ", problem)

    def test_too_many_top_modules(self):
        extra = {f"tfcnn/m{i}.py": "" for i in range(MAX_TOP_MODULES)}
        (problem,) = top_module_problems(self.tree(extra))
        self.assertIn(f"{MAX_TOP_MODULES + 2} modules at the top", problem)

    def test_config_outside_answers(self):
        root = self.tree(
            {"scripts/run.py": "import dataclasses\n\n\nclass Config:\n    x: int\n"}
        )
        self.assertEqual(
            config_classes(root),
            [
                "scripts/run.py:4: `class Config`: a Config belongs to its "
                "answer module in tfcnn/answers"
            ],
        )


if __name__ == "__main__":
    unittest.main()
