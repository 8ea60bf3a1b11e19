"""The Reproduce page names every script and every results folder.

So that every number on the site leads, through its results folder, to the
script that wrote it: each `scripts/*.py` must appear on `docs/reproduce.md`
as `scripts/<name>.py`, and each folder of `docs/results/` as
`docs/results/<folder>/`.
"""

from __future__ import annotations

import re
from pathlib import Path

import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reproduce.md"


def named_scripts(text: str) -> set[str]:
    return set(re.findall(r"scripts/([\w-]+\.py)", text))


def named_result_folders(text: str) -> set[str]:
    return set(re.findall(r"docs/results/([\w-]+)/", text))


class ReproducePageTest(tf.test.TestCase):
    def test_parsing(self):
        text = "`python scripts/a_b.py` writes `docs/results/c1/x.json`, `docs/results/b2-4/`"
        self.assertEqual(named_scripts(text), {"a_b.py"})
        self.assertEqual(named_result_folders(text), {"c1", "b2-4"})

    def test_every_script_is_listed(self):
        scripts = {p.name for p in (ROOT / "scripts").glob("*.py")}
        self.assertNotEmpty(scripts)
        missing = sorted(scripts - named_scripts(PAGE.read_text()))
        self.assertEqual(missing, [], "add a row for each to docs/reproduce.md")

    def test_every_results_folder_is_listed(self):
        folders = {p.name for p in (ROOT / "docs" / "results").iterdir() if p.is_dir()}
        self.assertNotEmpty(folders)
        missing = sorted(folders - named_result_folders(PAGE.read_text()))
        self.assertEqual(missing, [], "name the script that writes each folder")

    def test_listed_scripts_exist(self):
        unknown = sorted(
            name
            for name in named_scripts(PAGE.read_text())
            if not (ROOT / "scripts" / name).exists()
        )
        self.assertEqual(unknown, [])
