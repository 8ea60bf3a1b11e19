"""Stratified subsets, validation splits and the tf.data pipeline."""

import numpy as np
import tensorflow as tf

from tfcnn.data import balanced_subset, stratified_indices, train_val_split
from tfcnn.data.pipeline import (
    make_dataset,
    set_autotuning,
    to_float,
)


class SubsetTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.labels = np.repeat(np.arange(10), [30, 25, 40, 33, 28, 50, 21, 35, 26, 44])

    def test_stratified_counts_and_determinism(self):
        idx = stratified_indices(self.labels, 20, seed=3)
        self.assertAllEqual(np.bincount(self.labels[idx]), [20] * 10)
        self.assertLen(np.unique(idx), 200)
        self.assertAllEqual(idx, stratified_indices(self.labels, 20, seed=3))
        self.assertNotAllEqual(idx, stratified_indices(self.labels, 20, seed=4))

    def test_too_few_examples(self):
        with self.assertRaisesRegex(ValueError, "class 6 has 21 examples"):
            stratified_indices(self.labels, 22, seed=0)

    def test_balanced_subset_of_odd_size(self):
        x = np.arange(len(self.labels))
        xs, ys = balanced_subset(x, self.labels, 203, seed=0)
        self.assertLen(np.unique(xs), 203)
        self.assertGreaterEqual(np.bincount(ys).min(), 20)
        self.assertAllEqual(self.labels[xs], ys)

    def test_validation_split_is_disjoint_and_stratified(self):
        x = np.arange(len(self.labels))
        (x_tr, y_tr), (x_val, y_val) = train_val_split(x, self.labels, 0.2, seed=1)
        self.assertEmpty(np.intersect1d(x_tr, x_val))
        self.assertLen(x_tr, len(x) - len(x_val))
        expected = np.round(0.2 * np.bincount(self.labels)).astype(int)
        self.assertAllEqual(np.bincount(y_val), expected)

    def test_validation_fraction_checked(self):
        with self.assertRaisesRegex(ValueError, "val_fraction"):
            train_val_split(np.arange(5), np.arange(5), 1.5)


class PipelineTest(tf.test.TestCase):
    def test_batches_shapes_and_range(self):
        x = np.full((23, 28, 28), 255, np.uint8)
        x[0] = 0
        y = np.arange(23)
        batches = list(make_dataset(x, y, batch_size=5, shuffle=True, seed=0))
        self.assertEqual([b[0].shape[0] for b in batches], [5, 5, 5, 5, 3])
        self.assertEqual(batches[0][0].shape[1:], (28, 28, 1))
        images = np.concatenate([b[0].numpy() for b in batches])
        self.assertEqual(images.min(), 0.0)
        self.assertEqual(images.max(), 1.0)
        self.assertCountEqual(np.concatenate([b[1].numpy() for b in batches]), y)

    def test_seeded_shuffle_is_repeatable(self):
        x, y = np.zeros((50, 4, 4), np.uint8), np.arange(50)
        order = [b[1].numpy() for b in make_dataset(x, y, batch_size=50, seed=7)]
        again = [b[1].numpy() for b in make_dataset(x, y, batch_size=50, seed=7)]
        self.assertAllEqual(order, again)
        self.assertNotAllEqual(order[0], np.arange(50))

    def test_pipelines_run_without_autotuning_and_keep_their_order(self):
        x, y = np.arange(40 * 16, dtype=np.uint8).reshape(40, 4, 4), np.arange(40)
        stream = make_dataset(x, y, batch_size=8, seed=3)
        self.assertFalse(stream.options().autotune.enabled)
        tuned = (
            tf.data.Dataset.from_tensor_slices((to_float(x), y))
            .cache()
            .shuffle(40, seed=3, reshuffle_each_iteration=True)
            .batch(8)
            .prefetch(tf.data.AUTOTUNE)
        )
        self.assertTrue(tuned.options().autotune.enabled is not False)
        self.assertAllEqual(
            [b[1].numpy() for b in stream], [b[1].numpy() for b in tuned]
        )
        self.assertFalse(set_autotuning(tuned, False).options().autotune.enabled)
        self.assertTrue(set_autotuning(stream, True).options().autotune.enabled)
        autotuned = make_dataset(x, y, batch_size=8, seed=3, autotune=True)
        self.assertTrue(autotuned.options().autotune.enabled)

    def test_bad_shapes(self):
        with self.assertRaisesRegex(ValueError, "expected images"):
            to_float(np.zeros((3, 4)))
        with self.assertRaisesRegex(ValueError, "batch_size"):
            make_dataset(np.zeros((3, 4, 4)), np.zeros(3), batch_size=0)
