"""IDX reading, data-directory resolution and checksums, on files the tests write."""

import gzip
import os
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from tfcnn.data import (
    ChecksumError,
    DataNotFoundError,
    load_mnist,
    locate,
    read_idx,
    write_idx,
)
from tfcnn.data.datasets import IDX_FILES


def write_fake_mnist(folder: Path, n_train=30, n_test=10, seed=0) -> dict:
    """Writes a small MNIST-layout folder and returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in IDX_FILES.items():
        write_idx(folder / name, arrays[key])
    return arrays


class IdxTest(tf.test.TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = Path(self.get_temp_dir())

    @parameterized.parameters(
        ("a.idx", np.uint8, (5, 4, 3)),
        ("b.idx.gz", np.uint8, (7,)),
        ("c.idx.gz", np.float32, (2, 3)),
        ("d.idx", np.int32, (4, 2)),
    )
    def test_round_trip(self, name, dtype, shape):
        array = (np.arange(np.prod(shape)) % 200).astype(dtype).reshape(shape)
        write_idx(self.dir / name, array)
        back = read_idx(self.dir / name)
        self.assertEqual(back.dtype, array.dtype)
        self.assertAllEqual(back, array)

    def test_header_matches_lecun_layout(self):
        write_idx(self.dir / "labels.idx", np.array([5, 0, 4], dtype=np.uint8))
        raw = (self.dir / "labels.idx").read_bytes()
        self.assertEqual(raw, bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4]))

    def test_gzip_bytes_do_not_depend_on_time_or_name(self):
        labels = np.array([5, 0, 4], dtype=np.uint8)
        write_idx(self.dir / "one.idx.gz", labels)
        with mock.patch("time.time", return_value=1e9):
            write_idx(self.dir / "two.idx.gz", labels)
        first = (self.dir / "one.idx.gz").read_bytes()
        self.assertEqual(first, (self.dir / "two.idx.gz").read_bytes())
        self.assertEqual(
            gzip.decompress(first), bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4])
        )

    def test_bad_magic_names_the_file(self):
        path = self.dir / "bad.idx"
        path.write_bytes(b"\x12\x34\x08\x01" + bytes(8))
        with self.assertRaisesRegex(ValueError, r"bad\.idx: bad magic number 12340801"):
            read_idx(path)

    def test_truncated_file(self):
        path = self.dir / "short.idx.gz"
        write_idx(path, np.zeros((10, 28, 28), np.uint8))
        raw = gzip.decompress(path.read_bytes())
        path.write_bytes(gzip.compress(raw[:-100]))
        with self.assertRaisesRegex(
            ValueError, r"short\.idx\.gz: truncated.*\(10, 28, 28\)"
        ):
            read_idx(path)

    def test_extra_bytes(self):
        path = self.dir / "long.idx"
        write_idx(path, np.zeros((3,), np.uint8))
        path.write_bytes(path.read_bytes() + b"\x00")
        with self.assertRaisesRegex(ValueError, "longer than its header says"):
            read_idx(path)

    def test_corrupt_gzip(self):
        path = self.dir / "broken.idx.gz"
        path.write_bytes(b"\x1f\x8b not really gzip")
        with self.assertRaisesRegex(ValueError, r"broken\.idx\.gz: cannot be read"):
            read_idx(path)


class LocateTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(tempfile.mkdtemp(dir=self.get_temp_dir()))
        # Isolate from the machine: no env data dir, an empty Keras home and system dir.
        patches = [
            mock.patch.dict(os.environ, {"KERAS_HOME": str(self.root / "keras")}),
            mock.patch.object(locate, "SYSTEM_DATA_DIR", self.root / "system"),
        ]
        for patch in patches:
            patch.start()
            self.addCleanup(patch.stop)
        os.environ.pop(locate.ENV_VAR, None)

    def test_argument_beats_environment(self):
        by_arg = write_fake_mnist(self.root / "arg" / "mnist", n_train=20, seed=1)
        write_fake_mnist(self.root / "env" / "mnist", n_train=40, seed=2)
        with mock.patch.dict(os.environ, {locate.ENV_VAR: str(self.root / "env")}):
            ds = load_mnist(data_dir=self.root / "arg", download=False)
        self.assertAllEqual(ds.x_train, by_arg["x_train"])
        self.assertEqual(ds.source, str(self.root / "arg" / "mnist"))

    def test_environment_then_system_folder(self):
        write_fake_mnist(self.root / "system" / "mnist", n_train=20)
        self.assertLen(load_mnist(download=False).x_train, 20)
        write_fake_mnist(self.root / "env" / "mnist", n_train=40)
        with mock.patch.dict(os.environ, {locate.ENV_VAR: str(self.root / "env")}):
            self.assertLen(load_mnist(download=False).x_train, 40)

    def test_missing_everywhere_lists_every_place(self):
        with mock.patch.dict(os.environ, {locate.ENV_VAR: str(self.root / "env")}):
            with self.assertRaises(DataNotFoundError) as caught:
                load_mnist(data_dir=self.root / "arg", download=False)
        message = str(caught.exception)
        for place in ["arg/mnist", "env/mnist", "keras/datasets/mnist", "system/mnist"]:
            self.assertIn(place, message)
        self.assertIn("TFCNN_DATA_DIR", message)

    def test_checksum_mismatch_names_the_file(self):
        folder = self.root / "arg" / "mnist"
        write_fake_mnist(folder)
        lines = [f"{locate.sha256(folder / n)}  {n}" for n in IDX_FILES.values()]
        (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
        self.assertTrue(
            load_mnist(data_dir=self.root / "arg", download=False).checksums_ok
        )
        lines[1] = "0" * 64 + "  " + IDX_FILES["y_train"]
        (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
        with self.assertRaisesRegex(ChecksumError, "train-labels-idx1-ubyte.gz"):
            load_mnist(data_dir=self.root / "arg", download=False)

    def test_image_label_count_mismatch(self):
        folder = self.root / "arg" / "mnist"
        write_fake_mnist(folder)
        write_idx(folder / IDX_FILES["y_test"], np.zeros(3, np.uint8))
        with self.assertRaisesRegex(ValueError, "test has 10 images but 3 labels"):
            load_mnist(data_dir=self.root / "arg", download=False)
