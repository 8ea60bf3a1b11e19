"""The API reference covers the whole library.

Every module of `tfcnn` (packages' `__init__` and `__main__` aside) must be
rendered on one of the `docs/api/*.md` pages, by a `::: tfcnn.module`
directive or by the directive of a package given `show_submodules: true`, and
every directive must name an existing module, so that a new module cannot slip
out of the reference and a renamed one cannot break it.
"""

from __future__ import annotations

import re
from pathlib import Path

import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"


def library_modules() -> set[str]:
    modules = set()
    for path in (ROOT / "tfcnn").rglob("*.py"):
        if path.name in {"__init__.py", "__main__.py"}:
            continue
        modules.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return modules


DIRECTIVE = re.compile(r"^:::\s+([\w.]+)\n((?:[ \t]+.*\n?)*)", re.M)


def documented_modules() -> dict[str, str]:
    """Module named by a `::: ` directive -> the API page it is on.

    A package whose directive has `show_submodules: true` is recorded as
    `package.*`: all its modules are rendered with it.
    """
    found = {}
    for page in sorted(API.glob("*.md")):
        for name, options in DIRECTIVE.findall(page.read_text()):
            found[name] = page.name
            if re.search(r"show_submodules:\s*true", options):
                found[name + ".*"] = page.name
    return found


def is_documented(module: str, documented: dict[str, str]) -> bool:
    parts = module.split(".")
    packages = {".".join(parts[:i]) + ".*" for i in range(1, len(parts))}
    return module in documented or bool(packages & documented.keys())


def is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


class ApiReferenceTest(tf.test.TestCase):
    def test_directives_and_their_submodules(self):
        page = ":::  tfcnn.data\n    options:\n      show_submodules: true\n\n::: tfcnn.cli\n"
        self.assertEqual(DIRECTIVE.findall(page)[1:], [("tfcnn.cli", "")])
        documented = {"tfcnn.data.*": "data.md", "tfcnn.cli": "cli.md"}
        self.assertTrue(is_documented("tfcnn.data.splits", documented))
        self.assertTrue(is_documented("tfcnn.cli", documented))
        self.assertFalse(is_documented("tfcnn.models.mnist", documented))
        self.assertFalse(is_documented("tfcnn.database", documented))

    def test_every_module_is_documented(self):
        modules = library_modules()
        self.assertIn("tfcnn.analysis.conv", modules)
        documented = documented_modules()
        missing = sorted(m for m in modules if not is_documented(m, documented))
        self.assertEqual(
            missing, [], "add a `::: module` line to the right docs/api/*.md page"
        )

    def test_every_directive_names_a_module(self):
        documented = documented_modules()
        self.assertNotEmpty(documented)
        unknown = sorted(
            f"{page}: {name}"
            for name, page in documented.items()
            if not is_module(name.removesuffix(".*"))
        )
        self.assertEqual(unknown, [])

    def test_every_api_page_is_in_the_nav(self):
        nav = (ROOT / "mkdocs.yml").read_text()
        for page in API.glob("*.md"):
            self.assertIn(f"api/{page.name}", nav)
