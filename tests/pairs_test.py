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
