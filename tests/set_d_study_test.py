"""The set D study's choices: the learning-rate grid, the tuned rate, the stages' Config."""

import argparse
from pathlib import Path

import tensorflow as tf

from tfcnn.answers.set_d.d1_d6_stages import STAGES, config_from_args
from tfcnn.answers.set_d.d3_d5_study import (
    Config,
    choose_learning_rate,
    next_rate,
    summary_cell,
    tuning_summary,
)
from tfcnn.scratch import OPTIMIZERS
from tfcnn.site.catalogue import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_scratch.py"


def _history(accuracy: float, loss: float, diverged: bool = False) -> dict:
    return {"diverged": diverged, "final": {"val_accuracy": accuracy, "val_loss": loss}}


class LearningRateTest(tf.test.TestCase):
    def test_next_rate_walks_the_1_3_10_grid(self):
        self.assertEqual(next_rate(0.1, up=True), 0.3)
        self.assertEqual(next_rate(0.3, up=True), 1.0)
        self.assertEqual(next_rate(0.1, up=False), 0.03)
        self.assertEqual(next_rate(3e-5, up=False), 1e-5)

    def test_accuracy_chooses_then_loss_and_a_diverged_run_loses(self):
        runs = {
            0.01: [_history(0.9, 0.5), _history(0.9, 0.3)],
            0.03: [_history(0.9, 0.2), _history(0.9, 0.2)],  # same accuracy, lower loss
            0.1: [_history(1.0, 0.1), _history(0.0, 0.0, diverged=True)],
        }
        self.assertEqual(choose_learning_rate(runs), 0.03)
        with self.assertRaises(ValueError):
            choose_learning_rate({})

    def test_tuning_summary_flags_a_grid_edge_and_picks_the_best_setting(self):
        scores = {
            ("sgd", 10): {0.001: [0.5, 0.6], 0.01: [0.8, 0.9], 0.1: [0.7, 0.7]},
            ("sgd", 100): {0.001: [0.4, 0.4], 0.01: [0.5, 0.5]},
        }
        chosen = {("sgd", 10): 0.01, ("sgd", 100): 0.01}
        result = tuning_summary(scores, chosen)
        self.assertEqual(result["chosen"], {"sgd-bs10": 0.01, "sgd-bs100": 0.01})
        self.assertEqual(result["best"]["batch_size"], 10)
        self.assertAllClose(result["best"]["val_accuracy"]["mean"], 0.85)
        rows = result["table"]["rows"]
        self.assertEqual(rows[0][2], "0.01")
        self.assertEqual(rows[1][2], "0.01 (grid edge)")
        self.assertEqual(rows[0][4], "55.0 ± 7.1 %")  # the sheet's η = 0.001

    def test_summary_cell(self):
        self.assertEqual(summary_cell([0.9, 1.0]), "95.0 ± 7.1 %")
        self.assertEqual(summary_cell([2.0], percent=False, digits=2), "2.00 ± 0.00")


class StudyConfigTest(tf.test.TestCase):
    def _args(self, **options) -> argparse.Namespace:
        defaults = {"quick": False, "seeds": None, "epochs": None, "optimizers": None}
        return argparse.Namespace(**{**defaults, **options})

    def test_quick_shrinks_every_axis_but_keeps_the_optimizers(self):
        full, quick = Config(), Config().quick()
        self.assertEqual(quick.optimizers, full.optimizers)
        self.assertLess(quick.epochs, full.epochs)
        self.assertLess(len(quick.batch_sizes), len(full.batch_sizes))
        self.assertEqual(quick.seeds, (0,))
        for name, grid in quick.rates.items():
            self.assertLen(grid, 2)
            self.assertContainsSubset(grid, full.rates[name])

    def test_options_override_the_config(self):
        cfg = config_from_args(
            self._args(seeds=[4, 5], epochs=3, optimizers=["rmsprop", "sgd"])
        )
        self.assertEqual(cfg.seeds, (4, 5))
        self.assertEqual(cfg.epochs, 3)
        self.assertEqual(cfg.optimizers, ("sgd", "rmsprop"))  # the Config's order
        self.assertEqual(config_from_args(self._args(quick=True)), Config().quick())

    def test_the_script_offers_the_stages_and_optimizers_of_the_library(self):
        # The script names them without importing tfcnn (a fast --help).
        script = load_script(SCRIPT)
        self.assertEqual(script.STAGES, STAGES)
        self.assertEqual(script.OPTIMIZERS, tuple(OPTIMIZERS))
