"""Set B, B2.4/B2.5: the CIFAR network, its whitening stem, schedule, pipeline and cache."""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.data import folders
from tfcnn.data.augment import (
    augment_batch,
    random_flip,
    random_translate,
    training_dataset,
)
from tfcnn.data.datasets import ImageDataset
from tfcnn.models.cifar import build_cifar_net, normalise, whitening_kernel
from tfcnn.training.fit import TriangularSchedule, compile_cifar
from tfcnn.training.metrics import predict_logits


def smooth_images(n=64, seed=0):
    """Random images with strongly correlated neighbouring pixels and channels."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 255, size=(n, 9, 9, 1))
    noise = rng.normal(0, 20, size=(n, 9, 9, 3))
    big = np.repeat(np.repeat(base, 4, axis=1), 4, axis=2)[:, :32, :32]
    return np.clip(
        big + np.repeat(np.repeat(noise, 4, axis=1), 4, axis=2)[:, :32, :32], 0, 255
    )


class WhiteningTest(tf.test.TestCase):
    def test_filter_responses_are_uncorrelated_with_unit_variance(self):
        images = normalise(smooth_images())
        kernel = whitening_kernel(images, eps=1e-8)
        self.assertEqual(kernel.shape, (2, 2, 3, 24))
        responses = (
            tf.nn.conv2d(images, kernel[..., :12], strides=1, padding="VALID")
            .numpy()
            .reshape(-1, 12)
        )
        # The kernel whitens uncentred second moments: E[r r^T] = I.
        self.assertAllClose(
            responses.T @ responses / len(responses), np.eye(12), atol=1e-3
        )
        self.assertAllClose(kernel[..., 12:], -kernel[..., :12])

    def test_rejects_a_single_image_without_batch_axis(self):
        with self.assertRaisesRegex(ValueError, r"\(n, H, W, C\)"):
            whitening_kernel(np.zeros((32, 32, 3)))


class NetworkTest(tf.test.TestCase, parameterized.TestCase):
    @staticmethod
    def expected_params(widths, separable, stem=24, classes=10):
        """By hand: stem 2*2*3*stem; each block two 3x3 convs (no bias) + two BNs of 3C
        (shift, moving mean, moving variance; no scale); the head width*classes."""
        total, c_in = 2 * 2 * 3 * stem, stem
        for w in widths:
            for m in (c_in, w):
                total += (9 * m + m * w) if separable else 9 * m * w
                total += 3 * w
            c_in = w
        return total + widths[-1] * classes

    @parameterized.parameters(False, True)
    def test_parameter_count_and_logit_shape(self, separable):
        model = build_cifar_net((8, 16, 16), separable=separable)
        self.assertEqual(
            model.count_params(), self.expected_params((8, 16, 16), separable)
        )
        self.assertEqual(model(np.zeros((2, 32, 32, 3), np.float32)).shape, (2, 10))

    def test_separable_network_is_smaller(self):
        standard, separable = (
            build_cifar_net((16, 64, 64), separable=s).count_params()
            for s in (False, True)
        )
        self.assertLess(separable, standard / 4)

    def test_whitening_stem_is_frozen_with_the_given_kernel(self):
        kernel = whitening_kernel(normalise(smooth_images(8)))
        model = build_cifar_net((8, 8, 8), stem_kernel=kernel)
        stem = model.get_layer("stem")
        self.assertFalse(stem.trainable)
        self.assertAllClose(stem.get_weights()[0], kernel)
        self.assertNotIn(stem.kernel.path, [v.path for v in model.trainable_variables])

    def test_bad_arguments_name_themselves(self):
        with self.assertRaisesRegex(ValueError, "stem_kernel"):
            build_cifar_net((8, 8, 8), stem_kernel=np.zeros((3, 3, 3, 24)))
        with self.assertRaisesRegex(ValueError, "widths"):
            build_cifar_net((8, 0, 8))

    def test_the_recipe_learns_a_simple_task(self):
        # The class is the quadrant that holds a bright square; 30 steps at the
        # recipe's full learning rate (batch 1024 -> peak 1.5) must learn it.
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 4, size=64)
        x = rng.uniform(0, 100, size=(64, 16, 16, 3)).astype(np.float32)
        for image, label in zip(x, labels):
            row, col = divmod(int(label), 2)
            image[8 * row : 8 * row + 8, 8 * col : 8 * col + 8] += 150
        y = np.eye(10, dtype=np.float32)[labels]
        model = build_cifar_net((8, 16, 16), input_shape=(16, 16, 3))
        compile_cifar(model, total_steps=30, batch_size=1024, label_smoothing=0.0)
        batches = tf.data.Dataset.from_tensors((x, y))
        loss_before, _ = model.evaluate(batches, verbose=0)
        model.fit(batches.repeat(30), epochs=1, verbose=0, shuffle=False)
        loss_after, accuracy_after = model.evaluate(batches, verbose=0)
        self.assertLess(loss_after, loss_before / 4)
        self.assertGreater(accuracy_after, 0.95)

    def test_flip_tta_is_the_mean_of_both_views(self):
        model = build_cifar_net((8, 8, 8))
        x = smooth_images(4).astype(np.uint8)
        plain = model.predict(x.astype(np.float32), verbose=0)
        mirrored = model.predict(x[:, :, ::-1].astype(np.float32), verbose=0)
        self.assertAllClose(predict_logits(model, x), (plain + mirrored) / 2, atol=1e-5)


class ScheduleTest(tf.test.TestCase):
    def test_values_by_hand(self):
        schedule = TriangularSchedule(
            peak=1.0, total_steps=100, warmup_fraction=0.2, start=0.2, end=0.1
        )
        # Warm-up 20 steps from 0.2 to 1.0, then down to 0.1 at step 100.
        for step, expected in [
            (0, 0.2),
            (10, 0.6),
            (20, 1.0),
            (60, 0.55),
            (100, 0.1),
            (150, 0.1),
        ]:
            self.assertAllClose(float(schedule(step)), expected, atol=1e-6)

    def test_round_trips_through_its_config(self):
        schedule = TriangularSchedule(0.5, 80)
        again = TriangularSchedule.from_config(schedule.get_config())
        self.assertAllClose(float(schedule(30)), float(again(30)))


class AugmentTest(tf.test.TestCase):
    def test_flip_mirrors_about_half_of_the_images(self):
        images = tf.constant(np.random.default_rng(0).uniform(size=(400, 4, 5, 1)))
        out = random_flip(images, tf.constant([1, 2])).numpy()
        flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, images.numpy())]
        same = [np.array_equal(o, i) for o, i in zip(out, images.numpy())]
        self.assertTrue(all(f or s for f, s in zip(flipped, same)))
        self.assertBetween(np.mean(flipped), 0.4, 0.6)

    def test_translate_is_a_crop_of_the_reflect_padded_image(self):
        images = np.random.default_rng(1).integers(0, 255, size=(50, 6, 7, 2))
        out = random_translate(tf.constant(images), 2, tf.constant([3, 4])).numpy()
        offsets = set()
        for image, shifted in zip(images, out):
            padded = np.pad(image, ((2, 2), (2, 2), (0, 0)), mode="reflect")
            found = [
                (r, c)
                for r in range(5)
                for c in range(5)
                if np.array_equal(padded[r : r + 6, c : c + 7], shifted)
            ]
            self.assertNotEmpty(found)
            offsets.add(found[0])
        self.assertGreater(len(offsets), 10)  # many different shifts were drawn

    def test_same_seed_same_batch(self):
        images = tf.constant(
            np.random.default_rng(2).integers(0, 255, size=(8, 6, 6, 3)), tf.uint8
        )
        a = augment_batch(images, tf.constant([5, 6]))
        self.assertAllEqual(a, augment_batch(images, tf.constant([5, 6])))
        self.assertNotAllEqual(a, augment_batch(images, tf.constant([5, 7])))

    def test_each_epoch_is_a_permutation_with_matching_labels(self):
        n, batch = 100, 32
        x = np.broadcast_to(
            np.arange(n, dtype=np.uint8)[:, None, None, None], (n, 4, 4, 3)
        ).copy()
        y = np.arange(n) % 10
        stream = training_dataset(x, y, batch, seed=0)
        epochs = []
        for _ in range(2):
            seen = []
            for images, onehot in stream.take(n // batch):
                # Flips and shifts keep constant images constant.
                ids = images.numpy()[:, 0, 0, 0].astype(int)
                self.assertAllEqual(onehot.numpy().argmax(axis=1), ids % 10)
                seen += ids.tolist()
            self.assertLen(set(seen), n // batch * batch)
            epochs.append(seen)
            stream = stream.skip(n // batch)
        self.assertNotEqual(epochs[0], epochs[1])


class CacheTest(tf.test.TestCase):
    def test_decodes_once_then_reads_the_cache(self):
        source = Path(self.get_temp_dir()) / "source"
        source.mkdir(exist_ok=True)
        calls = []

        def fake_loader(name, data_dir=None):
            calls.append(name)
            images = np.full((3, 2, 2, 3), len(calls), np.uint8)
            return ImageDataset(
                name,
                images,
                np.arange(3),
                images[:1],
                np.arange(1),
                ("a", "b", "c"),
                str(source),
            )

        original = folders.load_dataset
        folders.load_dataset = fake_loader
        try:
            cache = Path(self.get_temp_dir()) / "cache"
            first = folders.cached_dataset("cifar10", cache_dir=cache)
            second = folders.cached_dataset("cifar10", cache_dir=cache)
            self.assertLen(calls, 1)
            self.assertAllEqual(first.x_train, second.x_train)
            self.assertEqual(second.class_names, ("a", "b", "c"))
            refreshed = folders.cached_dataset("cifar10", cache_dir=cache, refresh=True)
            self.assertLen(calls, 2)
            self.assertEqual(int(refreshed.x_train[0, 0, 0, 0]), 2)
        finally:
            folders.load_dataset = original


if __name__ == "__main__":
    tf.test.main()
