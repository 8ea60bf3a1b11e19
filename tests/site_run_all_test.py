"""run_all: its table covers every script; the runner times steps; recorded times add up."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import tensorflow as tf
from absl.testing import parameterized

from tfcnn.cli import THREADS_ENV
from tfcnn.site import run_all as regenerate
from tfcnn.site.run_all import Step, recorded_times, run_steps, summary_table

ROOT = Path(__file__).resolve().parents[1]


class TableTest(tf.test.TestCase):
    run_all = regenerate

    def test_every_script_is_in_the_table(self):
        scripts = {p.name for p in (ROOT / "scripts").glob("*.py")}
        listed = {row[0] for row in self.run_all.TABLE}
        self.assertEqual(scripts - {"run_all.py"}, listed)

    def test_every_script_has_a_smoke_run_that_writes_under_runs_quick(self):
        for step in self.run_all.steps(quick=True):
            self.assertTrue(
                "--quick" in step.args or "runs/quick" in step.args or not step.args,
                step.command,
            )
        quick_scripts = {s.script for s in self.run_all.steps(quick=True)}
        without = {row[0] for row in self.run_all.TABLE} - quick_scripts
        self.assertEqual(without, set(self.run_all.NO_QUICK))

    def test_full_run_has_three_seeds_where_the_page_reports_them(self):
        commands = [s.command for s in self.run_all.steps(quick=False)]
        for seed in (0, 1, 2):
            self.assertIn(f"python scripts/train_mnist_deep.py --seed {seed}", commands)
        self.assertFalse(any("--quick" in c for c in commands))

    def test_report_runs_after_what_it_reads(self):
        order = [s.script for s in self.run_all.steps(quick=False)]
        self.assertGreater(
            order.index("report_set_c.py"),
            max(
                order.index("train_mnist_deep.py"), order.index("search_small_mnist.py")
            ),
        )

    def test_only_and_skip(self):
        steps = self.run_all.steps(quick=True)
        only = self.run_all.select(steps, ["set_a_losses.py"], None)
        self.assertEqual([s.script for s in only], ["set_a_losses.py"])
        skipped = self.run_all.select(steps, None, ["bench.py"])
        self.assertEqual(len(skipped), len(steps) - 1)
        with self.assertRaisesRegex(ValueError, "no script 'nope.py'.*'bench.py'"):
            self.run_all.select(steps, ["nope.py"], None)


class RunnerTest(tf.test.TestCase):
    def fake_steps(self, tmp: Path, codes):
        # The runner starts `scripts/<name>`; point it at throwaway scripts.
        scripts = tmp / "scripts"
        scripts.mkdir()
        steps = []
        for i, code in enumerate(codes):
            (scripts / f"s{i}.py").write_text(
                f"import sys, time\nprint('step {i} working')\ntime.sleep(0.2)\nsys.exit({code})\n"
            )
            steps.append(Step(f"s{i}.py", ("--flag",), f"Q{i}"))
        return steps

    def run_fake(self, codes, keep_going=False):
        tmp = Path(self.get_temp_dir()) / f"run{len(codes)}{keep_going}"
        tmp.mkdir()
        steps = self.fake_steps(tmp, codes)
        out = io.StringIO()
        original = regenerate.REPO_ROOT
        regenerate.REPO_ROOT = tmp
        try:
            records = run_steps(
                steps,
                log_dir=tmp / "logs",
                keep_going=keep_going,
                poll_seconds=0.05,
                out=out,
            )
        finally:
            regenerate.REPO_ROOT = original
        return records, out.getvalue()

    def test_times_every_step_and_keeps_its_output(self):
        records, shown = self.run_fake([0, 0])
        self.assertEqual([r["status"] for r in records], ["ok", "ok"])
        self.assertTrue(all(r["seconds"] >= 0.2 for r in records))
        self.assertIn("[2/2] python scripts/s1.py --flag", shown)
        self.assertIn("step 1 working", Path(records[1]["log"]).read_text())
        table = summary_table(records)
        self.assertEqual(table["rows"][-1][0], "**total**")
        self.assertEqual(len(table["rows"]), 3)

    def test_stops_at_a_failure_unless_told_to_go_on(self):
        records, shown = self.run_fake([0, 3, 0])
        self.assertEqual(
            [r["status"] for r in records], ["ok", "failed (exit 3)", "not run"]
        )
        self.assertIn("see ", shown)
        records, _ = self.run_fake([3, 0], keep_going=True)
        self.assertEqual([r["status"] for r in records], ["failed (exit 3)", "ok"])

    def test_two_jobs_run_side_by_side_and_a_script_waits_for_its_own(self):
        tmp = Path(self.get_temp_dir()) / "jobs"
        (tmp / "scripts").mkdir(parents=True)
        # Each step prints when it started and ended (wall clock of this machine).
        code = "import time\nprint(time.time())\ntime.sleep(0.6)\nprint(time.time())\n"
        for name in ("a.py", "b.py"):
            (tmp / "scripts" / name).write_text(code)
        steps = [Step("a.py"), Step("b.py"), Step("a.py", ("--again",))]
        with mock.patch.object(regenerate, "REPO_ROOT", tmp):
            ended = []
            records = run_steps(
                steps,
                log_dir=tmp / "logs",
                jobs=2,
                on_step=lambda done: ended.append(len(done)),
                poll_seconds=0.02,
                out=io.StringIO(),
            )
        spans = [
            [float(t) for t in Path(r["log"]).read_text().split()] for r in records
        ]
        self.assertEqual([r["status"] for r in records], ["ok"] * 3)
        self.assertEqual([r["command"] for r in records], [s.command for s in steps])
        self.assertLess(spans[1][0], spans[0][1])  # b ran beside a
        self.assertGreaterEqual(spans[2][0], spans[0][1])  # a again waited for a
        self.assertEqual(ended, [1, 2, 3])

    def test_sigterm_stops_the_running_script_and_keeps_its_times(self):
        tmp = Path(self.get_temp_dir()) / "interrupted"
        (tmp / "scripts").mkdir(parents=True)
        # The step asks its parent (this test) to stop, then works on.
        (tmp / "scripts" / "stops.py").write_text(
            "import os, signal, time\nos.kill(os.getppid(), signal.SIGTERM)\n"
            "time.sleep(60)\n"
        )
        (tmp / "scripts" / "after.py").write_text("pass\n")
        saved, out = [], io.StringIO()
        started = time.monotonic()
        with mock.patch.object(regenerate, "REPO_ROOT", tmp):
            with regenerate.sigterm_interrupts():
                records = run_steps(
                    [Step("stops.py"), Step("after.py")],
                    log_dir=tmp / "logs",
                    on_step=saved.append,
                    poll_seconds=0.05,
                    out=out,
                )
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual([r["status"] for r in records], ["cut short", "not run"])
        self.assertEqual(records[0]["exit_status"], -signal.SIGTERM)
        self.assertGreater(records[0]["seconds"], 0)
        self.assertEqual([r["status"] for r in saved[-1]], ["cut short"])
        self.assertIn("interrupted", out.getvalue())
        # Outside the block, SIGTERM is handled as before.
        self.assertIs(signal.getsignal(signal.SIGTERM), signal.SIG_DFL)

    def test_what_waits_for_what(self):
        steps = [
            Step("train_mnist_deep.py"),
            Step("search_small_mnist.py", ("--family", "shallow")),
            Step("search_small_mnist.py", ("--family", "deep")),
            Step("train_mnist_pairs.py"),
            Step("train_mnist_overfit.py"),
            Step("report_set_c.py"),
            Step("train_mnist_deep.py", ("--linear",)),
        ]
        # The two C3 families run side by side; the report waits for both.
        self.assertEqual(
            regenerate._needs(steps), [set(), set(), set(), set(), {0}, {0, 1, 2}, {0}]
        )
        with self.assertRaisesRegex(ValueError, "--jobs 1 or more"):
            run_steps(steps, log_dir=Path(self.get_temp_dir()), jobs=0)


class ThreadsPerJobTest(tf.test.TestCase, parameterized.TestCase):
    """With several jobs, each script's backend gets its share of the cores."""

    def setUp(self):
        super().setUp()
        patcher = mock.patch.dict(os.environ)
        patcher.start()
        self.addCleanup(patcher.stop)
        os.environ.pop(THREADS_ENV, None)

    @parameterized.parameters((1, 2, {}), (2, 2, "1"), (2, 8, "4"), (3, 2, "1"))
    def test_share_of_the_cores(self, jobs, cores, expected):
        expected = {THREADS_ENV: expected} if expected else {}
        self.assertEqual(regenerate.threads_per_job(jobs, cores), expected)

    def test_the_users_own_setting_wins(self):
        os.environ[THREADS_ENV] = "2"
        self.assertEqual(regenerate.threads_per_job(2, 2), {})

    def test_the_scripts_of_two_jobs_see_the_cap(self):
        tmp = Path(self.get_temp_dir()) / "threads"
        (tmp / "scripts").mkdir(parents=True)
        (tmp / "scripts" / "show.py").write_text(
            f"import os\nprint(os.environ.get({THREADS_ENV!r}, 'unset'))\n"
        )
        seen = {}
        for jobs in (1, 2):
            with mock.patch.object(regenerate, "REPO_ROOT", tmp):
                (record,) = run_steps(
                    [Step("show.py")],
                    log_dir=tmp / f"logs{jobs}",
                    jobs=jobs,
                    poll_seconds=0.02,
                    out=io.StringIO(),
                )
            seen[jobs] = Path(record["log"]).read_text().strip()
        cores = len(os.sched_getaffinity(0))
        self.assertEqual(seen, {1: "unset", 2: str(max(1, cores // 2))})


class RecordedTimesTest(tf.test.TestCase):
    def write(self, root: Path, name: str, command: str, seconds):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"meta": {"command": command, "wall_seconds": seconds}})
        )
        return path

    def test_sums_runs_and_skips_summaries_that_include_them(self):
        root = Path(self.get_temp_dir()) / "results"
        paths = [
            self.write(root, "c1/deep_seed0.json", "train.py --seed 0", 100.0),
            self.write(root, "c1/deep_seed1.json", "train.py --seed 1", 50.0),
            # Written by the same script as the runs: its time includes theirs.
            self.write(root, "c1/summary.json", "train.py --seeds 0 1", 160.0),
            # A summary by another script, and a summary with no runs: counted.
            self.write(root, "c1/report_summary.json", "report.py", 5.0),
            self.write(root, "bench/summary.json", "bench.py", 600.0),
            self.write(root, "a1/untimed.json", "a.py", None),
        ]
        times = recorded_times(paths, root)
        self.assertAllClose(times["total_seconds"], 100 + 50 + 5 + 600)
        self.assertEqual(times["files"], 6)
        self.assertEqual(times["files_with_time"], 5)
        rows = {row[0]: row for row in times["table"]["rows"]}
        self.assertEqual(rows["c1"][1], 4)
        self.assertEqual(rows["c1"][2], f"{155 / 3600:.2f}")


class CommandTest(tf.test.TestCase):
    """`scripts/run_all.py` as a user runs it."""

    def run_script(self, *argv):
        return subprocess.run(
            [sys.executable, "scripts/run_all.py", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    def test_dry_run_lists_the_commands(self):
        done = self.run_script("--dry-run", "--only", "set_a_losses.py")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, " 1. python scripts/set_a_losses.py    # A5\n")

    def test_unknown_script_is_one_line_and_exit_status_1(self):
        done = self.run_script("--only", "nope.py")
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stdout, "")
        (line,) = done.stderr.splitlines()
        self.assertStartsWith(line, "error: no script 'nope.py' in the table")


class TallyTest(tf.test.TestCase):
    def test_prints_the_table_and_writes_no_path_of_the_machine(self):
        results = ROOT / "docs" / "results"
        out = Path(self.get_temp_dir()) / "tally"
        printed = io.StringIO()
        with mock.patch.dict(os.environ, {"TFCNN_RESULTS_DIR": str(results)}):
            with contextlib.redirect_stdout(printed):
                path = regenerate.tally(out)
        self.assertEqual(path, out / "run_all" / "recorded.json")
        self.assertIn("| **total** |", printed.getvalue())
        written = json.loads(path.read_text())
        self.assertEqual(written["meta"]["config"], {"root": "docs/results"})
        self.assertNotIn(str(ROOT), path.read_text())
        self.assertGreater(written["files"], 10)


if __name__ == "__main__":
    tf.test.main()
