"""A5: tfcnn.analysis.losses against Keras, tf.GradientTape and hand arithmetic; its tables."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfcnn.analysis import losses
from tfcnn.answers.set_a.a5_losses import best_constant, margin_table, outlier_fits


class RegressionLossTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.y, self.y_hat = rng.normal(size=50), rng.normal(size=50) * 2

    def test_mse_mae_huber_match_keras(self):
        self.assertAllClose(
            losses.mse(self.y, self.y_hat),
            keras.losses.MeanSquaredError()(self.y, self.y_hat),
        )
        self.assertAllClose(
            losses.mae(self.y, self.y_hat),
            keras.losses.MeanAbsoluteError()(self.y, self.y_hat),
        )
        for delta in (0.5, 1.0, 3.0):
            self.assertAllClose(
                losses.huber(self.y, self.y_hat, delta),
                keras.losses.Huber(delta)(self.y, self.y_hat),
                atol=1e-6,
            )

    def test_by_hand(self):
        self.assertAllClose(losses.mse([0, 0], [1, 3]), 5.0)
        self.assertAllClose(losses.mae([0, 0], [1, 3]), 2.0)
        # r = 1 -> 0.5; r = 3 -> 1 * (3 - 0.5) = 2.5; mean 1.5
        self.assertAllClose(losses.huber([0, 0], [1, 3], delta=1.0), 1.5)
        with self.assertRaisesRegex(ValueError, "delta"):
            losses.huber([0], [1], delta=0)


class ClassificationLossTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.rng = np.random.default_rng(1)

    def test_categorical_cross_entropy_matches_keras_and_is_positive(self):
        logits = self.rng.normal(size=(20, 5))
        probabilities = tf.nn.softmax(logits).numpy()
        onehot = np.eye(5)[self.rng.integers(0, 5, 20)]
        value = losses.categorical_cross_entropy(onehot, probabilities)
        self.assertAllClose(
            value,
            keras.losses.CategoricalCrossentropy()(onehot, probabilities),
            atol=1e-6,
        )
        self.assertGreater(value, 0.0)  # the minus sign: -sum y log p >= 0

    def test_binary_cross_entropy_matches_keras_and_the_logistic_margin_loss(self):
        z = self.rng.normal(size=30) * 4
        y01 = self.rng.integers(0, 2, 30)
        value = losses.binary_cross_entropy_from_logits(y01, z)
        self.assertAllClose(
            value, keras.losses.BinaryCrossentropy(from_logits=True)(y01, z), atol=1e-6
        )
        margins = (2 * y01 - 1) * z
        logistic_bits = losses.MARGIN_LOSSES["cross-entropy (logistic, bits)"](margins)
        self.assertAllClose(value, np.mean(logistic_bits) * np.log(2.0))

    def test_binary_cross_entropy_is_convex_in_the_logit(self):
        # d2/dz2 of log(1 + e^-z) is s(z)(1 - s(z)) >= 0: checked with nested tapes.
        z = tf.constant(np.linspace(-8, 8, 33))
        with tf.GradientTape() as outer:
            outer.watch(z)
            with tf.GradientTape() as inner:
                inner.watch(z)
                loss = tf.math.softplus(-z)
            grad = inner.gradient(loss, z)
        second = outer.gradient(grad, z).numpy()
        sigmoid = 1 / (1 + np.exp(-z.numpy()))
        self.assertAllClose(second, sigmoid * (1 - sigmoid))
        self.assertTrue(np.all(second > 0))

    def test_multiclass_hinge_by_hand_and_against_keras(self):
        scores = np.array([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5]])
        # example 1: 1 + 1.5 - 2 = 0.5; example 2: true class 0: 1 + 3 - 0 = 4
        self.assertAllClose(losses.multiclass_hinge([0, 0], scores), 2.25)
        onehot = np.eye(3)[[0, 0]]
        self.assertAllClose(
            losses.multiclass_hinge([0, 0], scores),
            keras.losses.CategoricalHinge()(onehot, scores),
        )


class MarginLossTest(tf.test.TestCase):
    def test_surrogates_bound_the_zero_one_loss_and_are_calibrated(self):
        m = np.linspace(-3, 3, 601)
        curves = losses.margin_curves(m)
        for name, values in curves.items():
            if name == "0-1":
                continue
            with self.subTest(name=name):
                self.assertTrue(np.all(values >= curves["0-1"] - 1e-12))
                self.assertLess(losses.slope_at_zero(name), 0.0)

    def test_slopes_at_zero_by_hand(self):
        self.assertAllClose(losses.slope_at_zero("hinge"), -1.0, atol=1e-6)
        self.assertAllClose(
            losses.slope_at_zero("squared (MSE on ±1 targets)"), -2.0, atol=1e-5
        )
        self.assertAllClose(
            losses.slope_at_zero("cross-entropy (logistic, bits)"),
            -0.5 / np.log(2),
            atol=1e-6,
        )

    def test_zero_one_counts_mistakes(self):
        self.assertAllEqual(
            losses.MARGIN_LOSSES["0-1"](np.array([-1.0, 0.0, 0.5])), [1.0, 1.0, 0.0]
        )


class AnswerTablesTest(tf.test.TestCase):
    def test_best_constants_are_the_mean_the_median_and_between(self):
        data = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
        fits = outlier_fits(data, 1.0, 10.0)
        self.assertAllClose(fits["MSE (→ mean)"], 22.0, atol=1e-6)
        self.assertAllClose(fits["MAE (→ median)"], 3.0, atol=1e-6)
        # Huber's c solves sum(clip(x - c, -δ, δ)) = 0: the outlier pulls by δ
        # at most. δ = 1: -1 - 1 + 0 + 1 + 1 = 0 at c = 3; δ = 10: at c = 5,
        # -4 - 3 - 2 - 1 + 10 = 0.
        self.assertAllClose(fits["Huber, δ = 1"], 3.0, atol=1e-6)
        self.assertAllClose(fits["Huber, δ = 10"], 5.0, atol=1e-6)
        self.assertAllClose(best_constant(losses.mse, [2.0, 4.0]), 3.0, atol=1e-6)

    def test_margin_table_marks_each_surrogate(self):
        m = np.linspace(-2, 3, 2001)
        table = margin_table(losses.margin_curves(m))
        rows = {row[0]: row for row in table["rows"]}
        self.assertNotIn("0-1", rows)
        self.assertLen(rows, len(losses.MARGIN_LOSSES) - 1)
        self.assertEqual(rows["hinge"][1:], ["yes", "-1.000", "yes"])


if __name__ == "__main__":
    tf.test.main()
