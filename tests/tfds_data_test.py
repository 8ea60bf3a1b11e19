"""Image folders through `tfds.ImageFolder`, and the online `tfds.load` fallback (mocked)."""

import hashlib
import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf
from PIL import Image

from tfcnn.data import DataNotFoundError, load_fashion_mnist, load_mnist, locate
from tfcnn.data.datasets import (
    CIFAR10_CLASSES,
    DOWNLOAD_SOURCE,
    NO_DOWNLOAD_ENV,
    read_image_folder,
)
from tfcnn.data.pipeline import folder_arrays, folder_split, image_folder

DATA_DIR = os.environ.get("TFCNN_DATA_DIR")


def write_png_folders(root: Path, counts: dict, seed: int = 0) -> dict:
    """Writes `root/<split>/<class>/<i>.png` of random pixels; returns them by path."""
    rng = np.random.default_rng(seed)
    written = {}
    for split, per_class in counts.items():
        for name, n in per_class.items():
            (root / split / name).mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
                path = root / split / name / f"{i:02d}.png"
                Image.fromarray(pixels).save(path)
                written[path] = pixels
    return written


class ImageFolderTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(tempfile.mkdtemp(dir=self.get_temp_dir()))

    def test_class_names_counts_and_pixels(self):
        counts = {"train": {"zebra": 3, "ant": 2, "moth": 1}, "test": {"ant": 1}}
        written = write_png_folders(self.root, counts)
        builder = image_folder(self.root)
        self.assertEqual(builder.info.features["label"].names, ["ant", "moth", "zebra"])
        self.assertEqual(builder.info.splits["train"].num_examples, 6)
        self.assertEqual(builder.info.splits["test"].num_examples, 1)
        by_pixels = {pixels.tobytes(): path for path, pixels in written.items()}
        pairs = list(folder_split(builder, "train").as_numpy_iterator())
        self.assertLen(pairs, 6)
        for image, label in pairs:
            self.assertEqual(image.dtype, np.uint8)
            path = by_pixels[image.tobytes()]  # a KeyError if no file has these pixels
            self.assertEqual(path.parent.name, ["ant", "moth", "zebra"][label])

    def test_arrays_follow_classes_then_file_names(self):
        written = write_png_folders(self.root, {"train": {"b": 2, "a": 3}})
        x, y = folder_arrays(image_folder(self.root), "train")
        paths = sorted(written)  # train/a/00 ... train/a/02, train/b/00, train/b/01
        self.assertAllEqual(x, np.stack([written[p] for p in paths]))
        self.assertAllEqual(y, [0, 0, 0, 1, 1])
        self.assertEqual(y.dtype, np.uint8)

    def test_jpeg_pixels_equal_pil(self):
        (self.root / "train" / "noise").mkdir(parents=True)
        path = self.root / "train" / "noise" / "0.jpg"
        noise = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(noise).save(path, quality=75)
        with Image.open(path) as image:
            expected = np.asarray(image.convert("RGB"))
        [(image, _)] = folder_split(
            image_folder(self.root), "train"
        ).as_numpy_iterator()
        self.assertAllEqual(image, expected)

    def test_a_class_without_images_in_a_split(self):
        write_png_folders(self.root, {"train": {"a": 1, "b": 1}, "test": {"a": 1}})
        builder = image_folder(self.root)
        with self.assertRaisesRegex(ValueError, r"test/b: class 'b' has no images"):
            folder_arrays(builder, "test")

    def test_not_a_folder(self):
        with self.assertRaisesRegex(ValueError, r"nothing is not a folder"):
            image_folder(self.root / "nothing")
        with self.assertRaisesRegex(ValueError, r"no class folders"):
            image_folder(self.root)


@unittest.skipUnless(DATA_DIR, "set TFCNN_DATA_DIR to run the real-data tests")
class SharedCifarTest(tf.test.TestCase):
    def test_tfds_reads_what_the_pil_loader_reads(self):
        root = Path(DATA_DIR) / "cifar10-jpeg"
        if not root.is_dir():
            self.skipTest(f"no {root}")
        x, y = folder_arrays(image_folder(root), "test")
        x_pil, y_pil, _ = read_image_folder(root / "test", CIFAR10_CLASSES)
        self.assertAllEqual(y, y_pil)
        sample = np.arange(0, len(x), 37)
        digest = [hashlib.sha256(a[sample].tobytes()).hexdigest() for a in (x, x_pil)]
        self.assertEqual(digest[0], digest[1])


class OnlineFallbackTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(tempfile.mkdtemp(dir=self.get_temp_dir()))
        # No local copy anywhere: an empty data folder, Keras home and system folder.
        patches = [
            mock.patch.dict(
                os.environ,
                {locate.ENV_VAR: str(self.root / "env"), "KERAS_HOME": str(self.root)},
            ),
            mock.patch.object(locate, "SYSTEM_DATA_DIR", self.root / "system"),
        ]
        for patch in patches:
            patch.start()
            self.addCleanup(patch.stop)
        os.environ.pop(NO_DOWNLOAD_ENV, None)

    def fake_splits(self):
        rng = np.random.default_rng(0)
        return [
            (
                rng.integers(0, 256, (n, 28, 28, 1)),
                np.arange(n, dtype=np.int64) % 10,
            )
            for n in (12, 4)
        ]

    def test_tfds_load_after_every_local_place(self):
        splits = self.fake_splits()
        with mock.patch("tensorflow_datasets.load", return_value=splits) as load:
            ds = load_fashion_mnist(data_dir=self.root / "arg")
        load.assert_called_once_with(
            "fashion_mnist",
            split=["train", "test"],
            as_supervised=True,
            batch_size=-1,
            data_dir=self.root / "arg",
        )
        self.assertEqual(ds.source, DOWNLOAD_SOURCE)
        self.assertEqual(ds.x_train.shape, (12, 28, 28))
        self.assertAllEqual(ds.x_test, splits[1][0][..., 0])
        self.assertEqual(ds.y_train.dtype, np.uint8)
        self.assertAllEqual(ds.y_test, [0, 1, 2, 3])

    def test_no_download_says_so(self):
        with mock.patch.dict(os.environ, {NO_DOWNLOAD_ENV: "1"}):
            with mock.patch("tensorflow_datasets.load") as load:
                with self.assertRaisesRegex(
                    DataNotFoundError, r"\$TFCNN_NO_DOWNLOAD is set; unset it"
                ):
                    load_mnist()
        load.assert_not_called()

    def test_a_failed_download_keeps_the_places_looked_at(self):
        offline = mock.patch("tensorflow_datasets.load", side_effect=OSError("offline"))
        with offline, self.assertRaises(DataNotFoundError) as caught:
            load_mnist()
        message = str(caught.exception)
        self.assertIn(str(self.root / "env" / "mnist"), message)
        self.assertIn("tfds.load('mnist') failed too: offline", message)


if __name__ == "__main__":
    tf.test.main()
