"""The results store: atomic writes with metadata, summaries over seeds, and the site's placeholders."""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfcnn import results, site
from tfcnn.results import summary


@dataclasses.dataclass
class _Config:
    lr: float = 0.1


class ResultsTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(self.get_temp_dir()) / "results"

    def test_writes_data_and_metadata(self):
        path = results.write_result(
            "x1",
            "run",
            {"acc": np.float32(0.5), "curve": np.arange(3)},
            config=_Config(),
            seed=7,
            wall_seconds=1.5,
            root=self.root,
        )
        self.assertEqual(path, self.root / "x1" / "run.json")
        data = json.loads(path.read_text())
        self.assertEqual(data["acc"], 0.5)
        self.assertEqual(data["curve"], [0, 1, 2])
        meta = data["meta"]
        self.assertEqual(meta["seed"], 7)
        self.assertEqual(meta["config"], {"lr": 0.1})
        self.assertEqual(meta["wall_seconds"], 1.5)
        for key in ["tensorflow", "keras", "numpy", "tfcnn", "python"]:
            self.assertIn(key, meta["versions"])
        for key in ["cpu", "cores", "gpus", "platform"]:
            self.assertIn(key, meta["machine"])
        self.assertIn("git_commit", meta)
        self.assertIn("command", meta)
        self.assertEqual(results.read_result("x1", "run", root=self.root)["acc"], 0.5)

    def test_failed_write_leaves_nothing_behind(self):
        results.write_result("x1", "run", {"v": 1}, root=self.root)
        with self.assertRaises(TypeError):
            results.write_result("x1", "run", {"v": object()}, root=self.root)
        with self.assertRaises(ValueError):  # NaN is not valid JSON
            results.write_result("x1", "run", {"v": float("nan")}, root=self.root)
        # The old file is intact and no temporary file is left.
        self.assertEqual(
            json.loads((self.root / "x1" / "run.json").read_text())["v"], 1
        )
        self.assertEqual(
            sorted(p.name for p in (self.root / "x1").iterdir()), ["run.json"]
        )

    def test_interrupted_figure_leaves_nothing(self):
        class Boom:
            def savefig(self, *args, **kwargs):
                Path(args[0]).write_bytes(b"partial")
                raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):
            results.save_figure(Boom(), "x2", "fig", root=self.root)
        self.assertEqual(list((self.root / "x2").iterdir()), [])

    def test_missing_result_names_the_fix(self):
        with self.assertRaisesRegex(FileNotFoundError, "run the script"):
            results.read_result("nope", "run", root=self.root)

    def test_stored_or_trained_trains_once_then_reads_back(self):
        calls = []

        def train():
            calls.append(1)
            return {"acc": 0.5}

        def run():
            return results.stored_or_trained(
                "x1",
                "run",
                train,
                lambda r: f"acc {r['acc']}",
                config=_Config(),
                seed=3,
                root=self.root,
            )

        self.assertEqual(run(), {"acc": 0.5})
        stored = run()
        self.assertLen(calls, 1)
        self.assertEqual(stored["acc"], 0.5)
        self.assertEqual(stored["meta"]["seed"], 3)
        self.assertEqual(stored["meta"]["config"], {"lr": 0.1})
        self.assertGreaterEqual(stored["meta"]["wall_seconds"], 0)


class SummaryTest(tf.test.TestCase):
    def test_describe_adds_the_range_to_mean_std_in_a_fixed_order(self):
        values = (value for value in [0.25, 0.75, 0.5])  # any iterable
        described = summary.describe(values)
        self.assertEqual(list(described), ["mean", "std", "min", "max", "n"])
        self.assertEqual(
            described,
            {**summary.mean_std([0.25, 0.75, 0.5]), "min": 0.25, "max": 0.75},
        )
        self.assertEqual(summary.describe([3])["std"], 0.0)
        with self.assertRaisesRegex(ValueError, "no runs were found"):
            summary.describe([])

    def test_percent_text(self):
        self.assertEqual(summary.pct(0.98765), "98.77 %")
        self.assertEqual(summary.pct(0.5, digits=0), "50 %")
        spread = {"mean": 0.9, "std": 0.0125, "n": 3}
        self.assertEqual(summary.pct_pm(spread), "90.00 ± 1.25 %")

    def test_runs_of_a_result_by_seed_and_their_final_summary(self):
        root = Path(self.get_temp_dir()) / "runs"
        for seed, accuracy in [(2, 0.5), (0, 0.7)]:
            final = {"train_accuracy": accuracy, "val_accuracy": accuracy}
            results.write_result("x2", f"deep_seed{seed}", {"final": final}, root=root)
        results.write_result("x2", "deep_summary", {"final": {}}, root=root)
        runs = summary.load_runs("x2", "deep", root)
        self.assertEqual(list(runs), [0, 2])
        final = summary.final_summary(runs, keys=("val_accuracy",))
        self.assertEqual(list(final), ["val_accuracy"])
        self.assertAllClose(final["val_accuracy"]["mean"], 0.6)
        self.assertEqual(final["val_accuracy"]["min"], 0.5)
        with self.assertRaisesRegex(FileNotFoundError, "run their script first"):
            summary.load_runs("x2", "shallow", root)


class SiteTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(self.get_temp_dir()) / "site_results"
        (self.root / "c9").mkdir(parents=True)
        (self.root / "c9" / "s.json").write_text(
            json.dumps(
                {
                    "acc": {"mean": 0.98765, "std": 0.00123, "n": 3},
                    "params": 3274634,
                    "runs": [{"x": 0.25}],
                    "table": {"columns": ["a", "b"], "rows": [["x", 1], ["y", 0.5]]},
                }
            )
        )

    def test_values_and_tables(self):
        text = (
            "A {{ result c9/s acc .2% }} B {{ result c9/s params ,d }} "
            "C {{result c9/s runs.0.x}}\n\n{{ table c9/s }}"
        )
        out = site.render(text, self.root)
        self.assertIn("A 98.77% ± 0.12% (n = 3) B 3,274,634 C 0.25", out)
        self.assertIn("| a | b |\n|---|---|\n| x | 1 |\n| y | 0.5 |", out)

    def test_page_formats_read_as_text_not_python(self):
        self.assertEqual(site.format_value(True), "yes")
        self.assertEqual(site.format_value(False), "no")
        self.assertEqual(site.format_value(10661), "10,661")
        self.assertEqual(site.format_value(999), "999")
        self.assertEqual(site.format_value(-0.0123, ".1pp"), "-1.2 points")
        self.assertEqual(
            site.format_value({"mean": 0.015, "std": 0.002, "n": 3}, ".1pp"),
            "1.5 ± 0.2 points (n = 3)",
        )
        table = site.markdown_table(
            {"columns": ["n"], "rows": [[18432], [True], ["XLA (jit_compile=True)"]]}
        )
        self.assertIn("| 18,432 |\n| yes |\n| XLA (`jit_compile=True`) |", table)
        self.assertEqual(site.as_cell("a `x=1` b"), "a `x=1` b")

    def test_indented_table_stays_indented(self):
        out = site.render('=== "tab"\n\n    {{ table c9/s }}\n', self.root)
        self.assertIn("    | a | b |\n    |---|---|\n    | x | 1 |", out)

    def test_missing_file_or_key_stops_the_build(self):
        with self.assertRaisesRegex(
            site.MissingResultError, r"p\.md: .*c9/none.*does not exist"
        ):
            site.render("{{ result c9/none acc }}", self.root, page="p.md")
        with self.assertRaisesRegex(site.MissingResultError, "c9/s nokey"):
            site.render("{{ result c9/s nokey }}", self.root)

    def test_a_placeholder_that_does_not_parse_stops_the_build(self):
        # One closing brace: left as it is, it would show on the page.
        with self.assertRaisesRegex(
            site.MissingResultError, r"p\.md: \{\{ result c9/s acc \}.*does not parse"
        ):
            site.render(
                "ok {{ result c9/s params }}\n{{ result c9/s acc } x", self.root, "p.md"
            )


class PagesTest(tf.test.TestCase):
    """Every page placeholder resolves, and every question id has its section."""

    docs = Path(__file__).resolve().parents[1] / "docs"

    def test_every_placeholder_resolves(self):
        for page in self.docs.glob("*.md"):
            site.render(page.read_text(), self.docs / "results", page=page.name)

    def test_every_figure_exists(self):
        for page in self.docs.glob("*.md"):
            for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", page.read_text()):
                if not target.startswith("http"):
                    self.assertTrue(
                        (self.docs / target).exists(), f"{page.name}: {target}"
                    )

    def test_every_question_id_has_a_section(self):
        ids = {
            "set-a.md": [f"A{i}" for i in range(1, 7)],
            "set-b.md": [f"B2.{i}" for i in range(1, 7)],
            "set-c.md": [
                "C1.1",
                "C1.2",
                "C2",
                "C3.1",
                "C3.2",
                "C3.3",
                "C4.1",
                "C5.1",
                "C5.2",
                "C5.3",
                "CT1.1",
                "CT1.2",
                "CT2",
                "CT3.1",
                "CT3.2",
                "CT4",
            ],
            "set-d.md": [f"D{i}" for i in range(1, 7)],
        }
        for page, wanted in ids.items():
            headings = re.findall(
                r"^#{2,4} (\S+)", (self.docs / page).read_text(), re.M
            )
            for question in wanted:
                self.assertTrue(
                    any(h.startswith(question) for h in headings),
                    f"{page} lacks {question}",
                )
