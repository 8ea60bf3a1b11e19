"""EpochClock and EpochProgress: a time per epoch, a row per epoch, a time budget, resumable state."""

import contextlib
import io

import numpy as np
import tensorflow as tf

from tfcnn import build_shallow, set_seed
from tfcnn.training.callbacks import EpochClock, EpochProgress
from tfcnn.training.fit import compile_classifier

KEYS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "epoch_seconds",
    "epoch_cpu_seconds",
    "elapsed_seconds",
]


class EpochProgressTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        set_seed(0)
        rng = np.random.default_rng(0)
        self.x = rng.random((24, 8, 8, 1), dtype=np.float32)
        self.y = rng.integers(0, 3, 24)
        self.model = compile_classifier(
            build_shallow(
                filters=2, kernel_size=3, num_classes=3, input_shape=(8, 8, 1)
            )
        )

    def fit(self, callbacks, epochs):
        self.model.fit(
            self.x,
            self.y,
            batch_size=8,
            epochs=epochs,
            validation_data=(self.x[:8], self.y[:8]),
            callbacks=callbacks,
            verbose=0,
        )

    def test_clock_times_each_epoch_with_or_without_validation(self):
        after_batches, whole_epoch = EpochClock(updates_per_epoch=3), EpochClock()
        self.fit([after_batches, whole_epoch], epochs=2)  # 24 images, batch 8
        for clock in (after_batches, whole_epoch):
            self.assertLen(clock.wall_seconds, 2)
            self.assertLen(clock.cpu_seconds, 2)
            self.assertGreater(min(clock.wall_seconds), 0.0)
        # The whole epoch also counts the validation at its end.
        self.assertGreater(
            sum(whole_epoch.wall_seconds), sum(after_batches.wall_seconds)
        )
        self.assertGreaterEqual(
            whole_epoch.elapsed_seconds(), sum(whole_epoch.wall_seconds)
        )

    def test_one_row_per_epoch(self):
        progress = EpochProgress(epochs=3, budget_seconds=600, verbose=False)
        self.fit([progress], epochs=3)
        self.assertFalse(progress.cut_short)
        self.assertEqual([row["epoch"] for row in progress.history], [1, 2, 3])
        self.assertEqual(list(progress.history[0]), KEYS)
        elapsed = [row["elapsed_seconds"] for row in progress.history]
        self.assertEqual(elapsed, sorted(elapsed))
        for row in progress.history:
            self.assertBetween(row["val_accuracy"], 0.0, 1.0)
            self.assertGreater(row["epoch_seconds"], 0.0)
            self.assertLessEqual(row["epoch_seconds"], row["elapsed_seconds"])

    def test_a_spent_budget_stops_after_the_first_batch(self):
        progress = EpochProgress(epochs=5, budget_seconds=0.0, verbose=False)
        self.fit([progress], epochs=5)
        self.assertTrue(progress.cut_short)
        self.assertLen(progress.history, 1)  # the epoch it stopped in still ends

    def test_a_new_fit_starts_afresh(self):
        progress = EpochProgress(epochs=2, budget_seconds=0.0, verbose=False)
        self.fit([progress], epochs=2)
        progress.budget_seconds = 600
        self.fit([progress], epochs=2)
        self.assertFalse(progress.cut_short)
        self.assertEqual([row["epoch"] for row in progress.history], [1, 2])

    def test_state_round_trip_keeps_rows_and_elapsed_time(self):
        progress = EpochProgress(epochs=4, budget_seconds=600, verbose=False)
        progress.on_train_begin()
        rows = [{"epoch": 1}, {"epoch": 2}]
        progress.set_state(
            {"history": rows, "cut_short": False, "elapsed_seconds": 100.0}
        )
        state = progress.get_state()
        self.assertEqual(state["history"], rows)
        self.assertFalse(state["cut_short"])
        self.assertBetween(state["elapsed_seconds"], 100.0, 110.0)

    def test_prints_one_line_per_epoch(self):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            self.fit([EpochProgress(epochs=2, budget_seconds=600)], epochs=2)
        lines = printed.getvalue().splitlines()
        self.assertLen(lines, 2)
        self.assertStartsWith(lines[1], "epoch   2/2  train loss")
        self.assertIn("eta 0.0 min", lines[1])


if __name__ == "__main__":
    tf.test.main()
