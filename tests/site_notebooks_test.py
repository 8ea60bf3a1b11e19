"""The walkthrough notebooks: one or more per set, stored executed, in the nav.

The site shows the notebooks' stored outputs (mkdocs-jupyter does not run
them), so each must have been run top to bottom without an error
(`scripts/run_notebooks.py`), start with a title, explain every code cell in
a Markdown cell before it, and be reachable from the navigation.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import tensorflow as tf

from tfcnn.site.notebooks import is_start_up_noise

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "docs" / "notebooks"


class NotebooksTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.paths = sorted(NOTEBOOKS.glob("*.ipynb"))

    def test_one_per_set_at_least(self):
        sets = {path.name[:5] for path in self.paths}
        self.assertContainsSubset({"set-a", "set-b", "set-c", "set-d"}, sets)

    def test_executed_in_order_without_errors(self):
        for path in self.paths:
            notebook = nbformat.read(path, as_version=4)
            code = [cell for cell in notebook.cells if cell.cell_type == "code"]
            self.assertNotEmpty(code, path.name)
            self.assertEqual(
                [cell.execution_count for cell in code],
                list(range(1, len(code) + 1)),
                f"{path.name}: run it top to bottom (scripts/run_notebooks.py)",
            )
            for cell in code:
                self.assertNotEmpty(cell.outputs, f"{path.name}: a cell without output")
                kinds = {output.output_type for output in cell.outputs}
                self.assertNotIn("error", kinds, path.name)

    def test_a_title_and_a_markdown_cell_before_every_step(self):
        for path in self.paths:
            cells = nbformat.read(path, as_version=4).cells
            self.assertEqual(cells[0].cell_type, "markdown", path.name)
            self.assertTrue(cells[0].source.startswith("# "), path.name)
            steps = [
                c for c in cells if c.cell_type == "markdown" and "## " in c.source
            ]
            self.assertGreaterEqual(len(steps), 3, path.name)
            for before, cell in zip(cells, cells[1:]):
                self.assertFalse(
                    before.cell_type == cell.cell_type == "code",
                    f"{path.name}: say in Markdown what each code cell does",
                )

    def test_in_the_navigation(self):
        nav = (ROOT / "mkdocs.yml").read_text()
        for path in self.paths:
            self.assertIn(f"notebooks/{path.name}", nav)

    def test_start_up_noise_filter(self):
        noise = is_start_up_noise
        log = (
            "WARNING: All log messages before absl::InitializeLog() is called are "
            "written to STDERR\nI0000 00:00:1795322878.748932    8361 port.cc:153] "
            "oneDNN custom operations are on.\n"
        )
        self.assertTrue(noise({"output_type": "stream", "name": "stderr", "text": log}))
        real = log + "UserWarning: something the reader should see\n"
        self.assertFalse(
            noise({"output_type": "stream", "name": "stderr", "text": real})
        )
        self.assertFalse(
            noise({"output_type": "stream", "name": "stdout", "text": log})
        )
