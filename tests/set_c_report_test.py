"""Set C's report helpers: seed tables, the search's candidates and winner, CT3/CT4."""

import json
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf

from tfcnn.answers.set_c import c3_small_networks as c3
from tfcnn.answers.set_c.c1_c2_deep import (
    Config,
    comparison_lines,
    comparison_rows,
    len_train,
    reaching,
    seed_rows,
    site_reference,
)
from tfcnn.answers.set_c.ct_theory import theory_checks
from tfcnn.results import RESULTS_ENV


def fake_run(val_curve, final_val=None, params=100, seconds=10.0, seed=0, **config):
    """A run as the training scripts write it, with a validation curve every 100 iterations."""
    history = [
        {"iteration": 100 * (i + 1), "val_accuracy": v, "train_seconds": 2.0 * (i + 1)}
        for i, v in enumerate(val_curve)
    ]
    final = {
        "iteration": history[-1]["iteration"],
        "train_accuracy": 0.99,
        "val_accuracy": val_curve[-1] if final_val is None else final_val,
        "test_accuracy": 0.98,
    }
    return {
        "meta": {"seed": seed, "config": config, "wall_seconds": 60.0},
        "params": params,
        "history": history,
        "final": final,
        "train_seconds": seconds,
    }


class DeepReportTest(tf.test.TestCase):
    def test_len_train_leaves_out_the_validation_split(self):
        self.assertEqual(len_train({"val_fraction": 0.1}), 54_000)
        self.assertEqual(len_train({"val_fraction": 0.0}), 60_000)

    def test_seed_rows(self):
        runs = {3: fake_run([0.5, 0.9876], seconds=12.4)}
        self.assertEqual(seed_rows(runs), [[3, "99.00 %", "98.76 %", "98.00 %", "12"]])

    def test_reaching_skips_runs_that_never_reach(self):
        runs = {0: fake_run([0.9, 0.96, 0.97]), 1: fake_run([0.9, 0.94, 0.95])}
        self.assertEqual(reaching(runs, 0.95), [200, 300])
        self.assertEqual(reaching(runs, 0.96), [200])
        self.assertEqual(reaching(runs, 0.99), [])

    def test_comparison_rows_average_the_seeds_that_reach_97(self):
        good = {0: fake_run([0.97, 0.98]), 1: fake_run([0.9, 0.97])}
        bad = {0: fake_run([0.9, 0.91], params=1234)}
        summary = {
            k: {"mean": 0.5, "std": 0.01}
            for k in ("train_accuracy", "val_accuracy", "test_accuracy")
        }
        rows = comparison_rows({"a": good, "b": bad}, {"a": summary, "b": summary})
        self.assertEqual(rows[0][-1], "150 (2/2 seeds)")
        self.assertEqual(rows[1][1], "1,234")
        self.assertEqual(rows[1][-1], "never")
        self.assertEqual(rows[1][2], "50.00 ± 1.00 %")


def search_run(family, name, iterations, seed, val, cpu_per_record=1.0) -> dict:
    """A stored C3 run: a record every 1,000 iterations, validation rising to `val`."""
    records = iterations // 1000
    history = [
        {
            "iteration": 1000 * (i + 1),
            "train_cpu_seconds": cpu_per_record * (i + 1),
            "val_accuracy": val - 0.02 * (records - 1 - i),
            "test_accuracy": 0.9,
            "train_accuracy": 0.99,
            "val_loss": 0.1,
            "train_loss": 0.1,
            "test_loss": 0.1,
        }
        for i in range(records)
    ]
    config = {"family": family, "candidate": name, "iterations": iterations}
    return {
        "meta": {"seed": seed, "wall_seconds": 30.0, "config": config},
        "history": history,
        "final": history[-1],
    }


class SearchReportTest(tf.test.TestCase):
    """A whole search on disk: candidates of 474 parameters and more pass."""

    def val(self, family, name, iterations, seed):
        big = c3.count_params(family, c3.grid(family)[name]) >= self.SMALLEST[family]
        if not big:
            return 0.93
        return 0.96 if iterations >= 12000 or seed == 0 else 0.94

    SMALLEST = {"shallow": 474, "deep": 508}

    def write_search(self, root):
        folder = root / "c3"
        folder.mkdir(parents=True, exist_ok=True)
        for family in c3.FAMILIES:
            while True:
                _, _, needed = c3.decide(family, c3.load_search(family, root))
                if not needed:
                    break
                for name, its, seed in needed:
                    cpu = 1.0 + 0.1 * seed if family == "shallow" else 3.0 + seed
                    run = search_run(
                        family, name, its, seed, self.val(family, name, its, seed), cpu
                    )
                    path = folder / f"{family}_{name}_it{its}_seed{seed}.json"
                    path.write_text(json.dumps(run))

    def test_report_names_the_smallest_passing_candidates(self):
        root = Path(self.get_temp_dir()) / "results"
        self.write_search(root)
        with mock.patch.dict("os.environ", {RESULTS_ENV: str(root)}):
            c3.report_search(0.95, root=root)
        summary = json.loads((root / "c3" / "summary.json").read_text())
        shallow, deep = summary["shallow"], summary["deep"]
        self.assertEqual(shallow["winner"]["name"], "k5_p8_f4")
        self.assertEqual(shallow["winner"]["params"], 474)
        self.assertEqual(deep["winner"]["name"], "k5_p2_f2-2_u8")
        # Seeds 1 and 2 miss at 6,000 iterations: 12,000 is the shortest that passes.
        self.assertEqual(shallow["winner"]["iterations"], 12000)
        self.assertEqual(len(shallow["table"]["rows"]), len(c3.grid("shallow")))
        verdicts = {row[0]: row[-1] for row in shallow["table"]["rows"]}
        self.assertEqual(verdicts["`k5_p8_f4`"], "**smallest that passes**")
        self.assertEqual(
            verdicts["`k3_p8_f4`"], "fails at every schedule"
        )  # a neighbour
        self.assertEqual(verdicts["`k5_p8_f2`"], "fails")
        self.assertEqual(
            [row[0] for row in shallow["neighbours"]["rows"]],
            ["`k3_p8_f4`", "`k7_p8_f4`", "`k5_p12_f4`", "`k5_p8_f3`"],
        )
        self.assertEqual(shallow["schedules"]["rows"][0][-1], "1/3")
        self.assertEqual(len(shallow["winner_seeds"]["rows"]), 3)
        # Time to 95 %: the first record at 0.95 or above is the last (0.96),
        # 12 records of 1 + seed / 10 CPU seconds (shallow), 3 + seed (deep).
        timing = summary["convergence"]
        self.assertAllClose(
            timing["shallow"]["cpu_seconds"], [12.0, 13.2, 14.4, 15.6, 16.8]
        )
        self.assertEqual(timing["deep"]["cpu_seconds"], [36.0, 48.0, 60.0, 72.0, 84.0])
        self.assertLess(timing["welch"]["p"], 0.05)
        self.assertEqual(timing["significant"], "yes")
        self.assertIn("p", timing["welch_iterations"])
        for name in ("search", "convergence", "shallow_winner", "deep_winner"):
            self.assertTrue((root / "c3" / f"{name}.png").exists(), name)


class WelchTest(tf.test.TestCase):
    def test_matches_the_formula(self):
        from scipy import stats

        a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0, 11.0]
        ma, mb, va, vb = np.mean(a), np.mean(b), np.var(a, ddof=1), np.var(b, ddof=1)
        se2 = va / 4 + vb / 5
        t = (ma - mb) / np.sqrt(se2)
        df = se2**2 / ((va / 4) ** 2 / 3 + (vb / 5) ** 2 / 4)
        result = c3.welch_test(a, b)
        self.assertAllClose([result["t"], result["df"]], [t, df])
        self.assertAllClose(result["p"], 2 * stats.t.sf(abs(t), df))
        self.assertEqual(c3.welch_test([2.0, 2.0], [2.0, 2.0])["p"], 1.0)
        self.assertEqual(c3.welch_test([2.0, 2.0], [3.0, 3.0])["p"], 0.0)
        with self.assertRaisesRegex(ValueError, "two values"):
            c3.welch_test([1.0], b)


class TheoryChecksTest(tf.test.TestCase):
    def test_checks_agree_with_independent_answers(self):
        checks = theory_checks()
        signal = np.array(checks["signal"], dtype=float)
        self.assertLess(checks["jacobian_max_abs_error_vs_tape"], 1e-12)
        # y[n] = sum_i f[i] x[n + i], so row n of the Jacobian is x[n : n + 3].
        self.assertEqual(
            [row[1:] for row in checks["jacobian"]["rows"]],
            [list(signal[n : n + 3]) for n in range(5)],
        )
        self.assertAllClose(
            checks["jt_g"], np.correlate(signal, checks["upstream"], "valid")
        )
        self.assertEqual(checks["conv96_params"], 5 * 5 * 3 * 96 + 96)
        self.assertEqual(checks["dense4096_params"], 4096 * 4096 + 4096)
        self.assertEqual(checks["independent_constraints"], 10_000 * 999)


class DeepRunTest(tf.test.TestCase):
    def test_quick_and_run_names(self):
        quick = Config(linear=True, seed=2).quick()
        self.assertEqual((quick.iterations, quick.record_every), (1000, 250))
        self.assertEqual(
            (quick.result_id, quick.run_name), ("c2", "linear_valid_seed2")
        )
        self.assertEqual(Config(padding="same").run_name, "deep_same_seed0")

    def write_site(self, root, padding="valid"):
        site = fake_run([0.9, 0.95, 0.99], seed=0, padding=padding)
        site["history"] = [
            {**row, "train_accuracy": 0.5, "test_accuracy": 0.25}
            for row in site["history"]
        ]
        folder = root / "c1"
        folder.mkdir(parents=True)
        (folder / "deep_valid_seed0.json").write_text(json.dumps(site))
        summary = {
            "meta": {"config": {"padding": padding}},
            "final": {
                k: {"mean": 0.5, "std": 0.1, "n": 3}
                for k in ("train_accuracy", "val_accuracy", "test_accuracy")
            },
        }
        (folder / "summary.json").write_text(json.dumps(summary))

    def test_outcome_sets_the_run_beside_the_site_at_the_same_iteration(self):
        root = Path(self.get_temp_dir()) / "site"
        self.write_site(root)
        config = Config()
        with mock.patch.dict("os.environ", {RESULTS_ENV: str(root)}):
            reference, summary = site_reference(config)
        run = fake_run([0.9, 0.95])  # stopped at iteration 200 of the site's 300
        lines = comparison_lines(run, config, reference, summary)
        self.assertIn("site seed 0, it. 200", lines[0])
        self.assertIn("site seed 0, it. 300", lines[0])
        self.assertIn("site, 3 seeds", lines[0])
        train, val, test = lines[1:]
        # this run, the site's seed at iteration 200, at the end, over seeds
        self.assertEqual(
            val.split()[2:],
            ["95.00", "%", "95.00", "%", "99.00", "%"] + ["50.00", "±", "10.00", "%"],
        )
        self.assertEqual(test.split()[2:6], ["98.00", "%", "25.00", "%"])

    def test_summary_of_another_padding_is_not_compared(self):
        root = Path(self.get_temp_dir()) / "site_same"
        self.write_site(root, padding="same")
        with mock.patch.dict("os.environ", {RESULTS_ENV: str(root)}):
            reference, summary = site_reference(Config())
            self.assertIsNone(summary)
            self.assertEqual(site_reference(Config(seed=5)), (None, None))
        self.assertIsNotNone(reference)
