"""Property tests of the readers: round trips of whatever they can store, and any
bytes either read or raise ValueError, never another exception.

Hypothesis draws the arrays, rows, JSON values and byte strings (bounded
example counts, so the file runs in seconds); a failure prints the smallest
input it found. `scripts/fuzz.py` drives the same readers for longer under a
coverage-guided fuzzer.
"""

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path

import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tfcnn.data import read_idx, write_idx
from tfcnn.data.folders import read_labels_csv
from tfcnn.results import read_result, write_result
from tfcnn.results.bounded import read_json
from tfcnn.site import MissingResultError, render

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The element types of LeCun's description, in any byte order.
IDX_DTYPES = st.sampled_from(["u1", "i1", "i2", "i4", "f4", "f8"]).flatmap(
    lambda kind: st.sampled_from([f"<{kind}", f">{kind}"] if kind[1] != "1" else [kind])
)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
# The magic number of each type, to build headers that pass the first check.
MAGIC = st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E])
NAME = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="/\\\x00\r\n"),
    min_size=1,
    max_size=12,
).filter(lambda text: not text.startswith("."))

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
RESULTS = st.dictionaries(
    st.text(max_size=8).filter(lambda key: key != "meta"), JSON_VALUES, max_size=5
)


def idx_header(code: int, shape) -> bytes:
    """An IDX header written from LeCun's description (not by the library)."""
    dims = b"".join(int(n).to_bytes(4, "big") for n in shape)
    return bytes([0, 0, code, len(shape)]) + dims


class PropertyTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = Path(tempfile.mkdtemp(dir=self.get_temp_dir()))

    @FAST
    @given(
        array=hnp.arrays(IDX_DTYPES, SHAPES),
        gz=st.booleans(),
    )
    def test_idx_round_trip_keeps_every_bit(self, array, gz):
        path = self.dir / ("a.idx.gz" if gz else "a.idx")
        write_idx(path, array)
        raw = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
        self.assertEqual(raw[4 : 4 + 4 * array.ndim], idx_header(0, array.shape)[4:])
        back = read_idx(path)
        self.assertEqual(back.shape, array.shape)
        self.assertEqual(back.dtype, array.dtype.newbyteorder("="))
        self.assertEqual(back.tobytes(), array.astype(back.dtype).tobytes())

    @FAST
    @given(data=st.binary(max_size=300), gz=st.booleans())
    def test_idx_any_bytes_read_or_raise_value_error(self, data, gz):
        path = self.dir / "x.gz"
        path.write_bytes(gzip.compress(data) if gz else data)
        try:
            array = read_idx(path)
        except ValueError as error:
            self.assertIn(str(path), str(error))
        else:  # only a whole file reads: header plus exactly the declared data
            self.assertEqual(len(data), 4 + 4 * array.ndim + array.nbytes)

    @FAST
    @given(
        code=MAGIC,
        shape=st.lists(st.integers(0, 2**32 - 1), max_size=6),
        tail=st.binary(max_size=200),
    )
    def test_idx_any_header_reads_or_raises_value_error(self, code, shape, tail):
        path = self.dir / "h.gz"
        path.write_bytes(gzip.compress(idx_header(code, shape) + tail))
        try:
            array = read_idx(path)
        except ValueError:
            return
        self.assertEqual(array.shape, tuple(shape))
        self.assertEqual(array.nbytes, len(tail))

    @FAST
    @given(rows=st.dictionaries(NAME, NAME, max_size=8))
    def test_labels_csv_round_trip(self, rows):
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["id", "breed"])
        writer.writerows(rows.items())
        path = self.dir / "labels.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        self.assertEqual(read_labels_csv(path), rows)

    @FAST
    @given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
    def test_labels_csv_any_bytes_read_or_raise_value_error(self, data):
        path = self.dir / "labels.csv"
        path.write_bytes(b"id,breed\n" + data)
        try:
            labels = read_labels_csv(path)
        except ValueError as error:
            self.assertIn(str(path), str(error))
            return
        for name in [*labels, *labels.values()]:  # every one a plain name
            self.assertTrue(name and name[0] != "." and "/" not in name, name)

    @settings(max_examples=60, deadline=None)
    @given(data=RESULTS)
    def test_results_round_trip(self, data):
        write_result("x", "run", data, root=self.dir)
        stored = read_result("x", "run", root=self.dir)
        self.assertEqual(stored.pop("meta")["seed"], None)
        self.assertEqual(stored, data)

    @FAST
    @given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
    def test_results_any_bytes_read_or_raise_value_error(self, data):
        path = self.dir / "r.json"
        path.write_bytes(data)
        try:
            stored = read_json(path)
        except ValueError as error:
            self.assertIn(str(path), str(error))
            return
        self.assertIsInstance(stored, dict)

    @FAST
    @given(
        data=st.dictionaries(st.sampled_from(["a", "table"]), JSON_VALUES),
        path=st.sampled_from(["a", "a.0", "a.b", "a.0.b", "table", "table.rows"]),
        spec=st.sampled_from(["", ".3g", ".1%", ".1pp", ","]),
    )
    def test_a_page_on_any_result_renders_or_names_the_placeholder(
        self, data, path, spec
    ):
        (self.dir / "t").mkdir(exist_ok=True)
        (self.dir / "t" / "run.json").write_text(json.dumps(data))
        page = f"{{{{ result t/run {path} {spec} }}}} {{{{ table t/run }}}}"
        try:
            text = render(page, self.dir, "p.md")
        except MissingResultError as error:
            self.assertIn("p.md: {{ ", str(error))
        else:
            self.assertNotIn("{{", text)
