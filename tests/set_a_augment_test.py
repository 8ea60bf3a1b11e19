"""tfcnn.data.augment: random shifts and flips against scipy.ndimage, and the batch feeder."""

from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf
from scipy import ndimage

from tfcnn.data.augment import AugmentedBatches, shift_and_flip


def random_images(n, size=7, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 1)).astype(np.float32)


def matching_shifts(image, out, max_shift):
    """Every (dy, dx) for which scipy's zero-filled integer shift of `image` is `out`."""
    return [
        (dy, dx)
        for dy, dx in itertools.product(range(-max_shift, max_shift + 1), repeat=2)
        if np.array_equal(
            ndimage.shift(image, (dy, dx, 0), order=0, mode="constant", cval=0.0), out
        )
    ]


class ShiftAndFlipTest(tf.test.TestCase):
    def test_each_image_is_a_zero_filled_shift_within_range(self):
        images = random_images(300)
        out = shift_and_flip(images, np.random.default_rng(1), max_shift=2)
        self.assertEqual(out.shape, images.shape)
        self.assertEqual(out.dtype, images.dtype)
        seen = set()
        for image, shifted in zip(images, out):
            found = matching_shifts(image, shifted, 2)
            self.assertLen(found, 1)  # random pixels: exactly one shift explains it
            seen.add(found[0])
        self.assertLen(seen, 25)  # every shift in {-2..2}^2 is drawn

    def test_flip_mirrors_about_half_the_images_left_right(self):
        images = random_images(400)
        out = shift_and_flip(images, np.random.default_rng(2), flip=True)
        same = [np.array_equal(a, b) for a, b in zip(images, out)]
        mirrored = [np.array_equal(a[:, ::-1], b) for a, b in zip(images, out)]
        self.assertTrue(all(s != m for s, m in zip(same, mirrored)))
        self.assertBetween(np.mean(mirrored), 0.4, 0.6)

    def test_nothing_asked_changes_nothing_and_bad_input_is_refused(self):
        images = random_images(5)
        self.assertAllEqual(shift_and_flip(images, np.random.default_rng(0)), images)
        with self.assertRaisesRegex(ValueError, "max_shift"):
            shift_and_flip(images, np.random.default_rng(0), max_shift=-1)
        with self.assertRaisesRegex(ValueError, "shape"):
            shift_and_flip(images[..., 0], np.random.default_rng(0))


class AugmentedBatchesTest(tf.test.TestCase):
    def epoch(self, batches):
        return [batches[i] for i in range(len(batches))]

    def test_every_example_once_per_epoch_in_a_new_order(self):
        x, y = random_images(23), np.arange(23)
        batches = AugmentedBatches(x, y, batch_size=5, max_shift=1, flip=True, seed=3)
        self.assertLen(batches, 5)  # ceil(23 / 5)
        first = self.epoch(batches)
        self.assertEqual([len(b[1]) for b in first], [5, 5, 5, 5, 3])
        order = np.concatenate([b[1] for b in first])
        self.assertAllEqual(np.sort(order), y)
        for images, labels in first:  # each image is its own example, augmented
            for image, label in zip(images, labels):
                self.assertTrue(
                    matching_shifts(x[label], image, 1)
                    or matching_shifts(x[label][:, ::-1], image, 1)
                )
        batches.on_epoch_end()
        second = np.concatenate([b[1] for b in self.epoch(batches)])
        self.assertAllEqual(np.sort(second), y)
        self.assertNotAllEqual(second, order)
        again = AugmentedBatches(x, y, batch_size=5, max_shift=1, flip=True, seed=3)
        self.assertAllEqual(self.epoch(again)[0][0], first[0][0])

    def test_rejects_a_batch_larger_than_the_data(self):
        with self.assertRaisesRegex(ValueError, "batch_size"):
            AugmentedBatches(random_images(4), np.arange(4), batch_size=5)


if __name__ == "__main__":
    tf.test.main()
