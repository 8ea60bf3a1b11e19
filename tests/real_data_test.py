"""Integration tests on the real data sets; run where TFCNN_DATA_DIR is set (CI sets it)."""

import os
import unittest
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfcnn.data import load_fashion_mnist, load_mnist

DATA_DIR = os.environ.get("TFCNN_DATA_DIR")


@unittest.skipUnless(DATA_DIR, "set TFCNN_DATA_DIR to run the real-data tests")
class RealDataTest(tf.test.TestCase):
    def test_mnist_facts(self):
        ds = load_mnist(download=False)
        self.assertEqual(ds.x_train.shape, (60000, 28, 28))
        self.assertEqual(ds.x_test.shape, (10000, 28, 28))
        self.assertAllEqual(ds.y_train[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        self.assertAllEqual(ds.y_test[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        pixels = ds.x_train.astype(np.float64) / 255
        self.assertAllClose([pixels.mean(), pixels.std()], [0.1307, 0.3081], atol=5e-5)
        self.assertTrue(ds.checksums_ok)

    def test_fashion_mnist_counts(self):
        ds = load_fashion_mnist(download=False)
        self.assertEqual(len(ds.x_train), 60000)
        self.assertEqual(len(ds.x_test), 10000)
        self.assertAllEqual(np.bincount(ds.y_test), [1000] * 10)
        self.assertEqual(ds.class_names[9], "Ankle boot")

    def test_cifar10_counts(self):
        # Counting files is enough here; decoding all 60,000 JPEGs takes ~30 s.
        root = Path(DATA_DIR) / "cifar10-jpeg"
        for split, per_class in (("train", 5000), ("test", 1000)):
            counts = [
                len(list((root / split / c).glob("*.jpg")))
                for c in sorted(os.listdir(root / split))
            ]
            self.assertEqual(counts, [per_class] * 10)
