"""tfcnn.plots.samples: confusion matrices against scikit-learn, example picking, figures."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import recall_score

from tfcnn.plots.samples import (
    confusion_matrix,
    per_class_recall,
    pick_examples,
    plot_confusion,
    plot_examples,
)
from tfcnn.plots.style import new_figure


class SamplesTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(5)
        self.y_true = rng.integers(0, 4, 200)
        self.y_pred = np.where(
            rng.random(200) < 0.7, self.y_true, rng.integers(0, 4, 200)
        )

    def test_confusion_and_recall_match_sklearn(self):
        matrix = confusion_matrix(self.y_true, self.y_pred, 4)
        self.assertAllEqual(
            matrix, sk_confusion_matrix(self.y_true, self.y_pred, labels=range(4))
        )
        self.assertAllClose(
            per_class_recall(matrix),
            recall_score(self.y_true, self.y_pred, average=None),
        )

    def test_confusion_rejects_bad_labels(self):
        with self.assertRaisesRegex(ValueError, "num_classes"):
            confusion_matrix([0, 5], [0, 1], 4)
        with self.assertRaisesRegex(ValueError, "same length"):
            confusion_matrix([0, 1], [0], 4)

    def test_pick_examples_returns_the_right_kind(self):
        wrong = pick_examples(self.y_true, self.y_pred, "failure", 10, seed=1)
        right = pick_examples(self.y_true, self.y_pred, "success", 10, seed=1)
        self.assertLen(wrong, 10)
        self.assertTrue(np.all(self.y_true[wrong] != self.y_pred[wrong]))
        self.assertTrue(np.all(self.y_true[right] == self.y_pred[right]))
        self.assertAllEqual(
            wrong, pick_examples(self.y_true, self.y_pred, "failure", 10, seed=1)
        )
        self.assertLen(pick_examples([0, 1], [0, 1], "failure", 5), 0)
        with self.assertRaisesRegex(ValueError, "kind"):
            pick_examples(self.y_true, self.y_pred, "both", 3)

    def test_figures_are_drawn(self):
        images = np.random.default_rng(0).random((12, 8, 8, 1)).astype(np.float32)
        probabilities = np.full((12, 4), 0.1)
        probabilities[np.arange(12), np.arange(12) % 4] = 0.7
        fig = plot_examples(
            images, np.arange(12) % 4, probabilities, [0, 3, 5], "abcd", "t", ncols=2
        )
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        self.assertLen(titles, 3)
        self.assertIn("70%", titles[0])
        fig, ax = new_figure()
        plot_confusion(ax, confusion_matrix(self.y_true, self.y_pred, 4), "abcd", "c")
        self.assertEqual(ax.get_title(), "c")


if __name__ == "__main__":
    tf.test.main()
