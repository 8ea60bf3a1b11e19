"""Every mistake of the error catalogue, and every damaged or hostile file, fails
with a message that names the problem and the fix, and writes nothing (the page
docs/what-can-go-wrong.md shows them).

The cases themselves live in `tfcnn.site.error_cases`, which writes the page's
table (`scripts/error_catalogue.py`; their machinery is `tfcnn.site.catalogue`);
here each is run again and checked against expectations written independently
of it.
"""

import builtins
import json
from pathlib import Path

import tensorflow as tf
from absl.testing import parameterized

from tfcnn.data import ChecksumError, DataNotFoundError
from tfcnn.site.catalogue import UsageError, run_case
from tfcnn.site.error_cases import CASES, HOSTILE_CASES
from tfcnn.training.checkpoints import CheckpointError, TrainingDivergedError

REPO = Path(__file__).resolve().parents[1]

# Case -> (exception type, phrases the message must hold: the problem, then the fix).
EXPECTED = {
    "data_missing": (
        DataNotFoundError,
        ["'mnist' not found", "…/data/mnist (argument data_dir)", "set TFCNN_DATA_DIR"],
    ),
    "idx_truncated": (
        ValueError,
        [
            "train-images-idx3-ubyte.gz: truncated",
            "(20, 28, 28)",
            "Fetch the file again",
        ],
    ),
    "idx_not_gzip": (
        ValueError,
        ["train-labels-idx1-ubyte.gz: cannot be read as IDX", "fetch it again"],
    ),
    "idx_wrong_file": (
        ValueError,
        ["t10k-images-idx3-ubyte.gz: bad magic number", "Is this the right file?"],
    ),
    "checksum_mismatch": (
        ChecksumError,
        ["t10k-labels-idx1-ubyte.gz: SHA-256 is", "SHA256SUMS says", "fetch it again"],
    ),
    "labels_mismatch": (
        ValueError,
        ["train has 20 images but 15 labels", "not from the same release"],
    ),
    "image_unreadable": (
        ValueError,
        ["…/images/dog/1.jpg: unreadable image", "delete or replace it"],
    ),
    "image_no_classes": (
        ValueError,
        ["…/images: no class folders", "expected …/images/<class>/<image>.jpg"],
    ),
    "kernel_too_large": (
        ValueError,
        ["kernel_size is 29", "only 28 wide", "use a smaller kernel_size"],
    ),
    "zero_filters": (ValueError, ["filters_conv1 must be a whole number >= 1, got 0"]),
    "negative_stride": (ValueError, ["strides must be a whole number >= 1, got -2"]),
    "wrong_input_shape": (
        ValueError,
        ["shape (32, 32, 3)", "expects (8, 8, 1)", "input_shape=(32, 32, 3)"],
    ),
    "unknown_dataset": (ValueError, ["'mnsit'", "'fashion_mnist', 'mnist'"]),
    "unknown_optimizer": (ValueError, ["'adamw'", "['adam', 'rmsprop', 'sgd']"]),
    "batch_too_large": (
        ValueError,
        ["batch_size 64 is larger than the 40 training examples", "at most"],
    ),
    "loss_diverges": (
        TrainingDivergedError,
        [
            "by iteration 2",
            "last good checkpoint (iteration 1) is kept in …/checkpoints/run",
            "lower the learning rate (it is 1e+20)",
        ],
    ),
    "checkpoint_left_over": (
        CheckpointError,
        ["holds the checkpoint of an interrupted run", "pass --resume", "delete"],
    ),
    "checkpoint_other_settings": (
        CheckpointError,
        ["other settings (batch_size: 50 -> 64)", "resume with the same settings"],
    ),
    "results_dir_is_file": (
        OSError,
        ["cannot write …/notes.txt/c1/run.json", "--results-dir"],
    ),
    "option_results_dir_is_file": (
        UsageError,
        ["train_mnist_deep.py: error: argument --results-dir", "it is a file"],
    ),
    "option_not_positive": (
        UsageError,
        ["argument --iterations: must be a whole number >= 1, got '0'"],
    ),
    "option_not_a_choice": (
        UsageError,
        ["argument --padding: invalid choice: 'full'", "'valid', 'same'"],
    ),
}

# The damaged and hostile files: each is refused with its limit or its damage named.
HOSTILE_EXPECTED = {
    "idx_gz_bomb": (
        ValueError,
        [
            "train-labels-idx1-ubyte.gz: longer than its header says",
            "shape (20,) (28 bytes)",
            "Fetch the file again",
        ],
    ),
    "idx_huge_header": (
        ValueError,
        [
            "train-images-idx3-ubyte.gz: the header declares shape (2147483647, "
            "2147483647, 2147483647), 9,903,520,300,447,984,150,353,281,023 bytes",
            "more than the limit of 2 GiB",
            "pass a larger max_bytes=",
        ],
    ),
    "label_ten": (
        ValueError,
        ["…/data/mnist (test): label 10 (of example 7) is not a class 0..9", "Fix:"],
    ),
    "label_negative": (
        ValueError,
        ["…/data/mnist (test): label -1 (of example 7) is not a class 0..9", "Fix:"],
    ),
    "image_too_large": (
        ValueError,
        [
            "…/images/dog/1.png: is 9000x9000 = 81,000,000 pixels",
            "more than the limit of 67,108,864",
            "pass a larger max_pixels=",
        ],
    ),
    "images_nan": (
        ValueError,
        ["1 of 40 images hold NaN", "the first is image 3", "Fix: repair or drop"],
    ),
    "csv_label_path": (
        ValueError,
        ["…/labels.csv: line 2", "'../../outside' is not a plain name", "fix the line"],
    ),
    "result_cut_short": (
        ValueError,
        ["…/results/c1/run.json: not a results file (JSONDecodeError", "delete it"],
    ),
    "result_nested_deep": (
        ValueError,
        ["…/results/c1/run.json: not a results file (RecursionError", "delete it"],
    ),
    "checkpoint_huge_array": (
        CheckpointError,
        [
            "v0.npy declares 37.3 GiB of data but holds 192 bytes",
            "delete …/checkpoints/c1/deep_valid_seed0 to start the run over",
        ],
    ),
    "checkpoint_cut_short": (
        CheckpointError,
        ["checkpoint.npz: not a readable .npz file", "to start the run over"],
    ),
}
ALL_EXPECTED = {**EXPECTED, **HOSTILE_EXPECTED}


class ErrorCatalogueTest(tf.test.TestCase, parameterized.TestCase):
    def test_every_case_is_tested_and_there_are_at_least_ten(self):
        self.assertCountEqual([case.name for case in CASES], EXPECTED)
        self.assertCountEqual([case.name for case in HOSTILE_CASES], HOSTILE_EXPECTED)
        self.assertGreaterEqual(len(EXPECTED), 10)
        self.assertGreaterEqual(len(HOSTILE_EXPECTED), 10)

    @parameterized.named_parameters((name, name) for name in ALL_EXPECTED)
    def test_case_fails_clearly_and_writes_nothing(self, name):
        case = next(case for case in CASES + HOSTILE_CASES if case.name == name)
        outcome = run_case(case)
        error_type, phrases = ALL_EXPECTED[name]
        self.assertIsInstance(outcome.error, error_type)
        for phrase in phrases:
            self.assertIn(phrase, outcome.message)
        self.assertNotIn(str(outcome.folder), outcome.message)
        if case.keeps is None:
            self.assertEqual(outcome.changed, [])
        else:  # only the last good checkpoint, which is kept
            self.assertEqual(outcome.changed, [f"{case.keeps}/run/checkpoint.npz"])

    def test_the_site_table_lists_the_same_cases(self):
        path = REPO / "docs" / "results" / "errors" / "catalogue.json"
        if not path.exists():
            self.skipTest(f"{path} not written yet (python scripts/error_catalogue.py)")
        stored = json.loads(path.read_text())
        self.assertEqual(list(stored["cases"]), [c.name for c in CASES])
        self.assertEqual(
            list(stored["hostile"]["cases"]), [c.name for c in HOSTILE_CASES]
        )
        known = {**vars(builtins), **{t.__name__: t for t, _ in ALL_EXPECTED.values()}}
        entries = {**stored["cases"], **stored["hostile"]["cases"]}
        for name, entry in entries.items():
            error_type = ALL_EXPECTED[name][0]
            if error_type is UsageError:
                self.assertEqual(entry["error"], "usage error (exit status 2)")
            else:
                self.assertTrue(issubclass(known[entry["error"]], error_type), name)
