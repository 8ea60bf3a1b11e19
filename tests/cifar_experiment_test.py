"""Set B, B2.4/B2.5: the CIFAR runs' configuration, summaries and comparison."""

import argparse
import importlib.util
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf

from tfcnn.answers.set_b import b2_4_b2_5_cifar as answer
from tfcnn.answers.set_b.b2_4_b2_5_cifar import (
    SUMMARY_KEYS,
    Config,
    compare_with_standard,
    finished_run,
    standard_comparison,
    summarise_cifar,
    variant_name,
)
from tfcnn.data.datasets import ImageDataset
from tfcnn.results import read_result, write_result
from tfcnn.training.checkpoints import TrainingBackup

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_cifar10.py"


def summary(variant, parameters, seconds, cpu_seconds, tta, plain, cpu="CPU A"):
    """A hand-made summary: the means that the comparison reads, and the machine."""
    return {
        "meta": {"machine": {"cpu": cpu}},
        "variant": variant,
        "parameters": parameters,
        "seconds_per_epoch": {"mean": seconds, "std": 1.0, "n": 3},
        "cpu_seconds_per_epoch": {"mean": cpu_seconds, "std": 1.0, "n": 3},
        "test_accuracy_tta": {"mean": tta, "std": 0.01, "n": 3},
        "test_accuracy": {"mean": plain, "std": 0.01, "n": 3},
    }


class CompareWithStandardTest(tf.test.TestCase):
    def test_ratios_and_differences(self):
        # Three different ratios, so that a ratio of the wrong keys shows.
        separable = summary("separable_float32", 250, 40.0, 54.0, 0.80, 0.78)
        standard = summary("standard_float32", 1000, 120.0, 180.0, 0.875, 0.86)
        comparison = compare_with_standard(separable, standard)
        self.assertEqual(
            list(comparison),
            [
                "standard",
                "parameters_ratio",
                "seconds_per_epoch_ratio",
                "cpu_seconds_per_epoch_ratio",
                "test_accuracy_tta_difference",
                "test_accuracy_difference",
                "same_machine",
            ],
        )
        self.assertEqual(comparison["standard"], "standard_float32")
        self.assertAllClose(comparison["parameters_ratio"], 0.25)
        self.assertAllClose(comparison["seconds_per_epoch_ratio"], 1 / 3)
        self.assertAllClose(comparison["cpu_seconds_per_epoch_ratio"], 0.3)
        self.assertAllClose(comparison["test_accuracy_tta_difference"], -0.075)
        self.assertAllClose(comparison["test_accuracy_difference"], -0.08)
        self.assertTrue(comparison["same_machine"])

    def test_other_machine(self):
        separable = summary("separable", 1, 1.0, 1.0, 0.5, 0.5, cpu="CPU A")
        standard = summary("standard", 2, 4.0, 8.0, 0.25, 0.5, cpu="CPU B")
        comparison = compare_with_standard(separable, standard)
        self.assertFalse(comparison["same_machine"])
        self.assertAllClose(comparison["parameters_ratio"], 0.5)
        self.assertAllClose(comparison["seconds_per_epoch_ratio"], 0.25)
        self.assertAllClose(comparison["cpu_seconds_per_epoch_ratio"], 0.125)
        self.assertAllClose(comparison["test_accuracy_tta_difference"], 0.25)
        self.assertAllClose(comparison["test_accuracy_difference"], 0.0)


class StandardComparisonTest(tf.test.TestCase):
    def test_reads_the_standard_summary_of_the_same_precision(self):
        root = Path(self.get_temp_dir())
        separable = summary("separable_float32", 100, 10.0, 20.0, 0.8, 0.7)
        del separable["meta"]  # made on this machine, not written yet
        self.assertIsNone(standard_comparison(separable, "float32", root))
        standard = summary("standard_float32", 400, 20.0, 40.0, 0.9, 0.8)
        del standard["meta"]
        write_result("b2-4", "standard_float32_summary", standard, root=root)
        self.assertIsNone(standard_comparison(separable, "mixed_bfloat16", root))
        comparison = standard_comparison(separable, "float32", root)
        self.assertEqual(comparison["standard"], "standard_float32")
        self.assertAllClose(comparison["parameters_ratio"], 0.25)
        self.assertAllClose(comparison["seconds_per_epoch_ratio"], 0.5)
        self.assertAllClose(comparison["test_accuracy_tta_difference"], -0.1)
        self.assertTrue(comparison["same_machine"])
        self.assertNotIn("meta", separable)

    def test_variant_names(self):
        self.assertEqual(variant_name(False, "mixed_bfloat16"), "standard")
        self.assertEqual(variant_name(True, "float32"), "separable_float32")


class SummariseTest(tf.test.TestCase):
    def run_result(self, seed, accuracy, matrix):
        return {
            "seed": seed,
            "parameters": 10,
            "cut_short": seed == 1,
            "epochs_completed": 2,
            "architecture": {"columns": [], "rows": []},
            **{key: accuracy for key in SUMMARY_KEYS},
            "per_class_accuracy": {"a": accuracy, "b": 1.0},
            "confusion_matrix": np.array(matrix),
        }

    def test_means_spreads_and_tables(self):
        runs = [
            self.run_result(0, 0.6, [[3, 1], [0, 4]]),
            self.run_result(1, 0.8, [[2, 2], [1, 3]]),
        ]
        result = summarise_cifar("standard", runs, ["a", "b"])
        self.assertEqual(result["variant"], "standard")
        self.assertEqual(result["seeds"], [0, 1])
        self.assertTrue(result["any_cut_short"])
        self.assertAllClose(result["test_accuracy"]["mean"], 0.7)
        self.assertAllClose(result["test_accuracy"]["std"], np.std([0.6, 0.8], ddof=1))
        self.assertEqual(result["test_accuracy"]["n"], 2)
        self.assertEqual(result["per_class"]["rows"][1][1]["std"], 0.0)
        self.assertEqual(result["confusion_matrix"]["rows"], [["a", 5, 3], ["b", 1, 7]])


class ConfigTest(tf.test.TestCase):
    def test_names_and_folders(self):
        self.assertEqual((Config().variant, Config().result_id), ("standard", "b2-4"))
        separable = Config(separable=True, precision="float32")
        self.assertEqual(separable.variant, "separable_float32")
        self.assertEqual(separable.result_id, "b2-5")

    def test_quick_shrinks_the_run_and_keeps_the_network(self):
        config = Config(separable=True, seeds=(4,)).quick()
        self.assertEqual((config.epochs, config.batch_size), (2, 256))
        self.assertEqual((config.train_per_class, config.val_per_class), (200, 50))
        self.assertEqual(config.whitening_images, 1000)
        self.assertEqual((config.separable, config.seeds), (True, (4,)))

    def test_resolve_precision_keeps_an_explicit_choice(self):
        self.assertEqual(answer.resolve_precision("float32"), "float32")
        with mock.patch.object(answer, "cpu_flags", return_value={"amx_bf16"}):
            self.assertEqual(answer.resolve_precision("auto"), "mixed_bfloat16")
        with mock.patch.object(answer, "cpu_flags", return_value={"avx2"}):
            self.assertEqual(answer.resolve_precision("auto"), "float32")


class FinishedRunTest(tf.test.TestCase):
    def test_reads_back_only_a_run_of_the_same_configuration(self):
        root = Path(self.get_temp_dir())
        config = Config(precision="float32", seeds=(0, 1))
        self.assertIsNone(finished_run(config, 0, root))
        write_result("b2-4", "standard_float32_seed0", {"test_accuracy": 0.9},
                     config=config, seed=0, root=root)  # fmt: skip
        self.assertEqual(finished_run(config, 0, root)["test_accuracy"], 0.9)
        self.assertIsNone(finished_run(config, 1, root))
        self.assertIsNone(finished_run(Config(precision="float32", epochs=9), 0, root))

    def test_results_that_record_quick_false_still_match(self):
        root = Path(self.get_temp_dir())
        config = Config(precision="float32")
        stored = {**answer.dataclasses.asdict(config), "quick": False}
        write_result("b2-4", "standard_float32_seed0", {}, config=stored, root=root)
        self.assertIsNotNone(finished_run(config, 0, root))


class MainTest(tf.test.TestCase):
    def parse(self, argv):
        spec = importlib.util.spec_from_file_location("train_cifar10", SCRIPT)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        args = script.parse_args([*argv, "--checkpoint-dir", self.get_temp_dir()])
        self.assertIsInstance(args, argparse.Namespace)
        return args

    def run_main(self, argv):
        with mock.patch.object(answer, "run_cifar") as run:
            answer.main(self.parse(argv))
        (config, backups, root), kwargs = run.call_args
        return config, backups, root, kwargs["resume"]

    def test_options_become_the_config(self):
        config, backups, root, resume = self.run_main(
            ["--separable", "--precision", "float32", "--seeds", "1", "2",
             "--epochs", "3", "--widths", "8", "16", "32", "--resume"]
        )  # fmt: skip
        self.assertEqual(config.variant, "separable_float32")
        self.assertEqual((config.seeds, config.epochs), ((1, 2), 3))
        self.assertEqual(config.widths, (8, 16, 32))
        self.assertEqual(list(backups), [1, 2])
        self.assertTrue(resume)
        self.assertEqual(root.name, "results")

    def test_quick_runs_one_seed_under_runs_quick(self):
        config, backups, root, resume = self.run_main(
            ["--quick", "--precision", "float32", "--seeds", "5", "6"]
        )
        self.assertEqual((config.seeds, config.epochs), ((5,), 2))
        self.assertEqual(root, Path("runs/quick"))
        self.assertFalse(resume)


def tiny_cifar(seed=0) -> ImageDataset:
    """Ten classes of 32x32 images, each a colour with noise: a CIFAR-10 stand-in."""
    rng = np.random.default_rng(seed)
    colours = rng.uniform(0, 255, size=(10, 3))

    def images(per_class):
        labels = np.repeat(np.arange(10), per_class)
        noise = rng.normal(0, 20, size=(len(labels), 32, 32, 3))
        pixels = np.clip(colours[labels][:, None, None, :] + noise, 0, 255)
        return pixels.astype(np.uint8), labels

    (x_train, y_train), (x_test, y_test) = images(8), images(2)
    names = tuple(f"class {i}" for i in range(10))
    return ImageDataset("cifar10", x_train, y_train, x_test, y_test, names, "memory")


class RunCifarTest(tf.test.TestCase):
    def test_runs_seeds_writes_summary_figures_and_reads_back(self):
        root = Path(self.get_temp_dir()) / "results"
        config = Config(widths=(8, 8, 8), epochs=1, batch_size=16, precision="float32",
                        whitening_images=64, val_fraction=0.25, seeds=(0, 1))  # fmt: skip

        def backups():
            checkpoints = Path(self.get_temp_dir()) / "checkpoints"
            return {seed: TrainingBackup(checkpoints / str(seed)) for seed in (0, 1)}

        with mock.patch.object(answer, "cached_dataset", return_value=tiny_cifar()):
            summary = answer.run_cifar(config, backups(), root)
            self.assertEqual(summary["seeds"], [0, 1])
            self.assertEqual(summary["epochs_completed"], [1, 1])
            for name in ("seed0", "seed1", "summary"):
                self.assertTrue(
                    (root / "b2-4" / f"standard_float32_{name}.json").is_file()
                )
            for name in ("curves", "confusion"):
                self.assertTrue(
                    (root / "b2-4" / f"standard_float32_{name}.png").is_file()
                )
            run = read_result("b2-4", "standard_float32_seed0", root)
            self.assertEqual((run["train_images"], run["val_images"]), (60, 20))
            self.assertEqual(np.sum(run["confusion_matrix"]), 20)
            self.assertLen(summary["per_class"]["rows"], 10)
            # With resume, both seeds are read back: nothing trains.
            with mock.patch.object(answer, "train_one", side_effect=AssertionError):
                again = answer.run_cifar(config, backups(), root, resume=True)
        self.assertEqual(again["test_accuracy"], summary["test_accuracy"])


if __name__ == "__main__":
    tf.test.main()
