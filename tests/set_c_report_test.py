"""Set C's report helpers: seed tables, the search's candidates and winner, CT3/CT4."""

import json
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf

from tfcnn.answers.set_c.c1_c2_deep import (
    Config,
    comparison_lines,
    comparison_rows,
    len_train,
    reaching,
    seed_rows,
    site_reference,
)
from tfcnn.answers.set_c.c3_small_networks import (
    build_winner,
    candidates,
    choose_winner,
    search_rows,
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


def candidate_row(name, params, val_mean, reached, seeds=3):
    return {
        "name": name,
        "params": params,
        "val_accuracy": {"mean": val_mean, "std": 0.001},
        "test_accuracy": {"mean": val_mean, "std": 0.002},
        "reached": reached,
        "seeds": list(range(seeds)),
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


class SearchReportTest(tf.test.TestCase):
    def write_runs(self, root, family, name, params, curves):
        folder = root / "c3"
        folder.mkdir(parents=True, exist_ok=True)
        for seed, curve in enumerate(curves):
            run = fake_run(
                curve, params=params, seed=seed, candidate=name, builder_args={}
            )
            path = folder / f"{family}_{name}_seed{seed}.json"
            path.write_text(json.dumps(run))

    def test_candidates_group_seeds_largest_first(self):
        root = Path(self.get_temp_dir()) / "results"
        self.write_runs(root, "shallow", "small", 10, [[0.9, 0.96], [0.95, 0.97]])
        self.write_runs(root, "shallow", "big", 50, [[0.9, 0.94]])
        self.write_runs(root, "deep", "other", 99, [[0.99]])
        rows = candidates("shallow", 0.95, root)
        self.assertEqual([r["name"] for r in rows], ["big", "small"])
        big, small = rows
        self.assertEqual(small["seeds"], [0, 1])
        self.assertEqual(small["reached"], 2)
        self.assertEqual(small["iterations_to_target"]["mean"], 150.0)
        self.assertEqual(small["seconds_to_target"]["mean"], 3.0)  # 4 s and 2 s
        self.assertAllClose(small["val_accuracy"]["mean"], 0.965)
        self.assertAllClose(small["seconds_per_iteration"]["mean"], 10.0 / 200)
        self.assertEqual(big["reached"], 0)
        self.assertIsNone(big["iterations_to_target"])
        self.assertEqual(candidates("missing", 0.95, root), [])

    def test_winner_is_the_smallest_that_passes_on_every_seed(self):
        rows = [
            candidate_row("big", 500, 0.97, 3),
            candidate_row("mid", 200, 0.96, 3),
            candidate_row("lucky", 100, 0.96, 2),  # one seed never reached it
            candidate_row("tiny", 50, 0.94, 3),
        ]
        winner = choose_winner(rows, 0.95)
        self.assertEqual(winner["name"], "mid")
        self.assertIsNone(choose_winner(rows, 0.99))
        table = search_rows(rows, winner)
        self.assertEqual([r[0] for r in table], ["big", "**mid**", "lucky", "tiny"])
        self.assertEqual(table[2][-1], "2/3")

    def test_build_winner_checks_the_parameter_count(self):
        # conv 2 * (5 * 5 + 1) = 52; 24x24 pooled by 4: 6 * 6 * 2 = 72 inputs,
        # dense 72 * 10 + 10 = 730; 782 in all.
        winner = {
            "builder_args": {"filters": 2, "kernel_size": 5, "pool_size": 4},
            "params": 782,
        }
        self.assertEqual(build_winner("shallow", winner).count_params(), 782)
        with self.assertRaisesRegex(RuntimeError, "781"):
            build_winner("shallow", {**winner, "params": 781})


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
