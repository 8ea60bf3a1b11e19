"""The two-digit pair builder: layout, labels, seeding."""

import numpy as np
import tensorflow as tf

from tfcnn.data.pairs import make_pairs


class PairsTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        # Image k is filled with the value k, so a pair's halves tell their sources.
        self.images = np.arange(20, dtype=np.uint8)[:, None, None] * np.ones(
            (1, 4, 3), np.uint8
        )
        self.labels = np.arange(20) % 10

    def test_left_is_i_right_is_j(self):
        x, digits, index = make_pairs(self.images, self.labels, 50, seed=1)
        self.assertEqual(x.shape, (50, 4, 6))
        self.assertAllEqual(x[:, 0, 0], index[:, 0])
        self.assertAllEqual(x[:, 0, 3], index[:, 1])
        self.assertAllEqual(digits, self.labels[index])
        self.assertAllEqual(
            digits.sum(axis=1), self.labels[index[:, 0]] + self.labels[index[:, 1]]
        )

    def test_seeded(self):
        a = make_pairs(self.images, self.labels, 10, seed=3)[2]
        self.assertAllEqual(a, make_pairs(self.images, self.labels, 10, seed=3)[2])
        self.assertNotAllEqual(a, make_pairs(self.images, self.labels, 10, seed=4)[2])

    def test_pairs_from_the_test_images_hold_only_test_images(self):
        x, _, _ = make_pairs(self.images[12:], self.labels[12:], 30, seed=0)
        self.assertTrue(np.all(x[:, 0, 0] >= 12))
        self.assertTrue(np.all(x[:, 0, 3] >= 12))

    def test_rejects_empty(self):
        with self.assertRaisesRegex(ValueError, "n_pairs"):
            make_pairs(self.images, self.labels, 0)


class PairSplitTest(tf.test.TestCase):
    def test_test_pairs_hold_only_test_images(self):
        from tfcnn.data.splits import Split, make_pair_split

        # Training images are >= 0, validation images 1000+, test images < 0.
        x_train = np.arange(30, dtype=np.float32)[:, None, None, None] * np.ones(
            (1, 2, 2, 1), np.float32
        )
        x_val, x_test = x_train + 1000, -1 - x_train
        y = np.arange(30) % 10
        split = Split(x_train, y, x_val, y, x_test, y, tuple(range(10)))
        pairs = make_pair_split(split, n_train=40, n_val=20, n_test=25, seed=0)
        self.assertEqual(pairs.x_train.shape, (40, 2, 4, 1))
        self.assertTrue((pairs.x_train >= 0).all() and (pairs.x_train < 1000).all())
        self.assertTrue((pairs.x_val >= 1000).all())
        self.assertTrue((pairs.x_test < 0).all())
        # The labels are the digits of the left and right source images.
        left = (-1 - pairs.x_test[:, 0, 0, 0]).astype(int)
        right = (-1 - pairs.x_test[:, 0, 2, 0]).astype(int)
        self.assertAllEqual(pairs.y_test, np.stack([y[left], y[right]], 1))
        # Test pairs do not depend on the training size.
        other = make_pair_split(split, n_train=5, n_val=20, n_test=25, seed=0)
        self.assertAllEqual(other.x_test, pairs.x_test)


class FixedLogits:
    """A stand-in model whose predictions are given."""

    def __init__(self, logits):
        self.logits = logits

    def predict(self, x, batch_size=None, verbose=0):
        return self.logits


class PairMetricsTest(tf.test.TestCase):
    def test_digit_head_against_brute_force(self):
        from tfcnn.training.metrics import pair_metrics

        rng = np.random.default_rng(0)
        logits = rng.normal(size=(50, 2, 10)) * 3
        digits = rng.integers(0, 10, size=(50, 2))
        got = pair_metrics(FixedLogits(logits), None, digits)
        probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        predicted = logits.argmax(-1)
        best_sum = [
            max(
                range(19),
                key=lambda s: sum(
                    probs[i, 0, a] * probs[i, 1, s - a]
                    for a in range(10)
                    if 0 <= s - a < 10
                ),
            )
            for i in range(50)
        ]
        self.assertAllClose(got["digit_accuracy"], (predicted == digits).mean())
        self.assertAllClose(
            got["sum_accuracy"], (predicted.sum(1) == digits.sum(1)).mean()
        )
        self.assertAllClose(
            got["sum_accuracy_marginal"], (np.array(best_sum) == digits.sum(1)).mean()
        )
        expected_loss = -np.log(probs[np.arange(50)[:, None], [0, 1], digits]).mean()
        self.assertAllClose(got["loss"], expected_loss)

    def test_sum_head(self):
        from tfcnn.training.metrics import pair_metrics

        logits = np.eye(19)[[3, 5, 18]] * 5
        got = pair_metrics(FixedLogits(logits), None, np.array([3, 4, 18]))
        self.assertAllClose(got["sum_accuracy"], 2 / 3)


class PairNetTest(tf.test.TestCase):
    def test_output_shapes_and_a_short_fit(self):
        from tfcnn.data.splits import Split
        from tfcnn.models.pairs import build_pair_net
        from tfcnn.training.fit import train_and_record
        from tfcnn.training.metrics import pair_metrics

        rng = np.random.default_rng(0)
        x = rng.random((64, 28, 56, 1)).astype(np.float32)
        digits = rng.integers(0, 10, (64, 2))
        for head, shape in [("sum", (64, 19)), ("digits", (64, 2, 10))]:
            model = build_pair_net(head, filters=(2, 4), dense_units=8)
            self.assertEqual(model(x).shape, shape)
        split = Split(x, digits, x[:8], digits[:8], x[:8], digits[:8], tuple(range(10)))
        result = train_and_record(
            build_pair_net("digits", filters=(2, 4), dense_units=8),
            split,
            iterations=10,
            record_every=5,
            batch_size=16,
            evaluate_fn=pair_metrics,
            verbose=0,
        )
        self.assertLen(result["history"], 2)
        self.assertIn("test_sum_accuracy_marginal", result["final"])

    def test_unknown_head(self):
        from tfcnn.models.pairs import build_pair_net

        with self.assertRaisesRegex(ValueError, "head"):
            build_pair_net("product")


def fake_pair_run(head, n, iterations, test_sum, digit=0.9, val_sum=0.5):
    """A stored C5 run with only the fields its summary reads."""
    final = {
        "train_sum_accuracy": 1.0,
        "val_sum_accuracy": val_sum,
        "test_sum_accuracy": test_sum,
        "train_loss": 0.1,
        "test_loss": 0.2,
    }
    if head == "digits":
        final |= {"test_digit_accuracy": digit, "test_sum_accuracy_marginal": test_sum}
    # Test pairs (1, 2) and (3, 4); the digit head misreads the second as (4, 3).
    predictions = [3, 0] if head == "sum" else [[1, 2], [4, 3]]
    return {
        "final": final,
        "iterations": iterations,
        "history": [],
        "test_predictions": predictions,
        "head": head,
        "train_pairs": n,
    }


class PairSummaryTest(tf.test.TestCase):
    def setUp(self):
        from tfcnn.answers.set_c.c5_pairs import Config

        super().setUp()
        self.config = Config(
            train_pairs=(10, 20, 20),
            iterations=(5, 5, 9),
            seeds=(0,),
        )
        self.all_runs = {
            ("sum", 10, 5): [fake_pair_run("sum", 10, 5, 0.5)],
            ("digits", 10, 5): [fake_pair_run("digits", 10, 5, 0.6)],
            # The sum head's longer schedule is better on test, worse on
            # validation: validation alone must choose.
            ("sum", 20, 5): [fake_pair_run("sum", 20, 5, 0.1, val_sum=0.7)],
            ("digits", 20, 5): [fake_pair_run("digits", 20, 5, 0.1, val_sum=0.4)],
            ("sum", 20, 9): [fake_pair_run("sum", 20, 9, 0.9, val_sum=0.6)],
            ("digits", 20, 9): [fake_pair_run("digits", 20, 9, 0.8, val_sum=0.9)],
        }

    def test_the_schedule_is_chosen_on_validation_only(self):
        from tfcnn.answers.set_c.c5_pairs import chosen_schedules, compared_runs

        runs = compared_runs(self.all_runs)
        self.assertCountEqual(
            runs, [("sum", 10), ("digits", 10), ("sum", 20), ("digits", 20)]
        )
        self.assertEqual(runs["sum", 20][0]["iterations"], 5)
        self.assertEqual(runs["digits", 20][0]["iterations"], 9)
        # Changing every test number changes no choice.
        shuffled = {
            key: [
                {
                    **r,
                    "final": {
                        **r["final"],
                        "test_sum_accuracy": 1 - r["final"]["test_sum_accuracy"],
                    },
                }
                for r in seeds
            ]
            for key, seeds in self.all_runs.items()
        }
        self.assertEqual(chosen_schedules(shuffled), chosen_schedules(self.all_runs))

    def test_summary_gaps_targets_and_lucky_sums(self):
        from tfcnn.answers.set_c.c5_pairs import (
            compared_runs,
            mean_by_sum,
            pair_summary,
        )

        digits = np.array([[1, 2], [3, 4]])
        by_sum = {
            key: mean_by_sum(digits, [r["test_predictions"] for r in seeds])
            for key, seeds in compared_runs(self.all_runs).items()
        }
        self.assertEqual(by_sum["sum", 10], {3: 1.0, 7: 0.0})
        summary = pair_summary(self.all_runs, digits, by_sum, self.config)
        self.assertAllClose(summary["digits_minus_sum"], {"n10": 0.1, "n20": 0.7})
        self.assertTrue(summary["digits_win_at_every_size"])
        self.assertEqual(summary["chosen_iterations"], {"sum": 5, "digits": 9})
        self.assertNotIn("targets_met", summary)
        self.assertEqual(summary["right_sum_from_wrong_digits"]["mean"], 1.0)
        self.assertAllClose(
            summary["final"]["digits_n20"]["test_digit_accuracy_squared"]["mean"], 0.81
        )
        self.assertEqual(
            set(summary["schedules"]),
            {"sum_it5", "digits_it5", "sum_it9", "digits_it9"},
        )
        self.assertEqual(summary["largest"], 20)
        rows = summary["table"]["rows"]
        self.assertLen(rows, 6)
        self.assertEqual(rows[0][:3], ["sum", "10", 5])
        self.assertEqual(rows[0][-1], "–")  # the sum head has no digit accuracy
        self.assertEqual(rows[1][-1], "90.00 ± 0.00")
