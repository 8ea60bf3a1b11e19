"""run_all --seeds N: one seed of every answer under runs/seed<N>, timed in wall and CPU."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import tensorflow as tf

from tfcnn.results import RESULTS_ENV
from tfcnn.site import run_all as regenerate
from tfcnn.site.run_all import Step, run_seed, run_steps, seed_steps

ROOT = Path(__file__).resolve().parents[1]
# A child that burns this much CPU time (and then some to start Python).
BUSY_SECONDS = 0.5
BUSY = (
    "import time\nstart = time.process_time()\n"
    f"while time.process_time() - start < {BUSY_SECONDS}:\n    pass\n"
)


def parse_args_of(script: str):
    """The `parse_args` of `scripts/<script>` (which imports no TensorFlow)."""
    path = ROOT / "scripts" / script
    spec = importlib.util.spec_from_file_location(f"script_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_args


parse_args = parse_args_of("run_all.py")


def parsed_options(step: Step):
    """The options `step`'s own script parses from its arguments."""
    return parse_args_of(step.script)(list(step.args))


def seeds_parsed(options) -> tuple:
    """The seeds a script runs: `--seed`, else `--seeds` or `--draws`, else none."""
    if getattr(options, "seed", None) is not None:
        return (options.seed,)
    return tuple(
        getattr(options, "seeds", None) or getattr(options, "draws", None) or ()
    )


class SeedStepsTest(tf.test.TestCase):
    def test_every_script_of_the_table_is_decided_once(self):
        scripts = {row[0] for row in regenerate.TABLE}
        decided = [
            *regenerate.SEED_OPTION,
            *regenerate.SEEDLESS,
            *regenerate.NOT_IN_A_SEED_RUN,
        ]
        self.assertCountEqual(decided, scripts)

    def test_every_script_writes_under_runs_seed_n_and_runs_seed_n_only(self):
        for seed in (0, 3):
            for step in seed_steps(seed):
                options = parsed_options(step)
                self.assertEqual(options.results_dir, Path(f"runs/seed{seed}"))
                self.assertFalse(getattr(options, "quick", False), step.command)
                expected = (seed,) if step.script in regenerate.SEED_OPTION else ()
                self.assertEqual(seeds_parsed(options), expected, step.command)
                self.assertNotIn("docs/results", step.command)

    def test_runs_that_differ_by_their_seed_collapse_to_one(self):
        commands = [step.command for step in seed_steps(0)]
        deep = [c for c in commands if "train_mnist_deep.py" in c]
        self.assertEqual(
            deep,
            [
                "python scripts/train_mnist_deep.py --seed 0 --results-dir runs/seed0",
                "python scripts/train_mnist_deep.py --linear --seed 0 "
                "--results-dir runs/seed0",
            ],
        )
        self.assertIn(
            "python scripts/train_cifar10.py --separable --seed 0 "
            "--results-dir runs/seed0",
            commands,
        )
        self.assertIn(
            "OMP_NUM_THREADS=1 python scripts/train_scratch.py --seeds 0 "
            "--results-dir runs/seed0",
            commands,
        )
        scripts = {step.script for step in seed_steps(0)}
        self.assertFalse(scripts & set(regenerate.NOT_IN_A_SEED_RUN))

    def test_dry_run_lists_the_commands_and_what_is_left_out(self):
        done = subprocess.run(
            [sys.executable, "scripts/run_all.py", "--dry-run", "--seeds", "0"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        listed = [
            line for line in done.stdout.splitlines() if "python scripts/" in line
        ]
        self.assertLen(listed, len(seed_steps(0)))
        self.assertTrue(all("--results-dir runs/seed0" in line for line in listed))
        for name in regenerate.NOT_IN_A_SEED_RUN:
            self.assertIn(f"not in a one-seed run: {name} (", done.stdout)

    def test_quick_and_left_out_scripts_are_refused(self):
        with self.assertRaisesRegex(ValueError, "drop --quick"):
            regenerate.main(parse_args(["--seeds", "0", "--quick"]))
        with self.assertRaisesRegex(ValueError, "bench.py is not in a one-seed run"):
            regenerate.main(parse_args(["--seeds", "0", "--only", "bench.py"]))


class SeedRunTest(tf.test.TestCase):
    """`run_seed` and `main --seeds` on throwaway scripts in a throwaway repository."""

    def setUp(self):
        super().setUp()
        self.repo = Path(self.get_temp_dir()) / self.id().rsplit(".", 1)[-1]
        (self.repo / "scripts").mkdir(parents=True)
        self.site = self.repo / "docs" / "results"
        for patch in (
            mock.patch.object(regenerate, "REPO_ROOT", self.repo),
            mock.patch.dict(os.environ, {RESULTS_ENV: str(self.site)}),
        ):
            patch.start()
            self.addCleanup(patch.stop)

    def script(self, name: str, code: str) -> Step:
        (self.repo / "scripts" / name).write_text(code)
        return Step(name, (), f"answer of {name}")

    def run_quietly(self, steps: list[Step], whole: bool = True):
        with mock.patch.object(
            regenerate, "run_steps", mock.Mock(wraps=self.fast_run_steps)
        ) as runner:
            path, result = run_seed(0, steps, whole=whole, out=io.StringIO())
        return path, result, runner

    @staticmethod
    def fast_run_steps(steps, **options):
        return run_steps(steps, **{**options, "poll_seconds": 0.02})

    def test_counts_the_cpu_time_of_the_child_and_its_children(self):
        busy = self.script("busy.py", BUSY)
        parent = self.script(
            "parent.py",
            f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {BUSY!r}])\n",
        )
        records = run_steps(
            [busy, parent],
            log_dir=self.repo / "logs",
            poll_seconds=0.02,
            out=io.StringIO(),
        )
        for record in records:
            self.assertEqual(record["exit_status"], 0)
            # Python's start-up adds a few hundredths of a second.
            self.assertBetween(record["cpu_seconds"], BUSY_SECONDS, BUSY_SECONDS + 0.4)
            self.assertGreaterEqual(record["seconds"], record["cpu_seconds"] * 0.9)

    def test_a_complete_run_writes_the_site_file(self):
        steps = [self.script("a.py", "print('a')\n"), self.script("b.py", "pass\n")]
        path, result, runner = self.run_quietly(steps)
        self.assertEqual(path, self.site / "run_all" / "seed0.json")
        written = json.loads(path.read_text())
        self.assertTrue(written["complete"])
        self.assertEqual(written["seed"], 0)
        self.assertEqual(written["meta"]["seed"], 0)
        self.assertGreater(written["minutes"], 0)
        self.assertGreaterEqual(written["cpu_minutes"], 0)
        table = written["table"]
        self.assertEqual(table["columns"][2:], ["wall (s)", "CPU (s)", "exit status"])
        self.assertEqual(
            table["rows"][0][:2], ["`python scripts/a.py`", "answer of a.py"]
        )
        self.assertEqual(table["rows"][0][4], 0)
        self.assertEqual(table["rows"][-1][0], "**total**")
        self.assertNotIn(str(self.repo), path.read_text())
        # The children read and write under runs/seed0, never the site's results.
        env = runner.call_args.kwargs["env"]
        self.assertEqual(env, {RESULTS_ENV: str(self.repo / "runs" / "seed0")})

    def test_a_failed_step_makes_the_run_incomplete_and_keeps_it_off_the_site(self):
        steps = [
            self.script("ok.py", "pass\n"),
            self.script("bad.py", "raise SystemExit(3)\n"),
            self.script("after.py", "pass\n"),
        ]
        path, result, _ = self.run_quietly(steps)
        self.assertEqual(path, self.repo / "runs" / "seed0" / "run_all" / "seed0.json")
        self.assertFalse((self.site / "run_all" / "seed0.json").exists())
        written = json.loads(path.read_text())
        self.assertFalse(written["complete"])
        self.assertEqual(
            [row[4] for row in written["table"]["rows"][:-1]], [0, 3, "not run"]
        )
        self.assertEqual(written["steps"][1]["status"], "failed (exit 3)")

    def test_a_run_cut_short_keeps_the_times_of_its_ended_steps(self):
        progress = self.repo / "runs" / "seed0" / "run_all" / "seed0.json"
        # The second step exits 0 only if the first one's record is already saved.
        check = (
            "import json, sys\n"
            f"run = json.load(open({str(progress)!r}))\n"
            "ok = run['ended'] == 1 and run['planned'] == 2 and not run['complete']\n"
            "ok = ok and run['steps'][0]['command'] == 'python scripts/first.py'\n"
            "sys.exit(0 if ok else 5)\n"
        )
        steps = [self.script("first.py", "pass\n"), self.script("check.py", check)]
        path, result, _ = self.run_quietly(steps)
        self.assertEqual([r["status"] for r in result["steps"]], ["ok", "ok"])
        self.assertTrue(result["complete"])
        self.assertEqual(path, self.site / "run_all" / "seed0.json")
        # The site's file replaces the progress copy, which said "incomplete".
        self.assertFalse(progress.exists())

    def test_a_full_run_cut_short_stays_off_the_site(self):
        cut = [dict(regenerate.NOT_RUN, command="c", answers="A5", log=str(self.repo))]
        cut[0].update(status="cut short", exit_status=-15)
        with mock.patch.object(regenerate, "run_steps", return_value=cut):
            with (
                contextlib.redirect_stdout(io.StringIO()),
                self.assertRaises(SystemExit),
            ):
                regenerate.main(parse_args([]))
        self.assertFalse((self.site / "run_all" / "summary.json").exists())
        written = self.repo / "runs" / "run_all" / "summary.json"
        self.assertEqual(
            json.loads(written.read_text())["steps"][0]["status"], "cut short"
        )

    def test_only_never_writes_the_site_file(self):
        done = [dict(regenerate.NOT_RUN, command="c", answers="A5", log=str(self.repo))]
        done[0].update(status="ok", exit_status=0)
        args = parse_args(["--seeds", "0", "--only", "set_a_losses.py"])
        with mock.patch.object(regenerate, "run_steps", return_value=done) as runner:
            with contextlib.redirect_stdout(io.StringIO()) as shown:
                regenerate.main(args)
        (only,) = runner.call_args.args[0]
        self.assertEqual(only.script, "set_a_losses.py")
        self.assertFalse((self.site / "run_all" / "seed0.json").exists())
        written = self.repo / "runs" / "seed0" / "run_all" / "seed0.json"
        self.assertFalse(json.loads(written.read_text())["complete"])
        self.assertIn("(an incomplete run)", shown.getvalue())


if __name__ == "__main__":
    tf.test.main()
