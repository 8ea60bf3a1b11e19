"""tfcnn.training.fit: epoch-based training on NumPy arrays, timing, choosing an epoch on validation."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfcnn import build_shallow, set_seed
from tfcnn.data.splits import Split
from tfcnn.results.summary import by_epoch, final_metrics, format_mean_std, mean_std
from tfcnn.training.fit import train_epochs
from tfcnn.training.metrics import accuracy_and_loss, best_epoch, predict_probabilities
from tfcnn.training.timing import (
    cumulative_epoch_seconds,
    epoch_timing,
    steady_epoch_seconds,
)


def tiny_split(n_train=120, n_val=40, classes=3, seed=0) -> Split:
    rng = np.random.default_rng(seed)

    def images(n):
        y = np.arange(n) % classes
        x = rng.random((n, 8, 8, 1)).astype(np.float32) * 0.3
        x[np.arange(n), y * 2, :, 0] += 1.0  # a bright row that depends on the class
        return x, y.astype(np.int64)

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        images(n_train),
        images(n_val),
        images(n_val),
    )
    return Split(x_train, y_train, x_val, y_val, x_test, y_test, tuple("abc"))


def tiny_model():
    return build_shallow(filters=2, kernel_size=3, input_shape=(8, 8, 1), num_classes=3)


def two_epochs(model, split, **kwargs):
    """`train_epochs` for 2 epochs, silent, by default in batches of 50 with a
    train sample of 30."""
    settings = {"batch_size": 50, "train_eval_size": 30, **kwargs}
    return train_epochs(model, split, epochs=2, verbose=0, **settings)


class TrainEpochsTest(tf.test.TestCase):
    def test_records_one_row_per_epoch_and_saves_weights(self):
        set_seed(0)
        split = tiny_split()
        model = tiny_model()
        folder = self.get_temp_dir()
        run = two_epochs(
            model, split, learning_rate=0.05, train_eval_size=60, checkpoint_dir=folder
        )
        self.assertEqual([row["epoch"] for row in run["history"]], [1, 2])
        self.assertEqual(run["updates_per_epoch"], 3)  # ceil(120 / 50)
        self.assertEqual([row["iteration"] for row in run["history"]], [3, 6])
        self.assertLen(run["epoch_seconds"], 2)
        self.assertLen(run["epoch_cpu_seconds"], 2)
        self.assertEqual(run["params"], model.count_params())
        # Each record holds the metrics of the weights saved after that epoch.
        for epoch, row in enumerate(run["history"], start=1):
            model.load_weights(f"{folder}/epoch{epoch}.weights.h5")
            found = accuracy_and_loss(
                predict_probabilities(model, split.x_val), split.y_val
            )
            self.assertAllClose(row["val_accuracy"], found["accuracy"])
            self.assertAllClose(row["val_loss"], found["loss"], rtol=1e-5)
        self.assertNotAllClose(
            run["history"][0]["val_loss"], run["history"][1]["val_loss"]
        )

    def test_cosine_schedule_ends_at_zero_and_weight_decay_shrinks_weights(self):
        split = tiny_split()
        norms = {}
        for decay in (0.0, 20.0):
            set_seed(0)
            model = tiny_model()
            two_epochs(
                model,
                split,
                batch_size=40,
                optimizer="sgd",
                learning_rate=0.01,
                weight_decay=decay,
                cosine_decay=True,
            )
            # 2 epochs x ceil(120 / 40) = 6 steps: the cosine reaches 0 at step 6.
            self.assertEqual(int(model.optimizer.iterations), 6)
            rate = model.optimizer.learning_rate
            self.assertAllClose(float(rate), 0.0, atol=1e-9)
            kernel = model.get_layer("logits").kernel
            norms[decay] = float(np.linalg.norm(np.asarray(kernel)))
        # Each step multiplies the weights by (1 - rate * decay) < 1 on top of SGD.
        self.assertLess(norms[20.0], 0.95 * norms[0.0])

    def test_augmented_training_sees_every_example_once_per_epoch(self):
        set_seed(0)
        split = tiny_split()
        model = tiny_model()
        run = two_epochs(model, split, max_shift=1, flip=True)
        self.assertEqual(run["updates_per_epoch"], 3)
        self.assertEqual([row["iteration"] for row in run["history"]], [3, 6])
        self.assertLen(run["epoch_cpu_seconds"], 2)

    def test_a_diverged_run_goes_on_and_records_none(self):
        set_seed(0)
        # Infinite images are refused before training; a huge step diverges.
        run = two_epochs(
            tiny_model(),
            tiny_split(),
            batch_size=40,
            optimizer="sgd",
            learning_rate=1e20,
        )
        self.assertEqual([row["epoch"] for row in run["history"]], [1, 2])
        self.assertIsNone(run["history"][-1]["train_loss"])

    def test_rejects_bad_batch_and_epochs(self):
        split = tiny_split()
        model = tiny_model()
        with self.assertRaisesRegex(ValueError, "batch_size"):
            train_epochs(model, split, epochs=1, batch_size=1000)
        with self.assertRaisesRegex(ValueError, "epochs"):
            train_epochs(model, split, epochs=0, batch_size=10)


class HelpersTest(tf.test.TestCase):
    def test_accuracy_and_loss_by_hand(self):
        p = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
        result = accuracy_and_loss(p, [0, 1, 1])
        self.assertAllClose(result["accuracy"], 2 / 3)  # argmax ties go to class 0
        self.assertAllClose(
            result["loss"], -(np.log(0.5) + np.log(0.1) + np.log(0.8)) / 3
        )

    def test_best_epoch_uses_the_seed_mean(self):
        histories = [
            [{"val_accuracy": 0.5}, {"val_accuracy": 0.9}, {"val_accuracy": 0.6}],
            [{"val_accuracy": 0.5}, {"val_accuracy": 0.5}, {"val_accuracy": 0.9}],
        ]
        self.assertEqual(best_epoch(histories), 3)  # means 0.5, 0.7, 0.75
        self.assertEqual(best_epoch(histories[:1]), 2)

    def test_mean_std_and_its_text(self):
        summary = mean_std([1.0, 2.0, 3.0])
        self.assertEqual(summary, {"mean": 2.0, "std": 1.0, "n": 3})
        self.assertEqual(format_mean_std(summary, ".1f"), "2.0 ± 1.0")
        self.assertEqual(format_mean_std(mean_std([1.0, 3.0]), ".0f"), "2 ± 1 (n = 2)")
        self.assertEqual(format_mean_std(mean_std([0.5]), ".0%"), "50% (n = 1)")
        self.assertEqual(format_mean_std(None, ".1f"), "not measured")
        with self.assertRaises(ValueError):
            mean_std([])

    def test_epoch_timing_final_metrics_and_by_epoch_by_hand(self):
        runs = [
            {"epoch_seconds": [9.0, 2.0, 4.0], "epoch_cpu_seconds": [5.0, 1.0, 3.0]},
            {"epoch_seconds": [9.0, 6.0, 8.0]},  # written before CPU time was kept
        ]
        timing = epoch_timing(runs, n_train=1000)
        self.assertEqual(timing["epoch_seconds"], mean_std([3.0, 7.0]))
        self.assertEqual(timing["epoch_cpu_seconds"], mean_std([2.0]))
        self.assertAllClose(timing["cpu_microseconds_per_example"]["mean"], 2000.0)
        self.assertIsNone(epoch_timing(runs[1:], 10)["epoch_cpu_seconds"])
        histories = [
            [{"a": 1.0, "b": None}, {"a": 3.0, "b": None}],
            [{"a": 2.0, "b": None}, {"a": 5.0, "b": 0.5}],
        ]
        self.assertEqual(final_metrics(histories, ["a"])["a"], mean_std([3.0, 5.0]))
        self.assertEqual(final_metrics(histories, ["b"])["b"], mean_std([0.5]))
        self.assertIsNone(final_metrics(histories[:1], ["b"])["b"])
        self.assertEqual(
            by_epoch(histories, "a"), [mean_std([1.0, 2.0]), mean_std([3.0, 5.0])]
        )

    def test_steady_epoch_seconds_skips_the_first_epoch(self):
        run = {"epoch_seconds": [9.0, 2.0, 4.0], "epoch_cpu_seconds": [5.0, 1.0, 2.0]}
        self.assertEqual(steady_epoch_seconds(run, "wall"), 3.0)
        self.assertEqual(steady_epoch_seconds(run), 1.5)
        self.assertIsNone(steady_epoch_seconds({"epoch_seconds": [1.0]}))
        with self.assertRaisesRegex(ValueError, "clock"):
            steady_epoch_seconds(run, "gpu")

    def test_cumulative_epoch_seconds_include_the_first_epoch(self):
        run = {"epoch_seconds": [9.0, 2.0, 4.0], "epoch_cpu_seconds": [5.0, 1.0, 2.0]}
        self.assertEqual(cumulative_epoch_seconds(run), [5.0, 6.0, 8.0])
        self.assertEqual(cumulative_epoch_seconds(run, "wall"), [9.0, 11.0, 15.0])
        self.assertIsNone(cumulative_epoch_seconds({"epoch_seconds": [1.0]}))
        with self.assertRaisesRegex(ValueError, "clock"):
            cumulative_epoch_seconds(run, "gpu")


if __name__ == "__main__":
    tf.test.main()
