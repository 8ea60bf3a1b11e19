"""Set B, B2.4/B2.5: the summaries of the CIFAR runs and the separable/standard comparison."""

import dataclasses
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfcnn.answers.set_b.cifar import (
    SUMMARY_KEYS,
    compare_with_standard,
    standard_comparison,
    summarise,
    variant_name,
)
from tfcnn.results import write_result


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


@dataclasses.dataclass
class _Config:
    variant: str = "standard"


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
        result = summarise(_Config(), runs, ["a", "b"])
        self.assertEqual(result["variant"], "standard")
        self.assertEqual(result["seeds"], [0, 1])
        self.assertTrue(result["any_cut_short"])
        self.assertAllClose(result["test_accuracy"]["mean"], 0.7)
        self.assertAllClose(result["test_accuracy"]["std"], np.std([0.6, 0.8], ddof=1))
        self.assertEqual(result["test_accuracy"]["n"], 2)
        self.assertEqual(result["per_class"]["rows"][1][1]["std"], 0.0)
        self.assertEqual(result["confusion_matrix"]["rows"], [["a", 5, 3], ["b", 1, 7]])


if __name__ == "__main__":
    tf.test.main()
