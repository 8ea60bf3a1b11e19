"""Bad files cannot fill the memory: every reader checks sizes before it allocates.

Each test writes a damaged or hostile file (a .gz that decompresses to far
more than its header declares, a header declaring a huge shape, an image
declaring more pixels than any photo, a zip bomb named checkpoint.npz, ...)
and checks that it is refused with a one-line ValueError naming the file,
the limit and the fix, after reading only a bounded part of it.
"""

import gzip
import io
import time
import tracemalloc
import zipfile
from pathlib import Path
from unittest import mock

import numpy as np
import tensorflow as tf

from tfcnn.data import folders, idx, read_idx, read_image_folder, write_idx
from tfcnn.results import read_result
from tfcnn.results.bounded import check_npz, read_json
from tfcnn.site import MissingResultError, render
from tfcnn.site.catalogue import png_declaring
from tfcnn.training.checkpoints import CHECKPOINT_FILE, CheckpointError, TrainingBackup

ZEROS = 50_000_000  # 50 MB of zeros: about 50 kB once compressed


class CountingReader:
    """A file-like wrapper that counts the bytes read through it."""

    def __init__(self, handle):
        self.handle, self.count = handle, 0

    def read(self, size=-1):
        data = self.handle.read(size)
        self.count += len(data)
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


def header(code: int, shape) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(
        n.to_bytes(4, "big") for n in shape
    )


class IdxBombTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = Path(self.get_temp_dir())

    def read_counting(self, path, **kwargs):
        """read_idx(path) through a CountingReader: (error, bytes read, seconds)."""
        readers = []

        def counting_open(p):
            readers.append(CountingReader(gzip.open(p, "rb")))
            return readers[0]

        started = time.perf_counter()
        with mock.patch.object(idx, "_open", counting_open):
            with self.assertRaises(ValueError) as raised:
                read_idx(path, **kwargs)
        return str(raised.exception), readers[0].count, time.perf_counter() - started

    def test_a_small_header_on_a_gz_bomb_is_refused_after_its_bytes(self):
        path = self.dir / "train-labels-idx1-ubyte.gz"
        path.write_bytes(gzip.compress(header(8, (10,)) + bytes(ZEROS)))
        self.assertLess(path.stat().st_size, 200_000)
        message, count, seconds = self.read_counting(path)
        self.assertIn(f"{path}: longer than its header says", message)
        self.assertIn("Fetch the file again", message)
        self.assertEqual(count, 4 + 4 + 10 + 1)  # header, data, one more byte
        self.assertLess(seconds, 1.0)

    def test_a_huge_declared_shape_is_refused_from_the_header_alone(self):
        path = self.dir / "train-images-idx3-ubyte.gz"
        shape = (2**31 - 1,) * 3
        path.write_bytes(gzip.compress(header(8, shape) + bytes(ZEROS)))
        message, count, _ = self.read_counting(path)
        declared = (2**31 - 1) ** 3  # an independent Python-int product
        self.assertIn(f"{path}: the header declares shape {shape}", message)
        self.assertIn(f"{declared:,} bytes of data", message)
        self.assertIn("more than the limit of 2 GiB", message)
        self.assertIn("pass a larger max_bytes=", message)
        self.assertNotIn("\n", message)
        self.assertEqual(count, 4 + 12)  # the header, nothing else

    def test_the_limit_is_an_argument(self):
        path = self.dir / "a.idx.gz"
        write_idx(path, np.zeros((100, 10), np.float32))  # 4,000 bytes of data
        message, count, _ = self.read_counting(path, max_bytes=3999)
        self.assertIn(
            "4,000 bytes of data, more than the limit of 3,999 bytes", message
        )
        self.assertEqual(count, 4 + 8)
        self.assertAllEqual(read_idx(path, max_bytes=4000), np.zeros((100, 10)))

    def test_memory_follows_the_data_not_the_header(self):
        path = self.dir / "big-claim.gz"
        real = 4_000_000
        path.write_bytes(gzip.compress(header(8, (1000, 1000, 1000)) + bytes(real)))
        tracemalloc.start()
        try:
            with self.assertRaisesRegex(ValueError, "truncated.*holds 4000016 bytes"):
                read_idx(path)  # declares 1 GB, within the 2 GiB limit
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        self.assertLess(peak, 5 * real)

    def test_damaged_deflate_data_is_a_value_error(self):
        path = self.dir / "damaged.gz"
        stream = gzip.compress(header(8, (1000,)) + bytes(range(256)) * 4)
        path.write_bytes(stream[:12] + b"\xff" * 40 + stream[52:])
        with self.assertRaisesRegex(ValueError, "damaged.gz: cannot be read as IDX"):
            read_idx(path)

    def test_a_plain_file_is_read_within_its_size(self):
        path = self.dir / "plain.idx"
        path.write_bytes(header(0x0D, (2, 2)) + np.arange(4, dtype=">f4").tobytes())
        self.assertAllEqual(read_idx(path), [[0, 1], [2, 3]])
        path.write_bytes(path.read_bytes() + bytes(ZEROS))
        with self.assertRaisesRegex(ValueError, "longer than its header says"):
            read_idx(path)

    def test_write_idx_refuses_shapes_idx_cannot_hold(self):
        with self.assertRaisesRegex(ValueError, "at most 4294967295 each"):
            write_idx(self.dir / "wide.idx", np.zeros((2**32, 0), np.uint8))
        self.assertFalse((self.dir / "wide.idx").exists())


class ImageBombTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = Path(self.get_temp_dir()) / self.id().split(".")[-1]
        for name in ("cat", "dog"):
            (self.dir / name).mkdir(parents=True, exist_ok=True)
        from PIL import Image

        for name in ("cat", "dog"):
            for i in range(4):
                Image.new("RGB", (8, 8)).save(self.dir / name / f"{i}.png")

    def test_a_huge_declared_image_is_refused_before_decoding(self):
        bomb = png_declaring(self.dir / "dog" / "1.png", 9000, 9000)
        started = time.perf_counter()
        with self.assertRaises(ValueError) as raised:
            read_image_folder(self.dir)
        self.assertLess(time.perf_counter() - started, 2.0)
        message = str(raised.exception)
        self.assertIn(f"{bomb}: is 9000x9000 = 81,000,000 pixels", message)
        self.assertIn("more than the limit of 67,108,864", message)
        self.assertIn("pass a larger max_pixels=", message)

    def test_the_tf_loader_reads_the_headers_first(self):
        bomb = png_declaring(self.dir / "cat" / "1.png", 9000, 9000)
        with self.assertRaisesRegex(ValueError, f"{bomb}: is 9000x9000"):
            folders.image_folder_datasets(self.dir, image_size=(8, 8), batch_size=2)

    def test_beyond_the_decoders_own_limit_is_refused_too(self):
        png_declaring(self.dir / "cat" / "1.png", 60000, 60000)
        with self.assertRaisesRegex(ValueError, "1.png: refused before decoding"):
            read_image_folder(self.dir, max_pixels=10**10)

    def test_the_pixel_limit_is_an_argument(self):
        with self.assertRaisesRegex(ValueError, "is 8x8 = 64 pixels"):
            read_image_folder(self.dir, max_pixels=63)
        x, y, names = read_image_folder(self.dir, max_pixels=64)
        self.assertEqual(x.shape, (8, 8, 8, 3))


class LabelsCsvTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.path = Path(self.get_temp_dir()) / "labels.csv"

    def read(self, text: str | bytes, **kwargs):
        data = text.encode() if isinstance(text, str) else text
        self.path.write_bytes(data)
        return folders.read_labels_csv(self.path, **kwargs)

    def test_a_good_file(self):
        got = self.read('\ufeffid,breed\r\na1,pug\nb2,"saint, bernard"\n')
        self.assertEqual(got, {"a1": "pug", "b2": "saint, bernard"})

    def test_a_label_that_is_a_path_is_refused(self):
        for label in ("../../etc", "a/b", ".hidden", ""):
            with self.assertRaisesRegex(ValueError, "line 2: .*not a plain name"):
                self.read(f"id,breed\na1,{label}\n")

    def test_broken_rows_are_refused(self):
        with self.assertRaisesRegex(ValueError, "line 3 has too few fields"):
            self.read("id,breed\na,pug\nb\n")
        with self.assertRaisesRegex(ValueError, "line 3: id 'a' again"):
            self.read("id,breed\na,pug\na,boxer\n")
        with self.assertRaisesRegex(ValueError, "the header is empty"):
            self.read("")

    def test_not_utf8_and_too_large_are_refused(self):
        with self.assertRaisesRegex(ValueError, "not a UTF-8 CSV file"):
            self.read(b"id,breed\na,\xff\xfe\n")
        with self.assertRaisesRegex(ValueError, "holds 19 bytes, more than .* 18 "):
            self.read("id,breed\na,pug\nb,x\n", max_bytes=18)


class ResultsJsonTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.root = Path(self.get_temp_dir())
        (self.root / "c1").mkdir(exist_ok=True)
        self.path = self.root / "c1" / "run.json"

    def test_deep_nesting_is_a_value_error(self):
        self.path.write_text("[" * 100_000)
        with self.assertRaisesRegex(ValueError, "run.json: not a results file"):
            read_result("c1", "run", root=self.root)

    def test_damaged_and_wrong_files(self):
        for text, phrase in (
            ('{"a": 1', "JSONDecodeError"),
            ("[1, 2]", "holds a JSON list, not an object"),
            (b'{"a": "\xff"}', "UnicodeDecodeError"),
        ):
            data = text if isinstance(text, bytes) else text.encode()
            self.path.write_bytes(data)
            with self.assertRaisesRegex(ValueError, phrase):
                read_json(self.path)

    def test_too_large_is_refused_before_reading(self):
        self.path.write_text('{"a": 1}')
        with mock.patch.object(Path, "read_bytes", side_effect=AssertionError):
            with self.assertRaisesRegex(ValueError, "holds 8 bytes, more than"):
                read_json(self.path, max_bytes=7)

    def test_a_page_naming_a_damaged_result_stops_the_build(self):
        self.path.write_text("not json")
        with self.assertRaisesRegex(MissingResultError, "page.md.*not a results file"):
            render("{{ result c1/run a }}", self.root, "page.md")


class CheckpointBombTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = Path(self.get_temp_dir()) / self.id().split(".")[-1]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / CHECKPOINT_FILE

    def test_a_zip_bomb_is_refused_before_decompressing(self):
        with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("v0.npy", bytes(ZEROS))
        self.assertLess(self.path.stat().st_size, 200_000)
        backup = TrainingBackup(self.dir, resume=True, max_bytes=10_000_000)
        with mock.patch.object(np, "load", side_effect=AssertionError("decoded")):
            with self.assertRaisesRegex(
                CheckpointError, r"declares 47.7 MiB, more than the limit of 9.54 MiB"
            ):
                backup.restore(model=None, run={})

    def test_an_array_header_declaring_a_huge_shape_is_refused(self):
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (10**10,)}
        )
        with zipfile.ZipFile(self.path, "w") as archive:
            archive.writestr("v0.npy", header.getvalue() + bytes(100))
        with mock.patch.object(np, "load", side_effect=AssertionError("allocated")):
            with self.assertRaisesRegex(
                CheckpointError, "v0.npy declares 74.5 GiB of data but holds 228 bytes"
            ):
                TrainingBackup(self.dir, resume=True).restore(model=None, run={})

    def test_an_encrypted_entry_is_damaged(self):
        np.savez(self.path, state=np.array("{}"))
        raw = bytearray(self.path.read_bytes())
        for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            raw[raw.index(signature) + flags] |= 1  # "encrypted"
        self.path.write_bytes(bytes(raw))
        with self.assertRaisesRegex(CheckpointError, "encrypted"):
            TrainingBackup(self.dir, resume=True).restore(model=None, run={})

    def test_a_damaged_checkpoint_says_to_delete_it(self):
        self.path.write_bytes(b"PK\x03\x04 half a file")
        with self.assertRaisesRegex(CheckpointError, f"delete {self.dir}"):
            TrainingBackup(self.dir, resume=True).restore(model=None, run={})

    def test_a_checkpoint_without_its_state_is_damaged(self):
        np.savez(self.path, v0=np.zeros(3))
        with self.assertRaisesRegex(CheckpointError, "is damaged .*KeyError"):
            TrainingBackup(self.dir, resume=True).restore(model=None, run={})
        np.savez(self.path, state=np.array('{"epochs": 1}'))
        with self.assertRaisesRegex(CheckpointError, "state lacks one of"):
            TrainingBackup(self.dir, resume=True).restore(model=None, run={})

    def test_check_npz_accepts_a_whole_file(self):
        np.savez(self.path, a=np.zeros(10))
        check_npz(self.path, 10_000)
        with self.assertRaisesRegex(ValueError, "more than the limit of 100 bytes"):
            check_npz(self.path, 100)
