"""Benchmark summaries: per-round ratios, the fastest float32 setting, verdicts, rates."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf

from tfcnn.answers.performance import Config, c1_checks, config_from_args
from tfcnn.bench.accuracy import compare
from tfcnn.bench.networks import NETWORKS
from tfcnn.bench.report import (
    accuracy_agreement,
    benchmark_summary,
    best_pytorch,
    best_same_numerics,
    compared,
    effects_table,
    headline,
    keeps_accuracy,
    kept_table,
    network_summary,
    overhead_table,
    side_by_side_table,
    summarise_network,
    verdict,
)
from tfcnn.bench.scratch_speed import CLOCKS, summarise_speed
from tfcnn.bench.session import skipped_variants, spread, write_accuracy_data
from tfcnn.bench.variants import BASELINE, REFERENCE, VARIANTS, get_variants
from tfcnn.results import write_result
from tfcnn.site.catalogue import load_script


def timing(wall, cpu=None, loss=2.3):
    return {
        "wall_ms": wall,
        "cpu_ms": cpu or wall,
        "loss": [loss],
        "first_seconds": 1.0,
    }


def measured_on_set_d(timings, accuracy=None, failed=None, skipped=None):
    """What `run_benchmark` returns for a run of the set D network alone."""
    return {
        "timings": {"set_d": timings},
        "failed": {"set_d": failed or {}},
        "skipped": {"set_d": skipped or {}},
        "accuracy": {"set_d": accuracy} if accuracy else {},
    }


PEAK = {"peak_flops_per_second": 100e9}
FLOPS = {"total": 1e9}  # 1 GFLOP per step


class SummaryTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        # Round 2 was slow for everyone: the per-round ratio cancels it.
        self.timings = {
            "torch": timing([20.0, 40.0, 20.0]),
            "keras": timing([10.0, 20.0, 10.0]),
            "keras_xla": timing([30.0, 60.0, 30.0]),
            "keras_bf16": timing([5.0, 10.0, 5.0]),
        }
        self.summary = summarise_network(self.timings, FLOPS, PEAK)

    def test_rates_and_ratios(self):
        keras = self.summary["keras"]
        self.assertEqual(
            keras["wall_ms"], {"median": 10.0, "min": 10.0, "max": 20.0, "n": 3}
        )
        # 1 GFLOP in 10 ms = 100 GFLOP/s = all of a 100 GFLOP/s peak.
        self.assertAllClose(keras["gflops_per_second"], 100.0)
        self.assertAllClose(keras["fraction_of_peak"], 1.0)
        self.assertEqual(keras["ratio_to_torch"]["min"], 0.5)
        self.assertEqual(keras["ratio_to_torch"]["max"], 0.5)

    def test_fastest_float32_ignores_bfloat16_and_pytorch(self):
        self.assertEqual(best_same_numerics(self.summary), "keras")

    def test_side_by_side_names_pytorchs_best_and_the_ratio(self):
        summary = summarise_network(self.timings, FLOPS, PEAK, torch_best="torch")
        networks = {
            "deep": {
                "label": "deep",
                "batch_size": 50,
                "flops": FLOPS,
                "variants": summary,
                "best": "keras",
                "torch_best": "torch",
            }
        }
        table = side_by_side_table(networks)
        row = table["rows"][0]
        self.assertEqual(row[4], "20.00 (20.00–40.00) (`torch`)")
        self.assertEqual(len(row), len(table["columns"]))
        self.assertNotIn("?", " ".join(table["columns"]))

    def test_effects(self):
        networks = {
            "deep": {"variants": self.summary},
            "set_d": {"variants": self.summary},
        }
        timings = {"deep": self.timings, "set_d": self.timings}
        rows = {row[0]: row for row in effects_table(networks, timings)["rows"]}
        self.assertEqual(set(rows), {"`keras_xla`", "`keras_bf16`"})
        self.assertEqual(rows["`keras_xla`"][-1], "slower")
        self.assertEqual(rows["`keras_bf16`"][-1], "faster")
        self.assertEqual(rows["`keras_bf16`"][2], "no (bfloat16)")

    def test_overhead_split(self):
        # The deep network does 1 GFLOP in 10 ms (keras) and 20 ms (torch); a
        # 0.1 GFLOP network taking 4 and 3 ms spends 1 and 2 ms on arithmetic
        # at those rates, the rest elsewhere.
        small = summarise_network(
            {"torch": timing([3.0]), "keras": timing([4.0])}, {"total": 1e8}, PEAK
        )
        networks = {
            "deep": {"variants": self.summary, "flops": FLOPS, "best": "keras",
                     "torch_best": "torch"},
            "small": {"variants": small, "flops": {"total": 1e8}, "best": "keras",
                      "torch_best": "torch"},
        }  # fmt: skip
        rows = overhead_table(networks, "deep")["rows"]
        self.assertEqual([r[0] for r in rows], ["small", "small"])
        self.assertEqual(rows[0][1:5], ["`torch`", "3.00", "2.00", "1.00"])
        self.assertEqual(rows[1][1:5], ["`keras`", "4.00", "1.00", "3.00"])

    def test_effects_leave_out_a_setting_where_it_did_not_run(self):
        # keras_xla was skipped on the second network: an empty cell there.
        small = dict(self.summary)
        del small["keras_xla"]
        networks = {"deep": {"variants": self.summary}, "cifar": {"variants": small}}
        timings = {"deep": self.timings, "cifar": self.timings}
        rows = {row[0]: row for row in effects_table(networks, timings)["rows"]}
        self.assertEqual(rows["`keras_xla`"][4], "")
        self.assertEqual(rows["`keras_xla`"][-1], "slower")

    def test_compared(self):
        self.assertEqual(compared(0.90), "faster")
        self.assertEqual(compared(0.97), "about as fast")
        self.assertEqual(compared(1.04), "about as fast")
        self.assertEqual(compared(1.20), "slower")
        self.assertEqual(compared(0.97, margin=0.01), "faster")

    def test_verdict(self):
        self.assertEqual(verdict([0.5, 0.9]), "faster")
        self.assertEqual(verdict([1.2, 1.1]), "slower")
        self.assertEqual(verdict([0.98, 1.03]), "no clear change")
        self.assertEqual(verdict([0.5, 1.5]), "mixed")

    def test_spread(self):
        self.assertEqual(
            spread([3, 1, 2]), {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
        )


def accuracy_run(val_accuracy, predictions):
    return {"val_accuracy": val_accuracy, "predictions": predictions, "loss": 1.0}


class PytorchBestTest(tf.test.TestCase):
    """PyTorch's best is its fastest setting whose accuracy matches float32's."""

    def setUp(self):
        super().setUp()
        # channels-last is fastest but loses 5 points; compile matches and is
        # faster than float32 eager; bfloat16 is faster still and matches.
        self.timings = {
            "torch": timing([20.0, 20.0]),
            "torch_channels_last": timing([8.0, 8.0]),
            "torch_compile": timing([15.0, 15.0]),
            "torch_bf16": timing([10.0, 10.0]),
            "keras": timing([12.0, 12.0]),
        }
        self.accuracy = {
            "torch": accuracy_run(0.90, [1, 2, 3, 4]),
            "torch_channels_last": accuracy_run(0.85, [1, 2, 3, 0]),
            "torch_compile": accuracy_run(0.905, [1, 2, 3, 4]),
            "torch_bf16": accuracy_run(0.895, [1, 2, 0, 4]),
        }

    def test_agreement_with_float32(self):
        agreement = accuracy_agreement(self.accuracy, tolerance=0.01)
        self.assertTrue(agreement["torch"]["matches"])
        self.assertFalse(agreement["torch_channels_last"]["matches"])
        self.assertAllClose(agreement["torch_channels_last"]["difference"], -0.05)
        self.assertAllClose(agreement["torch_channels_last"]["same_predictions"], 0.75)
        self.assertTrue(agreement["torch_compile"]["matches"])
        failed = accuracy_agreement({**self.accuracy, "torch_compile": {"error": "x"}})
        self.assertFalse(failed["torch_compile"]["matches"])
        self.assertEqual(accuracy_agreement({"torch_bf16": self.accuracy["torch"]}), {})

    def test_the_fastest_matching_setting_is_chosen(self):
        agreement = accuracy_agreement(self.accuracy, tolerance=0.01)
        # The faster channels-last run does not match: bfloat16 (native) wins.
        self.assertEqual(best_pytorch(self.timings, agreement, True), "torch_bf16")
        # Without native bfloat16, bfloat16 is reported but does not count.
        self.assertEqual(best_pytorch(self.timings, agreement, False), "torch_compile")
        # A tolerance that admits channels-last makes it the best.
        loose = accuracy_agreement(self.accuracy, tolerance=0.06)
        self.assertEqual(best_pytorch(self.timings, loose, True), "torch_channels_last")
        # Without accuracy runs only float32 eager counts.
        self.assertEqual(best_pytorch(self.timings, {}, True), "torch")

    def test_network_summary_marks_failures_and_ratios_to_the_best(self):
        net = NETWORKS["set_d"]
        measured = measured_on_set_d(
            self.timings,
            self.accuracy,
            failed={"keras_xla": "compiler missing"},
            skipped={"keras_spe100": "100 steps per execution ..."},
        )
        summary = network_summary(net, measured, PEAK, bf16_native=False)
        self.assertEqual(summary["torch_best"], "torch_compile")
        self.assertEqual(summary["best"], "keras")
        keras = summary["variants"]["keras"]
        self.assertAllClose(keras["ratio_to_torch_best"]["median"], 12 / 15)
        self.assertAllClose(keras["ratio_to_torch"]["median"], 12 / 20)
        rows = {row[0]: row for row in summary["table"]["rows"]}
        self.assertIn("emulated", rows["`torch_bf16`"][1])
        self.assertIn("**differs**", rows["`torch_channels_last`"][-1])
        self.assertIn("matches", rows["`torch_compile`"][-1])
        self.assertEqual(rows["`keras_xla`"][-1], "failed: compiler missing")
        self.assertTrue(rows["`keras_spe100`"][-1].startswith("skipped: "))

    def test_experiment_minutes_use_the_network_the_experiments_train(self):
        measured = measured_on_set_d(self.timings, self.accuracy)
        bf16 = {"native": False}
        summary = benchmark_summary(
            measured, [NETWORKS["set_d"]], PEAK, bf16, target_ratio=0.7,
            experiment_steps=6000, experiment_network="set_d",
        )  # fmt: skip
        # 6,000 steps at 20 ms (float32 PyTorch) are 2 minutes, at 15 ms
        # (torch_compile, PyTorch's best here) 1.5, at 12 ms (keras) 1.2.
        self.assertEqual(
            summary["deep_experiment_minutes"],
            {"pytorch": 2.0, "pytorch_best": 1.5, "tfcnn_as_run": 1.2,
             "tfcnn_fastest": 1.2, "network": "set_d"},
        )  # fmt: skip
        # The reference network's tables are absent when it was not timed.
        self.assertIsNone(summary["overhead_table"])
        elsewhere = benchmark_summary(
            measured, [NETWORKS["set_d"]], PEAK, bf16, target_ratio=0.7,
            experiment_steps=6000,
        )  # fmt: skip
        self.assertIsNone(elsewhere["deep_experiment_minutes"])

    def test_the_reference_must_have_run(self):
        measured = measured_on_set_d(
            {"keras": timing([1.0])}, failed={"torch": "it broke"}
        )
        with self.assertRaisesRegex(RuntimeError, "it broke"):
            network_summary(NETWORKS["set_d"], measured, PEAK, bf16_native=True)


def c1_run(val_accuracy, test_accuracy, precision="mixed_bfloat16"):
    final = {"val_accuracy": val_accuracy, "test_accuracy": test_accuracy}
    return {"final": final, "precision": precision}


class AccuracyDataTest(tf.test.TestCase):
    """The accuracy runs hold out training images; the test set is never read."""

    def write(self, train_images, val_images):
        images = np.arange(100, dtype=np.uint8).reshape(100, 1, 1, 1)
        # Only the training set exists: reading the test set would raise.
        data = mock.Mock(spec=["x_train", "y_train"])
        data.x_train, data.y_train = images, np.arange(100) % 10
        path = Path(self.get_temp_dir()) / "accuracy.npz"
        with mock.patch("tfcnn.bench.session.cached_dataset", return_value=data):
            write_accuracy_data(
                NETWORKS["set_d"], (1, 1, 1), path, train_images, val_images
            )
        with np.load(path) as written:
            return {key: written[key] for key in written.files}

    def test_held_out_images_are_training_images_not_trained_on(self):
        written = self.write(train_images=60, val_images=30)
        self.assertNotIn("x_test", written)
        train, val = written["x_train"].ravel(), written["x_val"].ravel()
        self.assertLen(train, 60)
        self.assertLen(val, 30)
        self.assertEmpty(np.intersect1d(train, val))
        self.assertAllEqual(written["y_val"], val % 10)  # labels follow their images

    def test_a_long_run_trains_on_all_the_others(self):
        written = self.write(train_images=500, val_images=30)
        self.assertLen(written["x_train"], 70)
        self.assertEmpty(np.intersect1d(written["x_train"], written["x_val"]))

    def test_holding_out_the_whole_set_is_refused(self):
        with self.assertRaisesRegex(ValueError, "hold out fewer"):
            self.write(train_images=10, val_images=100)


class KerasBfloat16Test(tf.test.TestCase):
    """tfcnn's bfloat16 settings count once full C1 runs keep float32's accuracy."""

    def setUp(self):
        super().setUp()
        # keras_bf16 is the fastest setting; keras_xla is the fastest float32 one.
        self.timings = {
            "torch": timing([20.0, 20.0]),
            "torch_bf16": timing([10.0, 10.0]),
            "keras": timing([12.0, 12.0]),
            "keras_xla": timing([11.0, 11.0]),
            "keras_bf16": timing([6.0, 6.0]),
        }
        self.measured = measured_on_set_d(
            self.timings,
            {
                "torch": accuracy_run(0.9, [1, 2]),
                "torch_bf16": accuracy_run(0.9, [1, 2]),
            },
        )
        float32 = [c1_run(0.990, 0.991, "float32"), c1_run(0.992, 0.989, "float32")]
        # Validation 0.5 point below float32's; test 1.5 points below, which
        # must not matter: the test set decides nothing.
        close = [c1_run(0.985, 0.976), c1_run(0.987, 0.974)]
        far = [c1_run(0.975, 0.990), c1_run(0.977, 0.990)]
        self.close = compare(close, float32, [0, 1])
        self.far = compare(far, float32, [0, 1])

    def summary(self, checks, bf16_native=True):
        return network_summary(
            NETWORKS["set_d"], self.measured, PEAK, bf16_native, 0.01, checks
        )

    def test_the_decision_is_on_validation_accuracy(self):
        self.assertTrue(keeps_accuracy(self.close, tolerance=0.01))
        self.assertFalse(keeps_accuracy(self.far, tolerance=0.01))
        self.assertTrue(keeps_accuracy(self.far, tolerance=0.02))

    def test_a_kept_bfloat16_setting_counts(self):
        net = self.summary({"keras_bf16": self.close})
        self.assertEqual(net["best"], "keras_xla")  # the float32 answer stays
        self.assertEqual(net["best_kept"], "keras_bf16")
        self.assertAllClose(
            net["variants"]["keras_bf16"]["ratio_to_torch_best"]["median"], 0.6
        )
        self.assertEqual(net["keras_accuracy"]["keras_bf16"]["runs"], 2)
        rows = {row[0]: row for row in net["table"]["rows"]}
        self.assertIn("validation -0.50, test -1.50 points: keeps it",
                      rows["`keras_bf16`"][-1])  # fmt: skip
        self.assertEqual(headline(net)["kept_against_best"], "faster")

    def test_without_a_check_or_native_bfloat16_only_float32_counts(self):
        self.assertEqual(self.summary(None)["best_kept"], "keras_xla")
        self.assertEqual(
            self.summary({"keras_bf16": self.far})["best_kept"], "keras_xla"
        )
        emulated = self.summary({"keras_bf16": self.close}, bf16_native=False)
        self.assertEqual(emulated["best_kept"], "keras_xla")

    def test_kept_table_lists_only_checked_networks(self):
        checked = {"set_d": self.summary({"keras_bf16": self.close})}
        table = kept_table(checked)
        self.assertLen(table["rows"], 1)
        self.assertIn("`keras_bf16`", table["rows"][0][1])
        self.assertIn("`torch_bf16`", table["rows"][0][3])
        self.assertEqual(kept_table({"set_d": self.summary(None)})["rows"], [])

    def test_one_check_speaks_for_every_setting_of_its_precision(self):
        root = Path(self.get_temp_dir())
        write_result("bench", "accuracy_keras_xla_bf16", self.close, root=root)
        checks = c1_checks(get_variants(["keras", "keras_bf16", "torch_bf16"]), root)
        self.assertEqual(list(checks), ["keras_bf16"])
        self.assertAllClose(checks["keras_bf16"]["val_accuracy"]["difference"], -0.005)


class ScratchSpeedSummaryTest(tf.test.TestCase):
    def test_medians_after_the_first_epoch_and_their_ratio(self):
        # Two timings per framework; the first epoch (compiling) is summarised apart.
        timings = {
            (10, "numpy", clock): [[9.0, 2.0, 2.0, 4.0], [9.0, 3.0, 3.0, 3.0]]
            for clock in CLOCKS
        }
        timings |= {
            (10, "keras", clock): [[5.0, 1.0, 1.0, 2.0], [7.0, 1.0, 1.0, 1.0]]
            for clock in CLOCKS
        }
        (row,) = summarise_speed(timings, [10])
        self.assertEqual(row["batch_size"], 10)
        self.assertAllClose(row["cpu"]["numpy"]["mean"], 2.5)
        self.assertAllClose(row["cpu"]["keras"]["mean"], 1.0)
        self.assertAllClose(row["cpu"]["ratio"]["mean"], 2.5)  # 2/1 and 3/1
        self.assertAllClose(row["cpu"]["ratio"]["std"], 0.5**0.5)
        self.assertAllClose(row["wall"]["first_epoch"]["keras"]["mean"], 6.0)
        self.assertEqual(row["cpu"]["first_epoch"]["numpy"]["n"], 2)


class BenchConfigTest(tf.test.TestCase):
    def _args(self, **options) -> argparse.Namespace:
        defaults = {
            "quick": False,
            "repeats": 7,
            "networks": None,
            "variants": None,
            "profile_repeats": None,
        }
        return argparse.Namespace(**{**defaults, **options})

    def test_every_network_has_its_steps(self):
        config = Config()
        for steps in (config.steps, config.warmup_steps, config.accuracy_steps):
            self.assertEqual(set(steps), set(NETWORKS))
        quick = config.quick()
        self.assertEqual(set(quick.steps), set(NETWORKS))
        self.assertIn("torch_bf16", quick.variants)

    def test_the_reference_and_the_baseline_are_always_timed(self):
        config = config_from_args(self._args(variants=["keras_xla"], repeats=3))
        self.assertEqual(config.variants, ("torch", "keras", "keras_xla"))
        self.assertEqual(config.repeats, 3)
        self.assertEqual(config.networks, tuple(NETWORKS))
        quick = config_from_args(self._args(quick=True, networks=["set_d"]))
        self.assertEqual(quick.networks, ("set_d",))
        self.assertEqual(quick.steps, Config().quick().steps)

    def test_a_network_can_time_fewer_settings(self):
        every = get_variants(list(VARIANTS))
        left_out = skipped_variants(every, 10, 10, timed_only=("torch", "keras"))
        self.assertEqual(set(left_out), set(VARIANTS) - {"torch", "keras"})
        self.assertIn("timed here: torch, keras", left_out["keras_xla"])
        # A variant timed here that cannot divide the steps keeps that reason.
        uneven = skipped_variants(
            every, 10, 10, timed_only=("torch", "keras", "keras_spe100")
        )
        self.assertEqual(set(uneven), set(VARIANTS) - {"torch", "keras"})
        self.assertIn("do not divide 10 timed", uneven["keras_spe100"])
        # PyTorch's loop runs one step per call: any number of steps will do.
        odd = skipped_variants(every, 7, 3)
        self.assertNotIn("torch", odd)
        self.assertNotIn("torch_compile", odd)
        self.assertIn("do not divide 7 timed", odd["keras"])
        # The full benchmark times PyTorch's four settings and tfcnn as run everywhere.
        for network, names in Config().timed_only.items():
            self.assertIn(network, NETWORKS)
            torch_names = {n for n, v in VARIANTS.items() if v.framework == "torch"}
            self.assertLessEqual(torch_names | {BASELINE, REFERENCE}, set(names))

    def test_the_script_help_names_every_network(self):
        # The script names them without importing the networks (a fast --help).
        script = load_script(Path(__file__).resolve().parents[1] / "scripts/bench.py")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), self.assertRaises(SystemExit):
            script.parse_args(["--help"])
        networks_help = printed.getvalue().split("--networks", 2)[2].split("--")[0]
        for name in NETWORKS:
            self.assertIn(name, networks_help)


if __name__ == "__main__":
    tf.test.main()
