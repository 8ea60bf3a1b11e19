"""t-SNE embeddings, class-separation numbers, and the activation-map grid."""

import numpy as np
import tensorflow as tf
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier

from tfcnn.analysis.embedding import embed_and_score, knn_accuracy, separation
from tfcnn.plots.maps import activation_grid, embedding_figure


def _clusters(gap: float, n_per_class=15, classes=4, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * gap
    labels = np.repeat(np.arange(classes), n_per_class)
    return centres[labels] + rng.normal(size=(len(labels), dim)), labels


class SeparationTest(tf.test.TestCase):
    def test_knn_matches_scikit_learn_leave_one_out(self):
        points, labels = _clusters(gap=1.0, seed=3)
        for k in (1, 5):
            predicted = cross_val_predict(
                KNeighborsClassifier(k), points, labels, cv=LeaveOneOut()
            )
            self.assertAllClose(
                knn_accuracy(points, labels, k), (predicted == labels).mean()
            )

    def test_knn_by_hand(self):
        points = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [3.5]])
        labels = np.array([0, 0, 0, 1, 1, 1])
        # 1-NN: 3.5's nearest point is 2 (class 0); every other point is right.
        self.assertAllClose(knn_accuracy(points, labels, k=1), 5 / 6)

    def test_silhouette_by_hand(self):
        points = np.array([[0.0], [1.0], [10.0], [12.0]])
        labels = np.array([0, 0, 1, 1])
        # a = 1, 1, 2, 2; b = 11, 10, 9.5, 11.5; s = (b - a) / b = 1 - a / b.
        expected = np.mean([1 - 1 / 11, 1 - 1 / 10, 1 - 2 / 9.5, 1 - 2 / 11.5])
        self.assertAllClose(separation(points, labels, k=1)["silhouette"], expected)

    def test_separated_and_mixed_classes(self):
        points, labels = _clusters(gap=20.0)
        clear = separation(points, labels)
        self.assertEqual(clear["knn_accuracy"], 1.0)
        self.assertGreater(clear["silhouette"], 0.7)
        shuffled = np.random.default_rng(1).permutation(labels)
        mixed = separation(points, shuffled)
        self.assertLess(mixed["knn_accuracy"], 0.5)
        self.assertLess(mixed["silhouette"], 0.05)

    def test_tsne_keeps_separated_clusters_apart(self):
        points, labels = _clusters(gap=20.0, n_per_class=12)
        scores = embed_and_score(points, labels, seed=0)
        self.assertEqual(scores["embedding"].shape, (48, 2))
        self.assertEqual(scores["features"]["knn_accuracy"], 1.0)
        self.assertEqual(scores["tsne"]["knn_accuracy"], 1.0)
        again = embed_and_score(points, labels, seed=0)["embedding"]
        self.assertAllClose(scores["embedding"], again)  # seeded


class MapsTest(tf.test.TestCase):
    def test_activation_grid_layout(self):
        rng = np.random.default_rng(0)
        maps = {
            f"epoch {e}": {
                "relu1": rng.random((2, 28, 28, 4)),
                "relu2": rng.random((2, 14, 14, 4)),
            }
            for e in (1, 15)
        }
        fig = activation_grid(
            rng.random((2, 28, 28)), maps, titles=["digit 3", "digit 7"]
        )
        self.assertLen(fig.axes, (2 * 2) * (1 + 4 + 4))
        self.assertIn("digit 7", fig.axes[2 * 9].get_ylabel())

    def test_embedding_figure_has_one_panel_per_embedding(self):
        points, labels = _clusters(gap=5.0, dim=2)
        fig = embedding_figure([(points, labels, "a"), (points, labels, "b")], ncols=3)
        self.assertEqual([ax.get_title() for ax in fig.axes[:2]], ["a", "b"])
